package signing

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-fed/httpsig"
)

// Reasons Verify refuses a request. All of them mean "refuse" (401/403); they
// are distinct so that callers can log and count them.
var (
	ErrNoSignature     = errors.New("signing: request is not signed")
	ErrDateOutOfWindow = errors.New("signing: Date outside the accepted window")
	ErrBadDigest       = errors.New("signing: Digest does not match the body")
	ErrBadSignature    = errors.New("signing: signature does not verify")
	ErrMissingHeaders  = errors.New("signing: required header missing or unsigned")
	// ErrKeyUnavailable wraps a KeyLookup error. Unlike the others it may be
	// transient (the key owner's server is down), so a caller may prefer to
	// answer 5xx and let the sender retry.
	ErrKeyUnavailable = errors.New("signing: signing key unavailable")
	// ErrKeyRefused is what a KeyLookup wraps when the key cannot be had for
	// good (its owner's server refused it, or it is malformed): Verify then
	// refuses the request instead of reporting ErrKeyUnavailable.
	ErrKeyRefused = errors.New("signing: signing key refused")
)

// The window Mastodon applies to Date; we apply the same so that what we
// accept and what peers accept from us agree.
const (
	maxDateFuture = time.Hour
	maxDatePast   = 65 * time.Minute
)

// KeyLookup returns the public key for keyID and the id of the actor owning
// it. refresh=true asks to bypass any cache, because keys rotate.
type KeyLookup func(ctx context.Context, keyID string, refresh bool) (pub *rsa.PublicKey, owner string, err error)

// Verify checks r's HTTP signature and returns the actor owning the key that
// made it. It checks what go-fed's Verify leaves to the caller (Date window,
// signed header set, Digest against body) before any key lookup, so forged
// or stale requests cost no fetch. The caller must still check that the
// activity's actor equals owner.
func Verify(ctx context.Context, r *http.Request, body []byte, now time.Time, lookup KeyLookup) (owner string, err error) {
	params, err := signatureParams(r.Header)
	if err != nil {
		return "", err
	}
	if err := checkAlgorithm(params["algorithm"]); err != nil {
		return "", err
	}
	if err := checkDate(r.Header, now); err != nil {
		return "", err
	}
	needDigest := len(body) > 0 || methodHasBody(r.Method)
	if err := checkSignedHeaders(params["headers"], needDigest); err != nil {
		return "", err
	}
	if needDigest || r.Header.Get("Digest") != "" {
		if err := checkDigest(r.Header.Values("Digest"), body); err != nil {
			return "", err
		}
	}
	verifiers, err := newVerifiers(r)
	if err != nil {
		return "", err
	}
	return verifyWithKey(ctx, verifiers, lookup)
}

// verifyWithKey tries the cached key, then a refetched one once: a failure
// with the cached key may only mean the actor rotated its key.
func verifyWithKey(ctx context.Context, verifiers []httpsig.Verifier, lookup KeyLookup) (string, error) {
	keyID := verifiers[0].KeyId()
	var lastErr error
	for _, refresh := range []bool{false, true} {
		pub, owner, err := lookup(ctx, keyID, refresh)
		if errors.Is(err, ErrKeyRefused) {
			return "", fmt.Errorf("keyId %q: %w", keyID, err)
		}
		if err != nil {
			return "", fmt.Errorf("%w: keyId %q: %w", ErrKeyUnavailable, keyID, err)
		}
		if pub == nil {
			return "", fmt.Errorf("%w: keyId %q: lookup returned no key", ErrKeyUnavailable, keyID)
		}
		if lastErr = verifyAny(verifiers, pub); lastErr == nil {
			return owner, nil
		}
	}
	return "", fmt.Errorf("%w: keyId %q: %v", ErrBadSignature, keyID, lastErr)
}

// verifyAny reports nil if any of the verifiers accepts the signature.
func verifyAny(verifiers []httpsig.Verifier, pub *rsa.PublicKey) error {
	var err error
	for _, v := range verifiers {
		// hs2019 with an RSA key is RSA-SHA256 (PKCS#1 v1.5), as Mastodon
		// and GoToSocial sign it.
		if err = v.Verify(pub, httpsig.RSA_SHA256); err == nil {
			return nil
		}
	}
	return err
}

