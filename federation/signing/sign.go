package signing

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// The header lists Mastodon signs and expects, in its order.
var (
	getHeaders  = []string{httpsig.RequestTarget, "host", "date"}
	bodyHeaders = []string{httpsig.RequestTarget, "host", "date", "digest"}
)

// Sign signs r as Mastodon does: Date and Host set here, Digest of body for
// requests that carry one, rsa-sha256 in the Signature header. Date is taken
// from now so that callers re-sign at each retry (peers reject a Date older
// than about an hour). Calling Sign again on the same request replaces the
// earlier signature.
func Sign(r *http.Request, keyID string, key *rsa.PrivateKey, body []byte, now time.Time) error {
	if key == nil {
		return errors.New("signing: nil private key")
	}
	if r.URL == nil || r.URL.Host == "" {
		return errors.New("signing: request URL has no host")
	}
	prepareHeaders(r, now)

	headers := getHeaders
	if len(body) > 0 || methodHasBody(r.Method) {
		headers = bodyHeaders
		if body == nil {
			body = []byte{} // go-fed adds a Digest only for a non-nil body
		}
	} else {
		body = nil // no Digest header that the signature would not cover
	}

	// A signer per call: go-fed signers are not safe for concurrent use,
	// and creating one only allocates a small struct.
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256},
		httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("signing: new signer: %w", err)
	}
	if err := signer.SignRequest(key, keyID, wireTarget(r), body); err != nil {
		return fmt.Errorf("signing: sign %s %s: %w", r.Method, r.URL.Redacted(), err)
	}
	r.Header.Set("Signature", namedAlgorithm(r.Header.Get("Signature")))
	return nil
}

// prepareHeaders sets the headers the signature covers. go-fed's signer
// reads Host from the header map, while net/http sends r.Host: both are set
// to the same value so that what is signed is what goes on the wire.
func prepareHeaders(r *http.Request, now time.Time) {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Host = r.URL.Host
	r.Header.Set("Host", r.URL.Host)
	r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	// go-fed refuses to overwrite a Digest, and a second Signature header
	// would be appended rather than replaced: drop both from an earlier Sign.
	r.Header.Del("Digest")
	r.Header.Del("Signature")
}

// wireTarget returns a shallow copy of r whose URL.Path is the escaped path.
// go-fed builds (request-target) from URL.Path (decoded) but net/http sends
// the escaped form, which is what the peer verifies against. The header map
// is shared, so the Digest and Signature land on r.
func wireTarget(r *http.Request) *http.Request {
	escaped := r.URL.EscapedPath()
	if escaped == r.URL.Path {
		return r
	}
	c := *r
	u := *r.URL
	u.Path, u.RawPath = escaped, ""
	c.URL = &u
	return &c
}

// namedAlgorithm rewrites go-fed's algorithm="hs2019" as "rsa-sha256", which
// is what Mastodon sends and what older verifiers (some only know
// rsa-sha256) accept. The algorithm parameter is not part of the signed
// string, so the signature is unchanged.
func namedAlgorithm(sig string) string {
	return strings.Replace(sig, `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1)
}

// methodHasBody reports whether requests with this method carry a body that
// the Digest must cover even when empty.
func methodHasBody(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}
