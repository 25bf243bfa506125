package federation

import (
	"errors"
	"net/url"
	"testing"
)

// FuzzParseJRD: a WebFinger answer is read without panicking; a refusal is
// one parseJRD names (so that the person who asked reads what happened), and
// an accepted actor is an absolute http(s) URL this instance may fetch.
func FuzzParseJRD(f *testing.F) {
	for _, seed := range []string{
		`{"subject":"acct:river@cg.example","aliases":["https://cg.example/users/river"],"links":[{"rel":"self","type":"application/activity+json","href":"https://cg.example/users/river"},{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"https://cg.example/"}]}`,
		`{"subject":"acct:a@m.example","links":[{"rel":"self","type":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"https://m.example/users/a"}]}`,
		`{"links":[{"rel":"self","type":"application/activity+json","href":"javascript:alert(1)"}]}`,
		`{"links":[{"rel":"self","type":"application/activity+json","href":"/users/relative"}]}`,
		`{"links":null}`, `[]`, `null`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		href, err := parseJRD(body)
		if err != nil {
			if !errors.Is(err, errNotJRD) && !errors.Is(err, errNoActor) && !errors.Is(err, errNotHTTPS) {
				t.Fatalf("refused for a reason the person cannot be told: %v", err)
			}
			return
		}
		u, err := url.Parse(href)
		if err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" {
			t.Fatalf("accepted actor %q", href)
		}
	})
}
