package signing

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

// FuzzVerifySignatureHeader: whatever the Signature header of an otherwise
// proper request says, Verify never panics, refuses with one of its own
// reasons (which the inbox turns into what the sender reads), and accepts only
// a signature made by the key it looked up, for that key's owner.
func FuzzVerifySignatureHeader(f *testing.F) {
	key := testKeys()[0]
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	request := func() *http.Request {
		r, _ := http.NewRequest("POST", testInbox, bytes.NewReader(testBody))
		r.Header.Set("Content-Type", "application/activity+json")
		return r
	}
	signed := request()
	if err := Sign(signed, testKeyID, key, testBody, now); err != nil {
		f.Fatal(err)
	}
	good := signed.Header.Get("Signature")
	f.Add(good)
	f.Add(strings.Replace(good, "rsa-sha256", "hs2019", 1))
	f.Add(strings.Replace(good, `headers="(request-target) host date digest"`, `headers="date"`, 1))
	f.Add(`keyId="https://a.example/k",signature="abc"`)
	f.Add(`keyId="x,y",algorithm=rsa-sha256,signature="",headers="(request-target) host date digest"`)
	f.Add(`keyId="` + testKeyID + `",signature="` + strings.Repeat("A", 344) + `"`)
	f.Add(``)
	f.Add(`keyId="unterminated`)
	f.Fuzz(func(t *testing.T, header string) {
		r := request()
		for _, h := range []string{"Date", "Digest", "Host"} {
			r.Header.Set(h, signed.Header.Get(h))
		}
		r.Header.Set("Signature", header)
		var looked []string
		lookup := func(_ context.Context, keyID string, _ bool) (*rsa.PublicKey, string, error) {
			looked = append(looked, keyID)
			if keyID != testKeyID {
				return nil, "", ErrKeyRefused
			}
			return &key.PublicKey, testOwner, nil
		}
		owner, err := Verify(context.Background(), r, testBody, now, lookup)
		if err != nil {
			for _, reason := range []error{ErrNoSignature, ErrDateOutOfWindow, ErrBadDigest, ErrBadSignature, ErrMissingHeaders, ErrKeyUnavailable, ErrKeyRefused} {
				if errors.Is(err, reason) {
					return
				}
			}
			t.Fatalf("refused for no reason of Verify's own: %v", err)
		}
		if owner != testOwner || len(looked) == 0 || looked[len(looked)-1] != testKeyID {
			t.Fatalf("accepted for %q after looking up %v", owner, looked)
		}
	})
}

// FuzzParseParams: the Signature header's parameters are read back as
// written: for parameters that need no escaping, writing what was parsed and
// parsing it again gives the same.
func FuzzParseParams(f *testing.F) {
	f.Add(`keyId="https://a.example/u#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="YWJj"`)
	f.Add(`keyId=bare,signature="a,b"`)
	f.Add(` keyId = "x" , signature = "y" `)
	f.Add(`a="",b=`)
	f.Add(`=`)
	f.Fuzz(func(t *testing.T, s string) {
		params, err := parseParams(s)
		if err != nil {
			return
		}
		var keys []string
		for k, v := range params {
			if k == "" || strings.ContainsAny(k, `=,"`) || k != strings.TrimSpace(k) || strings.Contains(v, `"`) || v != strings.TrimSpace(v) {
				return // not something a signer writes
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+`="`+params[k]+`"`)
		}
		again, err := parseParams(strings.Join(parts, ","))
		if err != nil || len(again) != len(params) {
			t.Fatalf("%q parsed as %v, written back as %q: %v %v", s, params, strings.Join(parts, ","), again, err)
		}
		for k, v := range params {
			if again[k] != v {
				t.Fatalf("%q: parameter %q was %q, read back %q", s, k, v, again[k])
			}
		}
	})
}
