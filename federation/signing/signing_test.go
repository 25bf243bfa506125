package signing

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

const (
	testKeyID = "https://a.example/users/alice#main-key"
	testOwner = "https://a.example/users/alice"
	testInbox = "https://b.example/inbox"
)

var testBody = []byte(`{"type":"Follow","actor":"https://a.example/users/alice"}`)

// Two 2048-bit keys, generated once: generation dominates test time.
var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var keys [2]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

// lookupLog is a KeyLookup over a map that records the refresh flag of each
// call; fresh, if set, answers refresh=true calls (a rotated key).
type lookupLog struct {
	mu     sync.Mutex
	keys   map[string]*rsa.PublicKey
	fresh  map[string]*rsa.PublicKey
	called []bool
}

func newLookup(pub *rsa.PublicKey) *lookupLog {
	return &lookupLog{keys: map[string]*rsa.PublicKey{testKeyID: pub}}
}

func (l *lookupLog) lookup(_ context.Context, keyID string, refresh bool) (*rsa.PublicKey, string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.called = append(l.called, refresh)
	keys := l.keys
	if refresh && l.fresh != nil {
		keys = l.fresh
	}
	pub, ok := keys[keyID]
	if !ok {
		return nil, "", fmt.Errorf("unknown key %q", keyID)
	}
	return pub, testOwner, nil
}

func (l *lookupLog) refreshes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.called {
		if r {
			n++
		}
	}
	return n
}

func signedRequest(t testing.TB, method, target string, body []byte, key *rsa.PrivateKey, now time.Time) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if err := Sign(r, testKeyID, key, body, now); err != nil {
		t.Fatal(err)
	}
	return r
}