// newVerifiers returns one verifier per (request-target) the sender may have
// signed: the target as received, then, since Mastodon 4.3+ may sign it
// either way, without the query string.
func newVerifiers(r *http.Request) ([]httpsig.Verifier, error) {
	// go-fed reads Host from the header map, but net/http servers move it to
	// r.Host; a clone avoids writing it into the caller's request.
	h := r.Header.Clone()
	if host := requestHost(r); host != "" {
		h.Set("Host", host)
	}
	var out []httpsig.Verifier
	for _, u := range targetURLs(r.URL) {
		v, err := httpsig.NewVerifier(&http.Request{Method: r.Method, URL: u, Host: r.Host, Header: h})
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// requestHost is the host the request was sent to: r.Host on a server, else
// the Host header or the URL's host on a request built in process.
func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if h := r.Header.Get("Host"); h != "" {
		return h
	}
	return r.URL.Host
}

// targetURLs returns the received URL with its path in escaped (wire) form,
// because go-fed builds (request-target) from URL.Path, and the same without
// the query string if it has one.
func targetURLs(u *url.URL) []*url.URL {
	wire := *u
	wire.Path, wire.RawPath = u.EscapedPath(), ""
	out := []*url.URL{&wire}
	if wire.RawQuery != "" || wire.ForceQuery {
		bare := wire
		bare.RawQuery, bare.ForceQuery = "", false
		out = append(out, &bare)
	}
	return out
}

// signatureParams finds the signature (Signature header, or Authorization
// with the Signature scheme) and parses its parameters. go-fed parses them
// again but does not expose headers or algorithm, which we must check.
func signatureParams(h http.Header) (map[string]string, error) {
	value := h.Get("Signature")
	if value == "" {
		auth := h.Get("Authorization")
		scheme, rest, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Signature") {
			return nil, ErrNoSignature
		}
		value = rest
	}
	params, err := parseParams(value)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if params["keyId"] == "" || params["signature"] == "" {
		return nil, fmt.Errorf("%w: keyId or signature parameter missing", ErrBadSignature)
	}
	if !utf8.ValidString(params["keyId"]) {
		// It would be looked up in the database, which cannot take it.
		return nil, fmt.Errorf("%w: keyId is not UTF-8", ErrBadSignature)
	}
	return params, nil
}

// parseParams parses `k1="v1",k2=v2` honouring quotes, so that a comma
// inside a quoted value (a keyId URL may hold one) does not split it.
func parseParams(s string) (map[string]string, error) {
	params := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; {
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("malformed parameter %q", s)
		}
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in parameter %q", key)
			}
			val, rest = rest[1:1+end], rest[2+end:]
		} else {
			val, rest, _ = strings.Cut(rest, ",")
			rest = "," + rest
		}
		params[strings.TrimSpace(key)] = strings.TrimSpace(val)
		rest = strings.TrimSpace(rest)
		if rest != "" && rest[0] != ',' {
			return nil, fmt.Errorf("expected ',' after parameter %q", key)
		}
		s = strings.TrimSpace(strings.TrimPrefix(rest, ","))
	}
	return params, nil
}

// checkAlgorithm accepts the algorithm names Mastodon accepts. The parameter
// is optional in the draft; absent, the key type decides (RSA here).
func checkAlgorithm(name string) error {
	switch strings.ToLower(name) {
	case "", "rsa-sha256", "hs2019":
		return nil
	}
	return fmt.Errorf("%w: unsupported algorithm %q", ErrBadSignature, name)
}

// checkDate refuses a Date outside Mastodon's window: a replayed or
// long-delayed request must be re-signed by its sender.
func checkDate(h http.Header, now time.Time) error {
	value := h.Get("Date")
	if value == "" {
		return fmt.Errorf("%w: no Date header", ErrMissingHeaders)
	}
	date, err := http.ParseTime(value)
	if err != nil {
		return fmt.Errorf("%w: malformed Date %q", ErrDateOutOfWindow, value)
	}
	if skew := date.Sub(now); skew > maxDateFuture {
		return fmt.Errorf("%w: Date %q is %s in the future (at most %s allowed)",
			ErrDateOutOfWindow, value, skew.Round(time.Second), maxDateFuture)
	}
	if age := now.Sub(date); age > maxDatePast {
		return fmt.Errorf("%w: Date %q is %s in the past (at most %s allowed)",
			ErrDateOutOfWindow, value, age.Round(time.Second), maxDatePast)
	}
	return nil
}

// checkSignedHeaders requires the headers Mastodon requires to be covered by
// the signature; without them a valid signature would not bind the request
// to its target, host, time or body. An absent list defaults to "date" in
// the draft, which is refused here.
func checkSignedHeaders(list string, needDigest bool) error {
	signed := map[string]bool{}
	for _, name := range strings.Fields(list) {
		signed[strings.ToLower(name)] = true
	}
	required := getHeaders
	if needDigest {
		required = bodyHeaders
	}
	var missing []string
	for _, name := range required {
		if !signed[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: signature does not cover %s", ErrMissingHeaders, strings.Join(missing, ", "))
	}
	return nil
}

// checkDigest compares the SHA-256 entry of the Digest header (RFC 3230 allows
// several, comma-separated) with the body's hash.
func checkDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return fmt.Errorf("%w: no Digest header", ErrMissingHeaders)
	}
	sum := sha256.Sum256(body)
	want := base64.StdEncoding.EncodeToString(sum[:])
	for _, part := range strings.Split(strings.Join(values, ","), ",") {
		algo, digest, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(algo, "SHA-256") {
			continue
		}
		if digest != want {
			return fmt.Errorf("%w: header has SHA-256=%s, body hashes to %s", ErrBadDigest, digest, want)
		}
		return nil
	}
	return fmt.Errorf("%w: no SHA-256 entry in Digest %q", ErrBadDigest, strings.Join(values, ","))
}
