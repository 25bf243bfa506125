package vocab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-fed/activity/streams"
	asvocab "github.com/go-fed/activity/streams/vocab"
)

// ErrInvalid is wrapped by every parse error caused by the input, so that a
// handler can tell a bad request (answer 400) from its own failure.
var ErrInvalid = errors.New("vocab: invalid ActivityStreams document")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Activity is an incoming activity. Fields are read from the JSON as sent;
// go-fed only validates it, so that types go-fed does not know still parse.
type Activity struct {
	ID, Type, Actor string
	To, Cc          []string
	ObjectID        string   // object's id, or the object itself when it is an IRI
	ObjectType      string   // "" when the object is only an IRI
	Object          []byte   // raw JSON of the object when embedded (nil for an IRI)
	Objects         [][]byte // when object is an array of several: each element's raw JSON (an IRI as a JSON string); the fields above are then empty
	Raw             []byte   // the whole activity as received
	// Verdict: it carries cgVerdict, a verdict on a joint statement (an
	// Accept, Reject or Undo about a joint statement, not about a follow).
	Verdict bool
	// Documents: its object (or one of them) carries a statement or a joint
	// statement; otherwise no object needs reading as a Note of ours.
	Documents bool
}

// RemoteActor is another server's actor, as much of it as we use.
// PublicKeyOwner is as the document says: the caller checks that it is ID.
type RemoteActor struct {
	ID, Type, Inbox, SharedInbox, Outbox, Followers, Featured string
	PreferredUsername, Name, Summary, URL                     string
	PublicKeyID, PublicKeyOwner, PublicKeyPEM                 string
}

// ParsedNote is a Note as received.
type ParsedNote struct {
	ID, AttributedTo, Content, URL, InReplyTo, Name string
	Published                                       time.Time
	Statement                                       *StatementDoc // nil unless the note carries cgStatement
	Joint                                           *JointDoc     // nil unless the note carries cgJointStatement
}

var actorTypes = map[string]bool{
	"Person": true, "Group": true, "Service": true, "Application": true, "Organization": true,
}

var collectionTypes = map[string]bool{
	"OrderedCollection": true, "Collection": true, "OrderedCollectionPage": true, "CollectionPage": true,
}

// ParseActivity reads an activity posted to an inbox. A type this package
// does not know (Bite, EmojiReact, …) is not an error: the caller ignores
// types it does not handle. A single object or an array of them is accepted
// (GoToSocial may send one Create with several Notes): several objects are in
// Objects, and a one-element array is read as that element alone.
func ParseActivity(body []byte) (Activity, error) { return parseActivity(body, true) }

// ParseReceived reads an activity that ParseActivity accepted before (the
// inbox stores only those): the same fields, without go-fed's check, which
// costs five times the activity's signature check and was already passed.
func ParseReceived(body []byte) (Activity, error) { return parseActivity(body, false) }

func parseActivity(body []byte, check bool) (Activity, error) {
	m, err := decodeObject(body)
	if err != nil {
		return Activity{}, err
	}
	a := Activity{
		ID:    str(m["id"]),
		Type:  typeOf(m),
		Actor: idOf(m["actor"]),
		To:    audience(m["to"]),
		Cc:    audience(m["cc"]),
		Raw:   body,
	}
	_, a.Verdict = m[termVerdict]
	if err := requireIRIs("id", a.ID, "type", a.Type, "actor", a.Actor); err != nil {
		return Activity{}, err
	}
	if check {
		if _, err := validate(m); err != nil {
			return Activity{}, err
		}
	}
	a.Documents = carriesDocument(m["object"])
	if err := a.setObject(m["object"], body); err != nil {
		return Activity{}, err
	}
	return a, nil
}

// setObject fills the object fields from the decoded object value and the
// activity's body, which the object's raw JSON is cut from.
func (a *Activity) setObject(obj any, body []byte) error {
	if obj == nil {
		return nil
	}
	if iri, ok := obj.(string); ok {
		a.ObjectID = iri
		return nil
	}
	raw, err := rawField(body, "object")
	if err != nil {
		return err
	}
	list, isList := obj.([]any)
	if !isList {
		a.describeObject(obj, raw)
		return nil
	}
	elems := rawElements(raw)
	if len(list) == 1 {
		// In JSON-LD a one-element array is the same as the element alone.
		a.describeObject(list[0], elems[0])
		return nil
	}
	a.Objects = elems
	return nil
}

