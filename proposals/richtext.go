package proposals

import (
	"html/template"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxCommentLen is the longest comment, in characters.
const MaxCommentLen = 10000

// CheckComment normalizes line endings, trims and checks a comment's body.
func CheckComment(body string) (string, error) {
	body, err := CleanText("body", body, Paragraphs)
	if err != nil {
		return "", err
	}
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return "", Invalid("body", "write something before posting")
	case n > MaxCommentLen:
		return "", Invalid("body", "a comment can be at most %d characters; this one has %d", MaxCommentLen, n)
	}
	return body, nil
}

var (
	// paragraphBreak is a blank line, spaces on it included.
	paragraphBreak = regexp.MustCompile(`\n[ \t]*\n\s*`)
	// bareURL is a candidate link: it stops at whitespace, control characters
	// and the characters people put around a link ("<…>", quotes).
	bareURL = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"\x00-\x1f\x7f]+`)
)

// RenderPlainText turns a comment written as plain text into HTML: blank
// lines separate paragraphs, a single newline is a line break, and bare
// http(s) URLs become links. Nothing else becomes markup: every character of
// the input goes through HTML escaping, which is what makes the conversion to
// template.HTML safe.
func RenderPlainText(s string) template.HTML {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for _, para := range paragraphBreak.Split(strings.TrimSpace(s), -1) {
		if para == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>")
			}
			writeLinkified(&b, line)
		}
		b.WriteString("</p>")
	}
	return template.HTML(b.String())
}

// writeLinkified writes one line of text, escaped, with its URLs as links.
func writeLinkified(b *strings.Builder, line string) {
	for {
		loc := bareURL.FindStringIndex(line)
		if loc == nil {
			b.WriteString(template.HTMLEscapeString(line))
			return
		}
		start := loc[0]
		end := start + len(trimURL(line[start:loc[1]]))
		b.WriteString(template.HTMLEscapeString(line[:start]))
		writeLink(b, line[start:end])
		line = line[end:]
	}
}

// trimURL drops the punctuation that ends the sentence around a URL rather
// than the URL itself. A closing parenthesis stays when it closes one opened
// in the URL, as in https://en.wikipedia.org/wiki/Commons_(economics).
func trimURL(u string) string {
	for u != "" {
		last := u[len(u)-1]
		switch {
		case strings.IndexByte(".,!?;:'*", last) >= 0:
		case last == ')' && strings.Count(u, "(") < strings.Count(u, ")"):
		case last == ']' && strings.Count(u, "[") < strings.Count(u, "]"):
		default:
			return u
		}
		u = u[:len(u)-1]
	}
	return u
}

// writeLink writes u as a link when it is an http(s) URL with a host, and as
// plain text otherwise. The same escaped text is the href (in double quotes,
// which escaping covers) and the link text.
func writeLink(b *strings.Builder, u string) {
	text := template.HTMLEscapeString(u)
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		b.WriteString(text)
		return
	}
	b.WriteString(`<a href="` + text + `" rel="nofollow ugc noopener" target="_blank">` + text + `</a>`)
}
