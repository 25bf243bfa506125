package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/federation/signing"
	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
)

const activityJSON = "application/activity+json"

// Mount adds the federation endpoints to r. They live outside the browser
// session machinery: peers authenticate with HTTP signatures, not cookies.
func (s *Service) Mount(r chi.Router) {
	r.Get("/.well-known/webfinger", s.webfinger)
	r.Get("/.well-known/nodeinfo", s.nodeinfoIndex)
	r.Get("/.well-known/host-meta", s.hostMeta)
	r.Get("/nodeinfo/{version}", s.nodeinfo)
	r.Get("/users/{handle}", s.actor)
	r.Post("/users/{handle}/inbox", s.inbox)
	r.Post("/inbox", s.inbox)
	r.Get("/users/{handle}/outbox", s.collection(s.outboxCollection))
	r.Get("/users/{handle}/followers", s.collection(s.followersCollection))
	r.Get("/users/{handle}/following", s.collection(s.followingCollection))
	r.Get("/users/{handle}/featured", s.collection(s.featuredCollection))
	r.Get("/statement/versions/{n}", s.statementNote)
	r.Get("/joint-statements/{id}/versions/{n}", s.jointNoteHandler)
}

// wantsActivityJSON is content negotiation: ActivityPub clients ask for
// activity+json or ld+json; browsers ask for HTML.
func wantsActivityJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if mt == activityJSON || mt == "application/ld+json" { // ld+json with or without the AS profile
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, contentType string, status int, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Vary", "Accept")
	w.WriteHeader(status)
	w.Write(body)
}

// fail answers a federation request with a short plain-text reason; peers read
// status codes, people debugging read the reason.
func fail(w http.ResponseWriter, status int, reason string) {
	http.Error(w, reason, status)
}

// ourMovement returns the movement when handle names it.
func (s *Service) ourMovement(r *http.Request) (proposals.Movement, bool) {
	m, err := s.movement(r.Context())
	if err != nil {
		return m, false
	}
	if h := chi.URLParam(r, "handle"); h != "" && !strings.EqualFold(h, m.Handle) {
		return m, false
	}
	return m, true
}

type jrdLink struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []jrdLink `json:"links"`
}

// webfinger answers acct:handle@host (and the actor's own URL) with a JRD whose
// self link is exactly the actor id, as Mastodon requires.
func (s *Service) webfinger(w http.ResponseWriter, r *http.Request) {
	m, err := s.movement(r.Context())
	if err != nil {
		fail(w, http.StatusNotFound, "no such account")
		return
	}
	resource := r.URL.Query().Get("resource")
	if resource == "" {
		fail(w, http.StatusBadRequest, "resource parameter is required")
		return
	}
	actor := s.actorID(m.Handle)
	acct := "acct:" + m.Handle + "@" + s.cfg.BaseURL.Host
	if !strings.EqualFold(resource, acct) && resource != actor && !strings.EqualFold("acct:"+resource, acct) {
		fail(w, http.StatusNotFound, "no such account")
		return
	}
	body, _ := json.Marshal(jrd{Subject: acct, Aliases: []string{actor, s.base() + "/"}, Links: []jrdLink{
		{Rel: "self", Type: activityJSON, Href: actor},
		{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: s.base() + "/"},
	}})
	writeJSON(w, "application/jrd+json; charset=utf-8", http.StatusOK, body)
}

