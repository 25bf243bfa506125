package proposals

import (
	"errors"
	"strings"
	"testing"
)

func TestRenderPlainText(t *testing.T) {
	const link = `" rel="nofollow ugc noopener" target="_blank">`
	cases := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"blank", " \n\n ", ""},
		{"script escaped", `<script>alert("x")</script>`,
			`<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>`},
		{"entities escaped", `Tom & Jerry's <b>`, `<p>Tom &amp; Jerry&#39;s &lt;b&gt;</p>`},
		{"paragraphs and line breaks", "one\ntwo\n\n\nthree\r\n \r\nfour",
			"<p>one<br>two</p>\n<p>three</p>\n<p>four</p>"},
		{"link", "see https://example.org/a",
			`<p>see <a href="https://example.org/a` + link + `https://example.org/a</a></p>`},
		{"query string", "https://example.org/?a=1&b=<2>",
			`<p><a href="https://example.org/?a=1&amp;b=` + link + `https://example.org/?a=1&amp;b=</a>&lt;2&gt;</p>`},
		{"quote cannot break the attribute", `http://x.org/a'onmouseover='alert(1)`,
			`<p><a href="http://x.org/a&#39;onmouseover=&#39;alert(1)` + link + `http://x.org/a&#39;onmouseover=&#39;alert(1)</a></p>`},
		{"trailing punctuation", "Read http://example.org/x. Or (https://example.org/y)!",
			`<p>Read <a href="http://example.org/x` + link + `http://example.org/x</a>. Or (<a href="https://example.org/y` + link + `https://example.org/y</a>)!</p>`},
		{"balanced parenthesis kept", "https://en.wikipedia.org/wiki/Commons_(economics), yes",
			`<p><a href="https://en.wikipedia.org/wiki/Commons_(economics)` + link + `https://en.wikipedia.org/wiki/Commons_(economics)</a>, yes</p>`},
		{"angle brackets around", "<https://example.org>",
			`<p>&lt;<a href="https://example.org` + link + `https://example.org</a>&gt;</p>`},
		{"upper-case scheme", "HTTPS://EXAMPLE.ORG",
			`<p><a href="HTTPS://EXAMPLE.ORG` + link + `HTTPS://EXAMPLE.ORG</a></p>`},
		{"javascript not linked", "javascript:alert(1)", "<p>javascript:alert(1)</p>"},
		{"javascript with slashes not linked", "javascript://%0aalert(1)", "<p>javascript://%0aalert(1)</p>"},
		{"other schemes not linked", "ftp://example.org data:text/html,x", "<p>ftp://example.org data:text/html,x</p>"},
		{"no host not linked", "https://. and http:///path", "<p>https://. and http:///path</p>"},
		{"two links on two lines", "http://a.org\nhttp://b.org",
			`<p><a href="http://a.org` + link + `http://a.org</a><br><a href="http://b.org` + link + `http://b.org</a></p>`},
	}
	for _, c := range cases {
		if got := string(RenderPlainText(c.in)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestRenderPlainTextOnlyMakesItsOwnTags(t *testing.T) {
	in := `<a href="javascript:x">x</a> <img src=x onerror=alert(1)> javascript:alert(1) https://ok.org/"><svg>`
	out := string(RenderPlainText(in))
	for _, bad := range []string{"<img", "<svg", "<a href=\"javascript", "onerror=alert(1)>"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q: %s", bad, out)
		}
	}
	if strings.Count(out, "<a ") != 1 {
		t.Errorf("want exactly one link: %s", out)
	}
}

func TestCheckComment(t *testing.T) {
	if got, err := CheckComment("  Hello\r\nworld\t!\n\n"); err != nil || got != "Hello\nworld\t!" {
		t.Errorf("CheckComment = %q, %v", got, err)
	}
	if got, err := CheckComment(strings.Repeat("é", MaxCommentLen)); err != nil || len([]rune(got)) != MaxCommentLen {
		t.Errorf("a comment of exactly %d characters: %v", MaxCommentLen, err)
	}
	for name, bad := range map[string]string{
		"empty":        "",
		"only spaces":  " \n\t\r\n ",
		"too long":     strings.Repeat("x", MaxCommentLen+1),
		"control char": "hi\x07",
		"escape":       "\x1b[2J",
		"invalid utf8": "\xff",
	} {
		_, err := CheckComment(bad)
		var e *Error
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &e) || e.Field != "body" {
			t.Errorf("%s: got %v, want invalid body", name, err)
		}
	}
}