// retarget copies r's headers onto a request for another URL, as if the same
// signed request had arrived there.
func retarget(t *testing.T, r *http.Request, target string) *http.Request {
	t.Helper()
	c, err := http.NewRequest(r.Method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Header = r.Header.Clone()
	c.Host = r.Host
	return c
}

func TestParseKeys(t *testing.T) {
	key := testKeys()[0]
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pkix, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	encode := func(typ string, der []byte) string {
		return "\n  " + string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	for _, text := range []string{
		encode("PRIVATE KEY", pkcs8),
		encode("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)),
	} {
		got, err := ParsePrivateKey(text)
		if err != nil || !got.Equal(key) {
			t.Errorf("ParsePrivateKey(%.30q) = %v, %v", text, got != nil, err)
		}
	}
	for _, text := range []string{
		encode("PUBLIC KEY", pkix),
		encode("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&key.PublicKey)),
	} {
		got, err := ParsePublicKey(text)
		if err != nil || !got.Equal(&key.PublicKey) {
			t.Errorf("ParsePublicKey(%.30q) = %v, %v", text, got != nil, err)
		}
	}

	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	edPub, _ := x509.MarshalPKIXPublicKey(edKey.Public())
	for _, text := range []string{"", "not pem", encode("PRIVATE KEY", edDER), encode("CERTIFICATE", pkcs8), encode("PRIVATE KEY", []byte("junk"))} {
		if _, err := ParsePrivateKey(text); err == nil {
			t.Errorf("ParsePrivateKey(%.30q) accepted", text)
		}
	}
	for _, text := range []string{"", encode("PUBLIC KEY", edPub), encode("CERTIFICATE", pkix)} {
		if _, err := ParsePublicKey(text); err == nil {
			t.Errorf("ParsePublicKey(%.30q) accepted", text)
		}
	}
}

func TestSignSetsHeaders(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	post := signedRequest(t, http.MethodPost, testInbox, testBody, testKeys()[0], now)
	sum := sha256.Sum256(testBody)
	want := map[string]string{
		"Date":   "Sun, 01 Mar 2026 11:00:00 GMT",
		"Host":   "b.example",
		"Digest": "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:]),
	}
	for name, v := range want {
		if got := post.Header.Get(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if post.Host != "b.example" {
		t.Errorf("r.Host = %q", post.Host)
	}
	sig := post.Header.Get("Signature")
	for _, part := range []string{`keyId="` + testKeyID + `"`, `algorithm="rsa-sha256"`, `headers="(request-target) host date digest"`} {
		if !strings.Contains(sig, part) {
			t.Errorf("Signature %q lacks %s", sig, part)
		}
	}

	get := signedRequest(t, http.MethodGet, "https://b.example/users/bob", nil, testKeys()[0], now)
	if get.Header.Get("Digest") != "" {
		t.Errorf("GET has a Digest: %q", get.Header.Get("Digest"))
	}
	if sig := get.Header.Get("Signature"); !strings.Contains(sig, `headers="(request-target) host date"`) {
		t.Errorf("GET Signature %q", sig)
	}
}

func TestSignAgainReplacesSignature(t *testing.T) {
	key := testKeys()[0]
	now := time.Now()
	r := signedRequest(t, http.MethodPost, testInbox, testBody, key, now.Add(-2*time.Hour))
	if err := Sign(r, testKeyID, key, testBody, now); err != nil {
		t.Fatalf("second Sign: %v", err)
	}
	if n := len(r.Header.Values("Signature")); n != 1 {
		t.Fatalf("%d Signature headers", n)
	}
	if _, err := Verify(context.Background(), r, testBody, now, newLookup(&key.PublicKey).lookup); err != nil {
		t.Fatalf("Verify after re-signing: %v", err)
	}
}

// TestRoundTripOverHTTP sends signed requests through a real client and
// server, so what is verified is what net/http actually put on the wire
// (Host, escaped path, query).
func TestRoundTripOverHTTP(t *testing.T) {
	key := testKeys()[0]
	lookup := newLookup(&key.PublicKey)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		owner, err := Verify(r.Context(), r, body, time.Now(), lookup.lookup)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		io.WriteString(w, owner)
	}))
	defer srv.Close()
	client := NewClient(ClientOptions{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})

	cases := []struct {
		method, path string
		body         []byte
	}{
		{http.MethodGet, "/users/bob", nil},
		{http.MethodGet, "/users/bob/outbox?page=true&min_id=1", nil},
		{http.MethodPost, "/inbox", testBody},
		{http.MethodPost, "/users/caf%C3%A9%20x/inbox", testBody},
		{http.MethodPost, "/inbox", nil},
	}
	for _, c := range cases {
		t.Run(c.method+c.path, func(t *testing.T) {
			r := signedRequest(t, c.method, srv.URL+c.path, c.body, key, time.Now())
			resp, err := client.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || string(got) != testOwner {
				t.Fatalf("status %d: %s", resp.StatusCode, got)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	keys := testKeys()
	now := time.Now()
	other := []byte(`{"type":"Delete"}`)
	otherSum := sha256.Sum256(other)

	cases := []struct {
		name string
		// build returns the request as received and the body received.
		build func(t *testing.T) (*http.Request, []byte)
		want  error
	}{
		{"body changed after signing", func(t *testing.T) (*http.Request, []byte) {
			return signedRequest(t, http.MethodPost, testInbox, testBody, keys[0], now), other
		}, ErrBadDigest},
		{"digest changed to match another body", func(t *testing.T) (*http.Request, []byte) {
			r := signedRequest(t, http.MethodPost, testInbox, testBody, keys[0], now)
			r.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(otherSum[:]))
			return r, other
		}, ErrBadSignature},
		{"digest with another algorithm only", func(t *testing.T) (*http.Request, []byte) {
			r := signedRequest(t, http.MethodPost, testInbox, testBody, keys[0], now)
			r.Header.Set("Digest", "SHA-512=abc")
			return r, testBody
		}, ErrBadDigest},
		{"date two hours old", func(t *testing.T) (*http.Request, []byte) {
			return signedRequest(t, http.MethodPost, testInbox, testBody, keys[0], now.Add(-2*time.Hour)), testBody
		}, ErrDateOutOfWindow},
		{"date two hours ahead", func(t *testing.T) (*http.Request, []byte) {
			return signedRequest(t, http.MethodPost, testInbox, testBody, keys[0], now.Add(2*time.Hour)), testBody
		}, ErrDateOutOfWindow},
		{"date malformed", func(t *testing.T) (*http.Request, []byte) {
			r := signedRequest(t, http.MethodPost, testInbox, testBody, keys[0], now)
			r.Header.Set("Date", "yesterday")
			return r, testBody
		}, ErrDateOutOfWindow},
		{"no signature", func(t *testing.T) (*http.Request, []byte) {
			r := signedRequest(t, http.MethodPost, testInbox, testBody, keys[0], now)
			r.Header.Del("Signature")
			return r, testBody
		}, ErrNoSignature},
		{"POST without digest signed", func(t *testing.T) (*http.Request, []byte) {
			return signWith(t, http.MethodPost, getHeaders, "", keys[0], now), testBody
		}, ErrMissingHeaders},
		{"GET without host signed", func(t *testing.T) (*http.Request, []byte) {
			return signWith(t, http.MethodGet, []string{httpsig.RequestTarget, "date"}, "", keys[0], now), nil
		}, ErrMissingHeaders},
		{"hmac algorithm", func(t *testing.T) (*http.Request, []byte) {
			r := signedRequest(t, http.MethodGet, testInbox, nil, keys[0], now)
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "rsa-sha256", "hmac-sha256", 1))
			return r, nil
		}, ErrBadSignature},
		{"malformed signature header", func(t *testing.T) (*http.Request, []byte) {
			r := signedRequest(t, http.MethodGet, testInbox, nil, keys[0], now)
			r.Header.Set("Signature", `keyId="`+testKeyID+`",signature="abc`)
			return r, nil
		}, ErrBadSignature},
		{"different method", func(t *testing.T) (*http.Request, []byte) {
			r := signedRequest(t, http.MethodGet, testInbox, nil, keys[0], now)
			r.Method = http.MethodDelete
			return r, nil
		}, ErrBadSignature},
		{"different path", func(t *testing.T) (*http.Request, []byte) {
			r := signedRequest(t, http.MethodPost, testInbox, testBody, keys[0], now)
			return retarget(t, r, "https://b.example/users/bob/inbox"), testBody
		}, ErrBadSignature},
		{"different host", func(t *testing.T) (*http.Request, []byte) {
			r := signedRequest(t, http.MethodPost, testInbox, testBody, keys[0], now)
			c := retarget(t, r, "https://c.example/inbox")
			c.Host = "c.example"
			return c, testBody
		}, ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.build(t)
			owner, err := Verify(context.Background(), r, body, now, newLookup(&keys[0].PublicKey).lookup)
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify = %q, %v; want %v", owner, err, c.want)
			}
			t.Log(err)
		})
	}
}

// signWith signs with go-fed directly, to build signatures our Sign would
// never make (missing headers, a Digest written differently).
func signWith(t *testing.T, method string, headers []string, digest string, key *rsa.PrivateKey, now time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, testInbox, nil)
	if err != nil {
		t.Fatal(err)
	}
	prepareHeaders(r, now)
	if digest != "" {
		r.Header.Set("Digest", digest)
	}
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.SignRequest(key, testKeyID, r, nil); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerifyOtherKeyRefetchesOnce(t *testing.T) {
	keys := testKeys()
	now := time.Now()
	r := signedRequest(t, http.MethodPost, testInbox, testBody, keys[1], now)
	lookup := newLookup(&keys[0].PublicKey)
	_, err := Verify(context.Background(), r, testBody, now, lookup.lookup)
	if !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify = %v, want ErrBadSignature", err)
	}
	if n := lookup.refreshes(); n != 1 || len(lookup.called) != 2 {
		t.Fatalf("lookup calls %v, want one cached then one refresh", lookup.called)
	}
}

func TestVerifyKeyRotation(t *testing.T) {
	keys := testKeys()
	now := time.Now()
	r := signedRequest(t, http.MethodPost, testInbox, testBody, keys[1], now)
	lookup := newLookup(&keys[0].PublicKey) // the cache still holds the old key
	lookup.fresh = map[string]*rsa.PublicKey{testKeyID: &keys[1].PublicKey}
	owner, err := Verify(context.Background(), r, testBody, now, lookup.lookup)
	if err != nil || owner != testOwner {
		t.Fatalf("Verify = %q, %v", owner, err)
	}
	if fmt.Sprint(lookup.called) != "[false true]" {
		t.Fatalf("lookup calls %v", lookup.called)
	}
}

func TestVerifyCachedKeyNoRefetch(t *testing.T) {
	key := testKeys()[0]
	now := time.Now()
	lookup := newLookup(&key.PublicKey)
	r := signedRequest(t, http.MethodPost, testInbox, testBody, key, now)
	if _, err := Verify(context.Background(), r, testBody, now, lookup.lookup); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(lookup.called) != "[false]" {
		t.Fatalf("lookup calls %v", lookup.called)
	}
}

func TestVerifyLookupError(t *testing.T) {
	now := time.Now()
	r := signedRequest(t, http.MethodPost, testInbox, testBody, testKeys()[0], now)
	lookup := &lookupLog{keys: map[string]*rsa.PublicKey{}}
	_, err := Verify(context.Background(), r, testBody, now, lookup.lookup)
	if !errors.Is(err, ErrKeyUnavailable) {
		t.Fatalf("Verify = %v, want ErrKeyUnavailable", err)
	}
}

// Mastodon 4.3+ may sign (request-target) without the query string.
func TestVerifyQueryVariants(t *testing.T) {
	key := testKeys()[0]
	now := time.Now()
	lookup := newLookup(&key.PublicKey).lookup

	bare := signedRequest(t, http.MethodPost, testInbox, testBody, key, now)
	if _, err := Verify(context.Background(), retarget(t, bare, testInbox+"?x=1"), testBody, now, lookup); err != nil {
		t.Errorf("signed without query, received with: %v", err)
	}
	withQuery := signedRequest(t, http.MethodPost, testInbox+"?x=1", testBody, key, now)
	if _, err := Verify(context.Background(), withQuery, testBody, now, lookup); err != nil {
		t.Errorf("signed with query: %v", err)
	}
	if _, err := Verify(context.Background(), retarget(t, withQuery, testInbox+"?x=2"), testBody, now, lookup); !errors.Is(err, ErrBadSignature) {
		t.Errorf("signed ?x=1, received ?x=2: %v, want ErrBadSignature", err)
	}
}

func TestVerifyAcceptsVariants(t *testing.T) {
	key := testKeys()[0]
	now := time.Now()
	lookup := newLookup(&key.PublicKey).lookup
	cases := map[string]func(r *http.Request){
		"hs2019": func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "rsa-sha256", "hs2019", 1))
		},
		"no algorithm": func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="rsa-sha256",`, "", 1))
		},
		"Authorization header": func(r *http.Request) {
			r.Header.Set("Authorization", "Signature "+r.Header.Get("Signature"))
			r.Header.Del("Signature")
		},
		"date 64 minutes old": func(r *http.Request) {},
		"host header absent as on a server": func(r *http.Request) {
			r.Header.Del("Host")
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			signedAt := now
			if strings.HasPrefix(name, "date") {
				signedAt = now.Add(-64 * time.Minute)
			}
			r := signedRequest(t, http.MethodPost, testInbox, testBody, key, signedAt)
			mutate(r)
			if _, err := Verify(context.Background(), r, testBody, now, lookup); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Some senders write the Digest algorithm in lower case (and sign it so).
func TestVerifyLowerCaseDigest(t *testing.T) {
	key := testKeys()[0]
	now := time.Now()
	sum := sha256.Sum256(testBody)
	r := signWith(t, http.MethodPost, bodyHeaders, "sha-256="+base64.StdEncoding.EncodeToString(sum[:]), key, now)
	if _, err := Verify(context.Background(), r, testBody, now, newLookup(&key.PublicKey).lookup); err != nil {
		t.Fatal(err)
	}
}

func TestSignConcurrent(t *testing.T) {
	key := testKeys()[0]
	lookup := newLookup(&key.PublicKey).lookup
	now := time.Now()
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range 50 {
		wg.Go(func() {
			body := fmt.Appendf(nil, `{"n":%d}`, i)
			r, _ := http.NewRequest(http.MethodPost, testInbox, bytes.NewReader(body))
			if err := Sign(r, testKeyID, key, body, now); err != nil {
				t.Error(err)
				failures.Add(1)
				return
			}
			if _, err := Verify(context.Background(), r, body, now, lookup); err != nil {
				t.Errorf("request %d: %v", i, err)
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of 50 failed", n)
	}
}

func TestParseParams(t *testing.T) {
	got, err := parseParams(`keyId="https://a.example/u/a,b#k", algorithm=hs2019 ,headers="(request-target) host",signature="YWJj=="`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"keyId": "https://a.example/u/a,b#k", "algorithm": "hs2019", "headers": "(request-target) host", "signature": "YWJj=="}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v", got)
	}
	for _, bad := range []string{`keyId="x`, `keyId="x"y`, `novalue`} {
		if _, err := parseParams(bad); err == nil {
			t.Errorf("parseParams(%q) accepted", bad)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	key := testKeys()[0]
	now := time.Now()
	for b.Loop() {
		r, _ := http.NewRequest(http.MethodPost, testInbox, bytes.NewReader(testBody))
		if err := Sign(r, testKeyID, key, testBody, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	key := testKeys()[0]
	now := time.Now()
	r := signedRequest(b, http.MethodPost, testInbox, testBody, key, now)
	pub := &key.PublicKey
	cached := func(context.Context, string, bool) (*rsa.PublicKey, string, error) { return pub, testOwner, nil }
	for b.Loop() {
		if _, err := Verify(context.Background(), r, testBody, now, cached); err != nil {
			b.Fatal(err)
		}
	}
}