// carriesDocument reports whether obj, or an element of it, is an object
// with a statement or a joint statement.
func carriesDocument(obj any) bool {
	if list, ok := obj.([]any); ok {
		return slices.ContainsFunc(list, carriesDocument)
	}
	m, ok := obj.(map[string]any)
	if !ok {
		return false
	}
	_, statement := m[termStatement]
	_, joint := m[termJoint]
	return statement || joint
}

func (a *Activity) describeObject(obj any, raw []byte) {
	a.ObjectID = idOf(obj)
	if m, ok := obj.(map[string]any); ok {
		a.ObjectType, a.Object = typeOf(m), raw
	}
}

// ParseActor reads a remote actor document. publicKey may be one object, an
// array (the key owned by the actor is preferred) or only an IRI, which the
// caller then fetches and reads with ParsePublicKeyDoc.
func ParseActor(body []byte) (RemoteActor, error) {
	m, err := decodeObject(body)
	if err != nil {
		return RemoteActor{}, err
	}
	r := RemoteActor{ID: str(m["id"]), Type: typeOf(m), Inbox: idOf(m["inbox"])}
	if err := requireIRIs("id", r.ID, "type", r.Type, "inbox", r.Inbox); err != nil {
		return RemoteActor{}, err
	}
	if !actorTypes[r.Type] {
		return RemoteActor{}, invalid("%q is not an actor type", r.Type)
	}
	if _, err := validate(m); err != nil {
		return RemoteActor{}, err
	}
	if endpoints, ok := m["endpoints"].(map[string]any); ok {
		r.SharedInbox = idOf(endpoints["sharedInbox"])
	}
	r.Outbox, r.Followers, r.Featured = idOf(m["outbox"]), idOf(m["followers"]), idOf(m["featured"])
	r.PreferredUsername, r.Name, r.Summary = str(m["preferredUsername"]), str(m["name"]), str(m["summary"])
	r.URL = idOf(m["url"])
	r.PublicKeyID, r.PublicKeyOwner, r.PublicKeyPEM = pickKey(m["publicKey"], r.ID)
	return r, nil
}

// ParsePublicKeyDoc reads what a keyId dereferences to: an actor with
// publicKey (Mastodon: the keyId is the actor's IRI with #main-key) or a bare
// key {id, owner, publicKeyPem} (GoToSocial's /main-key stub).
func ParsePublicKeyDoc(body []byte) (id, owner, pem string, err error) {
	m, err := decodeObject(body)
	if err != nil {
		return "", "", "", err
	}
	if _, bare := m["publicKeyPem"]; bare {
		// Not validated with go-fed: a bare key often has no type, which go-fed refuses.
		id, owner, pem = str(m["id"]), idOf(m["owner"]), str(m["publicKeyPem"])
	} else {
		if _, ok := m["publicKey"]; !ok {
			return "", "", "", invalid("neither a key nor a document with publicKey")
		}
		if _, err := validate(m); err != nil {
			return "", "", "", err
		}
		id, owner, pem = pickKey(m["publicKey"], str(m["id"]))
	}
	if err := requireIRIs("key id", id, "key owner", owner); err != nil {
		return "", "", "", err
	}
	if pem == "" {
		return "", "", "", invalid("key %s has no publicKeyPem", id)
	}
	return id, owner, pem, nil
}

// ParseNote reads a Note (also one embedded in an activity, without @context),
// with its structured statement when it carries one.
func ParseNote(body []byte) (ParsedNote, error) {
	m, err := decodeObject(body)
	if err != nil {
		return ParsedNote{}, err
	}
	n := ParsedNote{ID: str(m["id"])}
	if err := requireIRIs("id", n.ID); err != nil {
		return ParsedNote{}, err
	}
	if t := typeOf(m); t != "Note" {
		return ParsedNote{}, invalid("expected a Note, got %q", t)
	}
	t, err := validate(m)
	if err != nil {
		return ParsedNote{}, err
	}
	n.Published = published(t)
	n.AttributedTo, n.URL, n.InReplyTo = idOf(m["attributedTo"]), idOf(m["url"]), idOf(m["inReplyTo"])
	n.Content, n.Name = content(m), str(m["name"])
	if n.Statement, err = parseStatement(m[termStatement]); err != nil {
		return ParsedNote{}, err
	}
	if n.Joint, err = parseJoint(m[termJoint]); err != nil {
		return ParsedNote{}, err
	}
	return n, nil
}

// ParseCollection reads a collection or one of its pages. items[i] is the raw
// JSON of each element (a JSON string for an IRI) and itemIDs[i] its IRI.
// first is the first page's IRI, for collections that list no items inline;
// when first is embedded with items (Mastodon's replies), they are returned
// as the collection's items. Following further pages is the caller's job.
func ParseCollection(body []byte) (totalItems int, items [][]byte, itemIDs []string, first string, err error) {
	m, err := decodeObject(body)
	if err != nil {
		return 0, nil, nil, "", err
	}
	if t := typeOf(m); !collectionTypes[t] {
		return 0, nil, nil, "", invalid("expected a collection, got %q", t)
	}
	if _, err := validate(m); err != nil {
		return 0, nil, nil, "", err
	}
	if items, itemIDs, err = listedItems(m, body); err != nil {
		return 0, nil, nil, "", err
	}
	if page, ok := m["first"].(map[string]any); ok && len(items) == 0 {
		raw, err := rawField(body, "first")
		if err != nil {
			return 0, nil, nil, "", err
		}
		if items, itemIDs, err = listedItems(page, raw); err != nil {
			return 0, nil, nil, "", err
		}
	}
	first = idOf(m["first"])
	totalItems = len(items)
	if n, ok := m["totalItems"].(float64); ok {
		totalItems = int(n)
	}
	return totalItems, items, itemIDs, first, nil
}

// listedItems returns m's orderedItems (or items) as raw JSON and ids; body
// is m's own JSON, which the raw elements are cut from.
func listedItems(m map[string]any, body []byte) ([][]byte, []string, error) {
	key := "orderedItems"
	if _, ok := m[key]; !ok {
		key = "items"
	}
	list, ok := m[key]
	if !ok {
		return nil, nil, nil
	}
	raw, err := rawField(body, key)
	if err != nil {
		return nil, nil, err
	}
	items := rawElements(raw)
	elems, ok := list.([]any)
	if !ok {
		elems = []any{list}
	}
	ids := make([]string, len(elems))
	for i, e := range elems {
		ids[i] = idOf(e)
	}
	return items, ids, nil
}

// decodeObject decodes a document that must be a JSON object. JSON must be
// UTF-8, and no text we keep may hold NUL: Go's decoder would quietly replace
// bad bytes (yet the raw body is stored as it came) and PostgreSQL refuses
// both, so a document with either is refused here, as the sender's mistake.
func decodeObject(body []byte) (map[string]any, error) {
	if !utf8.Valid(body) {
		return nil, invalid("not UTF-8")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, invalid("not JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("expected a JSON object, got %s", jsonKind(v))
	}
	if hasNUL(m) {
		return nil, invalid("a text holds the NUL character (\\u0000)")
	}
	return m, nil
}

// hasNUL reports whether any key or string in a decoded JSON value holds NUL.
func hasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.IndexByte(x, 0) >= 0
	case []any:
		return slices.ContainsFunc(x, hasNUL)
	case map[string]any:
		for k, e := range x {
			if strings.IndexByte(k, 0) >= 0 || hasNUL(e) {
				return true
			}
		}
	}
	return false
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// validate has go-fed deserialise the document and returns the typed value
// (nil for a type go-fed does not know: not an error, its properties are then
// unchecked). go-fed v1.0.0 is lenient: a property value it cannot read is
// kept as "unknown" rather than refused, so the dates we rely on are checked
// here against what go-fed made of them.
func validate(m map[string]any) (asvocab.Type, error) {
	if _, ok := m["@context"]; !ok {
		// Objects embedded in an activity have no @context, and go-fed refuses
		// a document without one. Copy rather than alter the caller's map.
		withCtx := make(map[string]any, len(m)+1)
		for k, v := range m {
			withCtx[k] = v
		}
		withCtx["@context"] = activityStreamsContext
		m = withCtx
	}
	t, err := streams.ToType(context.Background(), m)
	if errors.Is(err, streams.ErrUnhandledType) {
		return nil, nil
	}
	if err == nil {
		err = checkDates(t)
	}
	if err != nil {
		return nil, invalid("%s %s: %v", typeOf(m), str(m["id"]), err)
	}
	return t, nil
}

type (
	hasPublished interface {
		GetActivityStreamsPublished() asvocab.ActivityStreamsPublishedProperty
	}
	hasUpdated interface {
		GetActivityStreamsUpdated() asvocab.ActivityStreamsUpdatedProperty
	}
)

// checkDates refuses published and updated values that are not xsd:dateTime.
func checkDates(t asvocab.Type) error {
	if p, ok := t.(hasPublished); ok {
		if v := p.GetActivityStreamsPublished(); v != nil && !v.IsXMLSchemaDateTime() {
			return fmt.Errorf("published is not a date-time")
		}
	}
	if p, ok := t.(hasUpdated); ok {
		if v := p.GetActivityStreamsUpdated(); v != nil && !v.IsXMLSchemaDateTime() {
			return fmt.Errorf("updated is not a date-time")
		}
	}
	return nil
}

// published returns the date go-fed read, or the zero time.
func published(t asvocab.Type) time.Time {
	if p, ok := t.(hasPublished); ok {
		if v := p.GetActivityStreamsPublished(); v != nil && v.IsXMLSchemaDateTime() {
			return v.Get()
		}
	}
	return time.Time{}
}

// requireIRIs fails on the first empty value, and on a value that is not an
// absolute IRI unless its name is "type"; pairs are name, value.
func requireIRIs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		name, v := pairs[i], pairs[i+1]
		if v == "" {
			return invalid("missing %s", name)
		}
		if name == "type" {
			continue
		}
		if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
			return invalid("%s %q is not an absolute IRI", name, v)
		}
	}
	return nil
}

// rawField returns the JSON of one top-level key exactly as written, so that
// an embedded object can be handed on (or echoed in an Accept) unchanged.
func rawField(body []byte, key string) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, invalid("not JSON: %v", err)
	}
	return fields[key], nil
}

// rawElements splits valid JSON into array elements; a single value is a
// one-element list.
func rawElements(raw []byte) [][]byte {
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil {
		return [][]byte{raw}
	}
	out := make([][]byte, len(elems))
	for i, e := range elems {
		out[i] = e
	}
	return out
}

// Accessors for values whose shape varies between servers.

func str(v any) string {
	s, _ := v.(string)
	return s
}

// typeOf returns the type, or the first one when there are several.
func typeOf(m map[string]any) string {
	if ts, ok := m["type"].([]any); ok && len(ts) > 0 {
		return str(ts[0])
	}
	return str(m["type"])
}

// idOf returns the IRI a value stands for: the value itself, an embedded
// object's id, a Link's href, or that of the first element of an array.
func idOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if id := str(x["id"]); id != "" {
			return id
		}
		return str(x["href"])
	case []any:
		if len(x) > 0 {
			return idOf(x[0])
		}
	}
	return ""
}

// audience reads to or cc: one IRI or many, with the public collection's
// short forms ("as:Public", "Public") written out in full.
func audience(v any) []string {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var out []string
	for _, e := range list {
		id := idOf(e)
		switch id {
		case "":
			continue
		case "as:Public", "Public":
			id = PublicAddress
		}
		out = append(out, id)
	}
	return out
}

// content returns content, or else a contentMap entry (the first language in
// sorted order, so that the choice is stable).
func content(m map[string]any) string {
	if c, ok := m["content"].(string); ok {
		return c
	}
	cm, _ := m["contentMap"].(map[string]any)
	langs := make([]string, 0, len(cm))
	for lang := range cm {
		langs = append(langs, lang)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		if c := str(cm[lang]); c != "" {
			return c
		}
	}
	return ""
}

// pickKey reads a publicKey value: an object, an IRI, or an array of those,
// where the key owned by actorID wins. A key without owner is actorID's.
func pickKey(v any, actorID string) (id, owner, pem string) {
	keys, ok := v.([]any)
	if !ok {
		keys = []any{v}
	}
	for i, k := range keys {
		kid, kowner, kpem := idOf(k), actorID, ""
		if km, ok := k.(map[string]any); ok {
			kpem = str(km["publicKeyPem"])
			if o := idOf(km["owner"]); o != "" {
				kowner = o
			}
		}
		if i == 0 || (kowner == actorID && owner != actorID) {
			id, owner, pem = kid, kowner, kpem
		}
	}
	return id, owner, pem
}
