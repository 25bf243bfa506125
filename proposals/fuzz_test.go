package proposals

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

var (
	renderedTag = regexp.MustCompile(`</?(p|br|a)( [^>]*)?>`)
	anyTag      = regexp.MustCompile(`<[^>]*>`)
	linkTag     = regexp.MustCompile(`<a href="([^"]*)" rel="nofollow ugc noopener" target="_blank">([^<]*)</a>`)
)

// FuzzRenderPlainText: whatever a comment holds, the HTML shown holds only
// paragraphs, line breaks and links to http(s) URLs whose href is their
// text; and for text CleanText lets through (the only text stored), with
// the markup taken out and unescaped it is what was written, spaces at line
// ends and blank lines aside.
func FuzzRenderPlainText(f *testing.F) {
	for _, seed := range []string{
		"See https://example.org/?a=1&b=2 and <script>alert(1)</script>",
		"first line\nsecond\n\n\nnew paragraph\r\n\r\nthird",
		"(https://en.wikipedia.org/wiki/Commons_(economics)).",
		`"https://x.example/"quoted" <https://y.example/>`,
		"javascript:alert(1) http://", "HTTPS://CAPS.EXAMPLE/Path", "", " \n \n ", "&amp; &lt; ' \"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		out := string(RenderPlainText(text))
		for _, tag := range anyTag.FindAllString(out, -1) {
			if !renderedTag.MatchString(tag) {
				t.Fatalf("tag %q in the output of %q", tag, text)
			}
		}
		for _, m := range linkTag.FindAllStringSubmatch(out, -1) {
			if m[1] != m[2] || !strings.HasPrefix(strings.ToLower(html.UnescapeString(m[1])), "http") {
				t.Fatalf("link %q: its href is not its text, or not http(s)", m[0])
			}
		}
		if strings.Count(out, "<a ") != len(linkTag.FindAllString(out, -1)) {
			t.Fatalf("a link of another shape in %q", out)
		}
		if _, err := CleanText("body", text, Paragraphs); err != nil {
			return // never stored, so never rendered: escaping may replace what it cannot show (NUL)
		}
		shown := html.UnescapeString(anyTag.ReplaceAllString(strings.ReplaceAll(strings.ReplaceAll(out, "<br>", "\n"), "</p>\n<p>", "\n\n"), ""))
		if words(shown) != words(text) {
			t.Fatalf("what shows is not what was written:\n%q\n%q", text, shown)
		}
	})
}

// words is text without its whitespace: what RenderPlainText may change.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }
