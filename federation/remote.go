package federation

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/commonground/commonground/federation/signing"
	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
)

// fetch GETs an ActivityPub document, signed (peers with authorized fetch
// require it), through the client that refuses private addresses, with its
// size bounded.
func (s *Service) fetch(ctx context.Context, rawURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	req.Header.Set("Accept", `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	if keyID, key, err := s.signingIdentity(ctx); err == nil {
		if err := signing.Sign(req, keyID, key, nil, s.now()); err != nil {
			return nil, err
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, statusError(resp.StatusCode))
	}
	return signing.ReadBody(resp, maxFetchBytes)
}

// statusError is a remote server's answer other than 200.
type statusError int

func (e statusError) Error() string { return fmt.Sprintf("status %d", int(e)) }

// fetchActor fetches an actor document and stores it.
func (s *Service) fetchActor(ctx context.Context, id, handle string) (storage.RemoteActor, error) {
	body, err := s.fetch(ctx, id)
	if err != nil {
		return storage.RemoteActor{}, err
	}
	return s.storeActor(ctx, id, handle, body)
}

// storeActor reads the actor document fetched from id and stores it.
func (s *Service) storeActor(ctx context.Context, id, handle string, body []byte) (storage.RemoteActor, error) {
	ra, err := vocab.ParseActor(body)
	if err != nil {
		return storage.RemoteActor{}, fmt.Errorf("actor %s: %w", id, err)
	}
	if ra.ID != id {
		// The id must be the URL fetched, or anyone could speak for anyone.
		return storage.RemoteActor{}, refusal(fmt.Sprintf("actor %s: the document's id is %s", id, ra.ID))
	}
	if ra.PublicKeyOwner != "" && ra.PublicKeyOwner != ra.ID || ra.PublicKeyID != "" && !sameHost(ra.PublicKeyID, ra.ID) {
		// Another actor's key id would take over the lookup of that key.
		return storage.RemoteActor{}, refusal(fmt.Sprintf("actor %s: its key %s is not its own", id, ra.PublicKeyID))
	}
	a := storage.RemoteActor{ID: ra.ID, Type: ra.Type, Handle: handle, Name: ra.Name, Summary: ra.Summary, URL: ra.URL,
		Inbox: ra.Inbox, SharedInbox: ra.SharedInbox, Featured: ra.Featured, KeyID: ra.PublicKeyID, PublicKeyPEM: ra.PublicKeyPEM, FetchedAt: s.now()}
	if a.Handle == "" && ra.PreferredUsername != "" {
		if u, err := url.Parse(ra.ID); err == nil {
			a.Handle = ra.PreferredUsername + "@" + u.Host
		}
	}
	if a.Inbox == "" {
		return a, refusal(fmt.Sprintf("actor %s has no inbox", id))
	}
	if err := s.db.InTx(ctx, func(tx *storage.Tx) error { return tx.SaveRemoteActor(ctx, a) }); err != nil {
		return a, err
	}
	s.actors.Set(a.ID, a, s.now())
	return a, nil
}

// knownActor returns an actor: kept in memory (fetched a moment ago),
// stored, or fetched the first time.
func (s *Service) knownActor(ctx context.Context, id string) (storage.RemoteActor, error) {
	return s.actors.Remember(id, s.now(), func() (a storage.RemoteActor, err error) {
		err = s.db.Single(ctx, func(tx *storage.Tx) (err error) { a, err = tx.RemoteActor(ctx, id); return err })
		if errors.Is(err, proposals.ErrNotFound) {
			return s.fetchActor(ctx, id, "")
		}
		return a, err
	})
}

// lookupKey finds the public key behind a keyId for signature checks: from
// the store, or (first time, or when refresh asks, since keys rotate) from the
// key's owner. GoToSocial's key ids end in /main-key without a fragment and
// point at a stub that names its owner: the owner is fetched then.
func (s *Service) lookupKey(ctx context.Context, keyID string, refresh bool) (*rsa.PublicKey, string, error) {
	s.keysMu.RLock()
	c, ok := s.keys[keyID]
	s.keysMu.RUnlock()
	age := s.now().Sub(c.loaded)
	if ok && (!refresh && age < keyCacheFor || refresh && c.fetched && age < keyRefetchAfter) {
		return c.pub, c.owner, nil
	}
	pub, owner, fetched, err := s.loadKey(ctx, keyID, refresh)
	if err != nil {
		if refusedForGood(err) {
			err = fmt.Errorf("%w: %w", signing.ErrKeyRefused, err)
		}
		return nil, "", err
	}
	s.keysMu.Lock()
	if len(s.keys) >= remembered {
		clear(s.keys)
	}
	s.keys[keyID] = cachedKey{pub: pub, owner: owner, loaded: s.now(), fetched: fetched}
	s.keysMu.Unlock()
	return pub, owner, nil
}

func sameHost(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && strings.EqualFold(ua.Host, ub.Host)
}

// loadKey reads a key from the store or, when asked or unknown, from its owner.
func (s *Service) loadKey(ctx context.Context, keyID string, refresh bool) (pub *rsa.PublicKey, owner string, fetched bool, err error) {
	if !refresh {
		var a storage.RemoteActor
		err := s.db.Single(ctx, func(tx *storage.Tx) (err error) { a, err = tx.RemoteActorByKey(ctx, keyID); return err })
		if err == nil {
			pub, err := signing.ParsePublicKey(a.PublicKeyPEM)
			return pub, a.ID, false, err
		}
		if !errors.Is(err, proposals.ErrNotFound) {
			return nil, "", false, err
		}
	}
	docURL := strings.SplitN(keyID, "#", 2)[0]
	doc, err := s.fetch(ctx, docURL)
	if err != nil {
		return nil, "", true, err
	}
	_, owner, _, err = vocab.ParsePublicKeyDoc(doc)
	if err != nil {
		return nil, "", true, fmt.Errorf("key %s: %w", keyID, err)
	}
	var a storage.RemoteActor
	if owner == docURL {
		a, err = s.storeActor(ctx, owner, "", doc) // Mastodon: the key is in the actor document just fetched
	} else {
		a, err = s.fetchActor(ctx, owner, "") // GoToSocial: a key stub that names its owner
	}
	if err != nil {
		return nil, "", true, err
	}
	if a.KeyID != keyID {
		return nil, "", true, refusal(fmt.Sprintf("key %s is not the key of its owner %s", keyID, owner))
	}
	pub, err = signing.ParsePublicKey(a.PublicKeyPEM)
	return pub, a.ID, true, err
}

// ParseHandle reads "@user@host" or "user@host".
func ParseHandle(handle string) (user, host string, err error) {
	h, err := proposals.CleanText("handle", handle, proposals.OneLine)
	if err != nil {
		return "", "", err
	}
	h = strings.TrimPrefix(h, "@")
	user, host, ok := strings.Cut(h, "@")
	if !ok || user == "" || host == "" || strings.ContainsAny(h, " /?#") {
		return "", "", proposals.Invalid("handle", "write a handle like @movement@example.org")
	}
	return user, strings.ToLower(host), nil
}

// webfingerLookup resolves a handle to an actor id through WebFinger (HTTPS;
// plain HTTP only when the instance allows it, for local tests).
func (s *Service) webfingerLookup(ctx context.Context, user, host string) (string, error) {
	schemes := []string{"https"}
	if s.cfg.AllowHTTP {
		schemes = append(schemes, "http")
	}
	var lastErr error
	for _, scheme := range schemes {
		href, err := s.webfingerAt(ctx, scheme, user, host)
		if err == nil {
			return href, nil
		}
		lastErr = err
	}
	return "", fmt.Errorf("webfinger @%s@%s: %w", user, host, lastErr)
}

func (s *Service) webfingerAt(ctx context.Context, scheme, user, host string) (string, error) {
	u := url.URL{Scheme: scheme, Host: host, Path: "/.well-known/webfinger", RawQuery: "resource=" + url.QueryEscape("acct:"+user+"@"+host)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/jrd+json, application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", statusError(resp.StatusCode)
	}
	body, err := signing.ReadBody(resp, maxJRDBytes)
	if err != nil {
		return "", err
	}
	return parseJRD(body)
}

// maxJRDBytes bounds a WebFinger answer: a few links, in a few kilobytes.
const maxJRDBytes = 256 << 10

var (
	errNotJRD   = errors.New("the answer is not a WebFinger document")
	errNoActor  = errors.New("the WebFinger answer names no ActivityPub actor")
	errNotHTTPS = errors.New("the WebFinger answer's actor is not an http(s) URL")
)

// parseJRD reads a WebFinger answer and returns the href of its ActivityPub
// self link, which must be an absolute http(s) URL.
func parseJRD(body []byte) (string, error) {
	var doc jrd
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", errNotJRD
	}
	for _, l := range doc.Links {
		if l.Rel != "self" || l.Type != activityJSON && !strings.Contains(l.Type, "ld+json") || l.Href == "" {
			continue
		}
		if u, err := url.Parse(l.Href); err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" {
			return "", errNotHTTPS
		}
		return l.Href, nil
	}
	return "", errNoActor
}

// unreachable says, for the person who asked, why another server's document
// could not be had: what happened, never the Go error (addresses dialled,
// internal wording), which is logged instead.
func unreachable(err error) string {
	var status statusError
	var dnsErr *net.DNSError
	var netErr net.Error
	var r refusal
	switch {
	case errors.Is(err, signing.ErrForbiddenAddress):
		return "its address is private or reserved, and this instance does not connect to those"
	case errors.Is(err, signing.ErrTooLarge):
		return "its answer is larger than this instance accepts"
	case errors.As(err, &status) && (status == http.StatusNotFound || status == http.StatusGone):
		return "it has no such account"
	case errors.As(err, &status):
		return fmt.Sprintf("it answered with an error (HTTP %d)", int(status))
	case errors.Is(err, errNotJRD), errors.Is(err, vocab.ErrInvalid):
		return "its answer is not a document this instance can read"
	case errors.Is(err, errNoActor), errors.Is(err, errNotHTTPS):
		return "it names no ActivityPub actor for that account"
	case errors.As(err, &r):
		return "its profile does not hold together (" + string(r) + ")"
	case errors.As(err, &dnsErr):
		return "no server answers to that name"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "it did not answer in time"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "it refused the connection"
	}
	return "it could not be reached"
}
