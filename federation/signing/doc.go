// Package signing implements the HTTP Signatures (draft-cavage, as Mastodon
// uses them) that ActivityPub servers put on inbox deliveries and authorized
// fetches, and an outbound HTTP client that refuses to reach private or
// reserved addresses.
//
// Signing and verifying are built on github.com/go-fed/httpsig, whose Verify
// checks the signature only: this package adds the checks it leaves to the
// caller (Digest against the body, freshness of Date, which headers are
// signed) and the retries federation needs (query string stripped, key
// refetched once).
package signing