func (s *Service) hostMeta(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="%s/.well-known/webfinger?resource={uri}"/>
</XRD>
`, html.EscapeString(s.base()))
}

func (s *Service) nodeinfoIndex(w http.ResponseWriter, r *http.Request) {
	body, _ := json.Marshal(map[string]any{"links": []map[string]string{
		{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": s.base() + "/nodeinfo/2.0"},
		{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": s.base() + "/nodeinfo/2.1"},
	}})
	writeJSON(w, "application/json", http.StatusOK, body)
}

// nodeinfo serves the 2.0 and 2.1 documents: every required top-level field,
// no extra top-level key, custom data under metadata.
func (s *Service) nodeinfo(w http.ResponseWriter, r *http.Request) {
	version := chi.URLParam(r, "version")
	if version != "2.0" && version != "2.1" {
		fail(w, http.StatusNotFound, "NodeInfo 2.0 and 2.1 are served")
		return
	}
	ctx := r.Context()
	var members, posts int
	var m proposals.Movement
	err := s.db.ReadTx(ctx, func(tx *storage.Tx) error {
		ms, err := tx.Members(ctx)
		if err != nil {
			return err
		}
		for _, mm := range ms {
			if mm.Active() {
				members++
			}
		}
		if posts, err = tx.CountOutboxItems(ctx); err != nil {
			return err
		}
		m, err = tx.Movement(ctx)
		if errors.Is(err, proposals.ErrNotFound) {
			err = nil
		}
		return err
	})
	if err != nil {
		fail(w, http.StatusInternalServerError, "nodeinfo unavailable")
		return
	}
	software := map[string]any{"name": "commonground", "version": s.cfg.Version}
	if version == "2.1" {
		software["homepage"] = s.base() + "/"
	}
	doc := map[string]any{
		"version":           version,
		"software":          software,
		"protocols":         []string{"activitypub"},
		"services":          map[string][]string{"inbound": {}, "outbound": {}},
		"openRegistrations": false,
		"usage": map[string]any{
			"users":      map[string]int{"total": members, "activeMonth": members, "activeHalfyear": members},
			"localPosts": posts,
		},
		"metadata": map[string]any{"nodeName": m.Name, "nodeDescription": m.Summary, "movementHandle": m.Handle},
	}
	body, _ := json.Marshal(doc)
	writeJSON(w, `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/`+version+`#"`, http.StatusOK, body)
}

// actorDoc is the movement as an ActivityPub Group, read through tx (the
// publisher calls it inside the transaction that queues the Update).
func (s *Service) actorDoc(ctx context.Context, tx *storage.Tx, m proposals.Movement) (vocab.Actor, error) {
	kp, err := tx.KeyPair(ctx)
	if err != nil {
		return vocab.Actor{}, err
	}
	manual, err := tx.ManuallyApprovesFollowers(ctx)
	if err != nil {
		return vocab.Actor{}, err
	}
	id := s.actorID(m.Handle)
	return vocab.Actor{
		ID: id, Inbox: id + "/inbox", Outbox: id + "/outbox", Followers: id + "/followers", Following: id + "/following",
		Featured: id + "/featured", SharedInbox: s.sharedInbox(), PreferredUsername: m.Handle, Name: m.Name,
		Summary: "<p>" + html.EscapeString(m.Summary) + "</p>", URL: s.base() + "/",
		IconURL: s.base() + "/static/icon.png", IconMediaType: "image/png",
		PublicKeyID: s.keyID(m.Handle), PublicKeyPEM: kp.PublicKeyPEM,
		ManuallyApprovesFollowers: manual, Discoverable: true, Published: m.CreatedAt,
		Fields: []vocab.PropertyValue{
			{Name: "Statement", Value: fmt.Sprintf(`<a href="%s/statement" rel="me nofollow noopener" target="_blank">%s/statement</a>`, html.EscapeString(s.base()), html.EscapeString(s.cfg.BaseURL.Host))},
			{Name: "Decided by", Value: "its members, by direct democracy"},
		},
	}, nil
}

// actor serves the Group to ActivityPub clients and sends browsers to the
// movement's page: one URL, two representations.
func (s *Service) actor(w http.ResponseWriter, r *http.Request) {
	m, ok := s.ourMovement(r)
	if !ok {
		fail(w, http.StatusNotFound, "no such actor")
		return
	}
	if !wantsActivityJSON(r) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	var doc vocab.Actor
	err := s.db.ReadTx(r.Context(), func(tx *storage.Tx) (err error) { doc, err = s.actorDoc(r.Context(), tx, m); return err })
	if err != nil {
		fail(w, http.StatusInternalServerError, "actor unavailable")
		return
	}
	body, err := vocab.MarshalActor(doc)
	if err != nil {
		fail(w, http.StatusInternalServerError, "actor unavailable")
		return
	}
	writeJSON(w, activityJSON, http.StatusOK, body)
}

// collection wraps a collection builder with the common checks and headers.
func (s *Service) collection(build func(ctx context.Context, m proposals.Movement) ([]byte, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, ok := s.ourMovement(r)
		if !ok {
			fail(w, http.StatusNotFound, "no such actor")
			return
		}
		body, err := build(r.Context(), m)
		if err != nil {
			s.log.Error("build collection", "path", r.URL.Path, "err", err)
			fail(w, http.StatusInternalServerError, "collection unavailable")
			return
		}
		writeJSON(w, activityJSON, http.StatusOK, body)
	}
}

func (s *Service) outboxCollection(ctx context.Context, m proposals.Movement) ([]byte, error) {
	var items []storage.OutboxItem
	var total int
	err := s.db.ReadTx(ctx, func(tx *storage.Tx) (err error) {
		if items, err = tx.OutboxItems(ctx, 20); err != nil {
			return err
		}
		total, err = tx.CountOutboxItems(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	objs := make([][]byte, len(items))
	for i, it := range items {
		objs[i] = []byte(it.Body)
	}
	return vocab.MarshalOrderedCollection(s.actorID(m.Handle)+"/outbox", total, objs, nil)
}

func (s *Service) followersCollection(ctx context.Context, m proposals.Movement) ([]byte, error) {
	var fs []storage.Follower
	err := s.db.ReadTx(ctx, func(tx *storage.Tx) (err error) { fs, err = tx.Followers(ctx, "accepted"); return err })
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.ID
	}
	return vocab.MarshalOrderedCollection(s.actorID(m.Handle)+"/followers", len(ids), nil, ids)
}

func (s *Service) followingCollection(ctx context.Context, m proposals.Movement) ([]byte, error) {
	var fs []storage.Followed
	err := s.db.ReadTx(ctx, func(tx *storage.Tx) (err error) { fs, err = tx.Following(ctx); return err })
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, f := range fs {
		if f.Status == "accepted" {
			ids = append(ids, f.ID)
		}
	}
	return vocab.MarshalOrderedCollection(s.actorID(m.Handle)+"/following", len(ids), nil, ids)
}

// featuredCollection pins the current statement on the profile: Mastodon does
// not backfill history, so a new follower sees the statement here. A
// withdrawn version is not pinned: a peer would fetch it and bring it back.
func (s *Service) featuredCollection(ctx context.Context, m proposals.Movement) ([]byte, error) {
	var pinned [][]byte
	err := s.db.ReadTx(ctx, func(tx *storage.Tx) error {
		v, err := tx.CurrentVersion(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.Withdrawal(ctx, s.noteID(v.Number)); !errors.Is(err, proposals.ErrNotFound) {
			return err // withdrawn (nothing pinned), or a failure
		}
		note, err := s.statementNoteDoc(ctx, tx, m, v)
		if err != nil {
			return err
		}
		body, err := vocab.MarshalNote(note)
		pinned = append(pinned, body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return vocab.MarshalOrderedCollection(s.actorID(m.Handle)+"/featured", len(pinned), pinned, nil)
}

// statementNoteDoc is a statement version as a Note: readable HTML for
// Mastodon that leads with what the version changed, and the structured
// items for other Common Ground instances. It reads, through tx, the version
// before and the proposal that made this one.
func (s *Service) statementNoteDoc(ctx context.Context, tx *storage.Tx, m proposals.Movement, v proposals.Version) (vocab.Note, error) {
	doc := vocab.StatementDoc{Version: v.Number, AdoptedAt: v.AdoptedAt, Statement: v.Statement}
	content := vocab.StatementHTML(m.Name, doc)
	if v.Number > 1 {
		change, err := s.versionChange(ctx, tx, v)
		if err != nil {
			return vocab.Note{}, err
		}
		content = vocab.AdoptionHTML(m.Name, change, doc)
	}
	actor := s.actorID(m.Handle)
	return vocab.Note{
		ID: s.noteID(v.Number), AttributedTo: actor, URL: s.base() + "/statement?version=" + strconv.Itoa(v.Number),
		Content: content, Published: v.AdoptedAt,
		To: []string{vocab.PublicAddress}, Cc: []string{actor + "/followers"}, Statement: &doc,
	}, nil
}

// versionChange is what version v changed from the one before, and the
// proposal and vote that made it.
func (s *Service) versionChange(ctx context.Context, tx *storage.Tx, v proposals.Version) (vocab.VersionChange, error) {
	prev, err := tx.VersionByNumber(ctx, v.Number-1)
	if err != nil {
		return vocab.VersionChange{}, err
	}
	change := vocab.VersionChange{DiffURL: fmt.Sprintf("%s/statement/diff?from=%d&to=%d", s.base(), prev.Number, v.Number)}
	diff := proposals.DiffStatements(prev.Statement, v.Statement)
	change.PreambleChanged = diff.PreambleChanged
	for _, sec := range diff.Sections {
		for _, it := range sec.Items {
			item := vocab.ChangedItem{Section: it.Section, Old: it.Old, New: it.New}
			switch it.Status {
			case proposals.ItemAdded:
				change.Added = append(change.Added, item)
			case proposals.ItemAmended:
				change.Amended = append(change.Amended, item)
			case proposals.ItemMoved:
				change.Moved = append(change.Moved, item)
			case proposals.ItemRemoved:
				change.Removed = append(change.Removed, item)
			}
		}
	}
	if v.ProposalID == 0 {
		return change, nil
	}
	p, err := tx.Proposal(ctx, v.ProposalID)
	if err != nil {
		return change, err
	}
	change.Title = p.Title
	if p.Outcome != nil {
		change.Outcome = outcomeLine(p.Outcome.Tally, p.Round)
	}
	return change, nil
}

// outcomeLine is the vote that adopted a version, in one line.
func outcomeLine(t consensus.Tally, round int) string {
	how := "Adopted by the members' vote"
	if round > 1 {
		how = "Adopted in a second round, under the fallback rule"
	}
	return fmt.Sprintf("%s: %d of %d members voted; %d agree, %d stand aside, %d disagree, %d block.",
		how, t.Cast(), t.Eligible, t.Agree, t.StandAside, t.Disagree, t.Block)
}

// statementNote serves a version's Note at its id (peers refetch it). A
// withdrawn one answers 410 with a Tombstone, so that a peer refetching it
// drops it instead of bringing it back.
func (s *Service) statementNote(w http.ResponseWriter, r *http.Request) {
	n64, err := strconv.ParseInt(chi.URLParam(r, "n"), 10, 32) // a version number is 32-bit in the database
	n := int(n64)
	if err != nil || n < 1 {
		fail(w, http.StatusNotFound, "no such version")
		return
	}
	if !wantsActivityJSON(r) {
		http.Redirect(w, r, "/statement?version="+strconv.Itoa(n), http.StatusSeeOther)
		return
	}
	m, ok := s.ourMovement(r)
	if !ok {
		fail(w, http.StatusNotFound, "no such version")
		return
	}
	ctx := r.Context()
	var note vocab.Note
	var withdrawn time.Time
	err = s.db.ReadTx(ctx, func(tx *storage.Tx) error {
		v, err := tx.VersionByNumber(ctx, n)
		if err != nil {
			return err
		}
		if withdrawn, err = tx.Withdrawal(ctx, s.noteID(n)); !errors.Is(err, proposals.ErrNotFound) {
			return err // withdrawn, or a failure
		}
		note, err = s.statementNoteDoc(ctx, tx, m, v)
		return err
	})
	switch {
	case err == nil && !withdrawn.IsZero():
		body, err := vocab.MarshalTombstone(s.noteID(n), "Note", withdrawn)
		if err != nil {
			fail(w, http.StatusInternalServerError, "note unavailable")
			return
		}
		writeJSON(w, activityJSON, http.StatusGone, body)
		return
	case errors.Is(err, proposals.ErrNotFound):
		fail(w, http.StatusNotFound, "no such version")
		return
	case err != nil:
		s.log.Error("statement note", "version", n, "err", err)
		fail(w, http.StatusInternalServerError, "note unavailable")
		return
	}
	body, err := vocab.MarshalNote(note)
	if err != nil {
		fail(w, http.StatusInternalServerError, "note unavailable")
		return
	}
	writeJSON(w, activityJSON, http.StatusOK, body)
}

// acceptsActivityContentType: application/activity+json, or ld+json (with or
// without the ActivityStreams profile).
func acceptsActivityContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == activityJSON || mt == "application/ld+json")
}

// inbox receives an activity: it checks the signature, the digest and the date,
// parses the activity, checks that its actor owns the signing key and that its
// id is on that actor's host, stores it once per sender and id (within the
// sending host's hourly quota) and answers 202 at once; a worker processes it
// afterwards.
func (s *Service) inbox(w http.ResponseWriter, r *http.Request) {
	handle, err := s.movementHandle(r.Context())
	if err != nil || (chi.URLParam(r, "handle") != "" && !strings.EqualFold(chi.URLParam(r, "handle"), handle)) {
		fail(w, http.StatusNotFound, "no such inbox")
		return
	}
	if !acceptsActivityContentType(r.Header.Get("Content-Type")) {
		fail(w, http.StatusUnsupportedMediaType, "send application/activity+json")
		return
	}
	// Bounded here too, whatever the router in front does: activities are small.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFetchBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, "activity too large")
			return
		}
		fail(w, http.StatusBadRequest, "could not read the body")
		return
	}
	owner, err := signing.Verify(r.Context(), r, body, s.now(), s.lookupKey)
	if errors.Is(err, signing.ErrKeyUnavailable) {
		// The sender's server did not give us its key: maybe down for a while.
		// 503 makes a sender retry later instead of dropping the activity.
		w.Header().Set("Retry-After", "60")
		fail(w, http.StatusServiceUnavailable, "could not fetch the signing key; try again later")
		return
	}
	if err != nil {
		// The details (addresses dialled, remote errors) are for our log only.
		s.log.Info("inbox: signature refused", "err", err, "remote", r.RemoteAddr)
		fail(w, http.StatusUnauthorized, signatureRefusal(err))
		return
	}
	act, err := vocab.ParseActivity(body)
	if err != nil {
		fail(w, http.StatusBadRequest, "malformed activity: "+err.Error())
		return
	}
	if act.Actor != owner {
		fail(w, http.StatusUnauthorized, "the activity's actor is not the owner of the signing key")
		return
	}
	if !sameHost(act.ID, act.Actor) {
		// As Mastodon does: otherwise any server could pre-claim another's ids.
		fail(w, http.StatusBadRequest, "the activity's id must be on its actor's host")
		return
	}
	host, _ := hostOf(act.Actor)
	fresh, err := s.storeActivity(r.Context(), act, host, body)
	if errors.Is(err, proposals.ErrTooMany) {
		next := s.now().UTC().Truncate(time.Hour).Add(time.Hour)
		w.Header().Set("Retry-After", strconv.Itoa(int(next.Sub(s.now()).Seconds())+1))
		fail(w, http.StatusTooManyRequests, fmt.Sprintf("%s has sent this inbox %d bytes this hour, its limit; send again in the next hour", host, s.cfg.InboxQuota))
		return
	}
	if err != nil {
		s.log.Error("inbox: store activity", "err", err)
		fail(w, http.StatusInternalServerError, "could not store the activity")
		return
	}
	if fresh {
		notify(s.inboxCh)
	}
	w.WriteHeader(http.StatusAccepted)
}

// storeActivity stores a received activity once per sender and id, its
// bytes charged to the sending host's quota (proposals.ErrTooMany past it).
// It reports false for a redelivery, which costs nothing.
func (s *Service) storeActivity(ctx context.Context, act vocab.Activity, host string, body []byte) (fresh bool, err error) {
	charged, err := s.quota.charge(ctx, host, int64(len(body)), s.now())
	if err != nil {
		return false, err
	}
	err = s.db.Single(ctx, func(tx *storage.Tx) (err error) {
		fresh, err = tx.RecordInboxActivity(ctx, act.ID, act.Type, act.Actor, host, string(body), s.now())
		return err
	})
	if !fresh {
		s.quota.refund(charged, int64(len(body)))
	}
	return fresh, err
}

// signatureRefusal says why a signature was refused in what the sender needs
// to fix, without the details of our lookup (addresses dialled, remote
// errors), which are logged instead.
func signatureRefusal(err error) string {
	switch {
	case errors.Is(err, signing.ErrNoSignature):
		return "signature refused: the request is not signed (sign it with an HTTP Signature)"
	case errors.Is(err, signing.ErrDateOutOfWindow):
		return "signature refused: the Date header is missing, malformed or out of range (at most 1 hour ahead, 65 minutes behind)"
	case errors.Is(err, signing.ErrMissingHeaders):
		return "signature refused: the signature must cover (request-target), host, date and, with a body, digest"
	case errors.Is(err, signing.ErrBadDigest):
		return "signature refused: the Digest header does not match the body"
	case errors.Is(err, signing.ErrKeyRefused):
		return "signature refused: the signing key could not be used (its server refused it, or it is not its owner's key)"
	}
	return "signature refused: it does not verify with the key named by keyId"
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(h); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return t.Sub(now), true
	}
	return 0, false
}
