package vocab

import (
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	asvocab "github.com/go-fed/activity/streams/vocab"
)

// PropertyValue is one profile field; Mastodon shows them as a table.
type PropertyValue struct {
	Name  string
	Value string // may be HTML
}

// Actor is a movement's Group actor as we publish it.
type Actor struct {
	ID, Inbox, Outbox, Followers, Following, Featured, SharedInbox string
	PreferredUsername, Name, Summary, URL                          string // Summary is HTML
	IconURL, IconMediaType                                         string // optional
	PublicKeyID, PublicKeyPEM                                      string
	ManuallyApprovesFollowers, Discoverable                        bool
	Published                                                      time.Time
	Fields                                                         []PropertyValue
}

// Note is a post by a movement, usually its current core statement.
type Note struct {
	ID, AttributedTo, URL, Content string // Content is HTML
	Name                           string // optional
	Published                      time.Time
	Updated                        *time.Time
	To, Cc                         []string
	InReplyTo                      string
	Statement                      *StatementDoc // the structured statement, in the extension vocabulary
	Joint                          *JointDoc     // or a joint statement, in the extension vocabulary
	// Mentions are the actors the note names (id and @user@host): Mastodon
	// shows a note addressed only to mentioned actors as a direct message.
	Mentions []Mention
}

// Mention names an actor a note is addressed to.
type Mention struct{ Href, Name string }

// MarshalActor writes the actor as a Group with everything Mastodon needs to
// follow it: publicKey, endpoints.sharedInbox, featured and profile fields.
func MarshalActor(a Actor) ([]byte, error) {
	g, err := groupType(a)
	if err != nil {
		return nil, err
	}
	m, err := serialize(g)
	if err != nil {
		return nil, err
	}
	decorateActor(m, a)
	return encode(m)
}

func groupType(a Actor) (asvocab.ActivityStreamsGroup, error) {
	if err := require("actor id", a.ID, "inbox", a.Inbox, "outbox", a.Outbox,
		"followers", a.Followers, "preferredUsername", a.PreferredUsername,
		"publicKey id", a.PublicKeyID, "publicKeyPem", a.PublicKeyPEM); err != nil {
		return nil, err
	}
	var b builder
	id := b.iri("id", a.ID)
	g := streams.NewActivityStreamsGroup()
	g.SetJSONLDId(idProp(id))
	g.SetActivityStreamsInbox(withIRI(streams.NewActivityStreamsInboxProperty(), b.iri("inbox", a.Inbox)))
	g.SetActivityStreamsOutbox(withIRI(streams.NewActivityStreamsOutboxProperty(), b.iri("outbox", a.Outbox)))
	g.SetActivityStreamsFollowers(withIRI(streams.NewActivityStreamsFollowersProperty(), b.iri("followers", a.Followers)))
	if u := b.iri("following", a.Following); u != nil {
		g.SetActivityStreamsFollowing(withIRI(streams.NewActivityStreamsFollowingProperty(), u))
	}
	if u := b.iri("featured", a.Featured); u != nil {
		g.SetTootFeatured(withIRI(streams.NewTootFeaturedProperty(), u))
	}
	username := streams.NewActivityStreamsPreferredUsernameProperty()
	username.SetXMLSchemaString(a.PreferredUsername)
	g.SetActivityStreamsPreferredUsername(username)
	// name and summary are written even when empty: Mastodon then shows the
	// username and an empty bio rather than keeping stale values on Update.
	g.SetActivityStreamsName(withString(streams.NewActivityStreamsNameProperty(), a.Name))
	g.SetActivityStreamsSummary(withString(streams.NewActivityStreamsSummaryProperty(), a.Summary))
	if u := b.iri("url", a.URL); u != nil {
		g.SetActivityStreamsUrl(withIRIs(streams.NewActivityStreamsUrlProperty(), u))
	}
	if u := b.iri("icon", a.IconURL); u != nil {
		g.SetActivityStreamsIcon(iconProp(u, a.IconMediaType))
	}
	g.SetW3IDSecurityV1PublicKey(publicKeyProp(b.iri("publicKey id", a.PublicKeyID), id, a.PublicKeyPEM))
	if !a.Published.IsZero() {
		g.SetActivityStreamsPublished(withTime(streams.NewActivityStreamsPublishedProperty(), a.Published))
	}
	discoverable := streams.NewTootDiscoverableProperty()
	discoverable.Set(a.Discoverable)
	g.SetTootDiscoverable(discoverable)
	if len(a.Fields) > 0 {
		g.SetActivityStreamsAttachment(fieldsProp(a.Fields))
	}
	b.iri("sharedInbox", a.SharedInbox) // written by decorateActor; checked here with the rest
	return g, b.err
}

// decorateActor adds what go-fed v1.0.0 cannot express to a serialised Group.
func decorateActor(m map[string]any, a Actor) {
	m["manuallyApprovesFollowers"] = a.ManuallyApprovesFollowers
	if a.SharedInbox != "" {
		m["endpoints"] = map[string]any{"sharedInbox": a.SharedInbox}
	}
	if _, ok := m["attachment"]; ok {
		forceArray(m, "attachment")
	} else {
		m["attachment"] = []any{} // explicit: an Update then clears removed fields
	}
}

func iconProp(u *url.URL, mediaType string) asvocab.ActivityStreamsIconProperty {
	img := streams.NewActivityStreamsImage()
	img.SetActivityStreamsUrl(withIRIs(streams.NewActivityStreamsUrlProperty(), u))
	if mediaType != "" {
		mt := streams.NewActivityStreamsMediaTypeProperty()
		mt.Set(mediaType)
		img.SetActivityStreamsMediaType(mt)
	}
	p := streams.NewActivityStreamsIconProperty()
	p.AppendActivityStreamsImage(img)
	return p
}

// publicKeyProp writes the key Mastodon verifies our signatures with; its
// owner must be the actor's id.
func publicKeyProp(id, owner *url.URL, pem string) asvocab.W3IDSecurityV1PublicKeyProperty {
	key := streams.NewW3IDSecurityV1PublicKey()
	key.SetJSONLDId(idProp(id))
	key.SetW3IDSecurityV1Owner(withIRI(streams.NewW3IDSecurityV1OwnerProperty(), owner))
	pemProp := streams.NewW3IDSecurityV1PublicKeyPemProperty()
	pemProp.Set(pem)
	key.SetW3IDSecurityV1PublicKeyPem(pemProp)
	p := streams.NewW3IDSecurityV1PublicKeyProperty()
	p.AppendW3IDSecurityV1PublicKey(key)
	return p
}

// fieldsProp writes profile fields as schema.org PropertyValues. go-fed has no
// such type, so each is an Object whose type is overridden; go-fed has no
// schema:value either, and an object's unknown properties (the map that
// GetUnknownProperties returns, not a copy) are serialised as they are.
func fieldsProp(fields []PropertyValue) asvocab.ActivityStreamsAttachmentProperty {
	p := streams.NewActivityStreamsAttachmentProperty()
	for _, f := range fields {
		o := streams.NewActivityStreamsObject()
		o.SetJSONLDType(typeProp("PropertyValue"))
		o.SetActivityStreamsName(withString(streams.NewActivityStreamsNameProperty(), f.Name))
		o.GetUnknownProperties()["value"] = f.Value
		p.AppendActivityStreamsObject(o)
	}
	return p
}

// MarshalNote writes a Note, with the structured statement in the extension
// vocabulary when n.Statement is set.
func MarshalNote(n Note) ([]byte, error) {
	t, err := noteType(n)
	if err != nil {
		return nil, err
	}
	m, err := serialize(t)
	if err != nil {
		return nil, err
	}
	decorateNote(m, n)
	return encode(m)
}

func noteType(n Note) (asvocab.ActivityStreamsNote, error) {
	if err := require("note id", n.ID, "attributedTo", n.AttributedTo); err != nil {
		return nil, err
	}
	if err := n.Statement.validate(); err != nil {
		return nil, err
	}
	var b builder
	o := streams.NewActivityStreamsNote()
	o.SetJSONLDId(idProp(b.iri("id", n.ID)))
	o.SetActivityStreamsAttributedTo(withIRIs(streams.NewActivityStreamsAttributedToProperty(), b.iri("attributedTo", n.AttributedTo)))
	o.SetActivityStreamsContent(withString(streams.NewActivityStreamsContentProperty(), n.Content))
	if n.Name != "" {
		o.SetActivityStreamsName(withString(streams.NewActivityStreamsNameProperty(), n.Name))
	}
	if u := b.iri("url", n.URL); u != nil {
		o.SetActivityStreamsUrl(withIRIs(streams.NewActivityStreamsUrlProperty(), u))
	}
	if !n.Published.IsZero() {
		o.SetActivityStreamsPublished(withTime(streams.NewActivityStreamsPublishedProperty(), n.Published))
	}
	if n.Updated != nil {
		o.SetActivityStreamsUpdated(withTime(streams.NewActivityStreamsUpdatedProperty(), *n.Updated))
	}
	if u := b.iri("inReplyTo", n.InReplyTo); u != nil {
		o.SetActivityStreamsInReplyTo(withIRIs(streams.NewActivityStreamsInReplyToProperty(), u))
	}
	setAudience(o, &b, n.To, n.Cc)
	return o, b.err
}

// decorateNote adds the statement extension to a serialised Note.
func decorateNote(m map[string]any, n Note) {
	forceArray(m, "to")
	forceArray(m, "cc")
	if n.Statement != nil {
		m[termStatement] = n.Statement.wire()
	}
	if n.Joint != nil {
		m[termJoint] = n.Joint.wire()
	}
	if len(n.Mentions) > 0 {
		tags := make([]any, len(n.Mentions))
		for i, t := range n.Mentions {
			tags[i] = map[string]any{"type": "Mention", "href": t.Href, "name": t.Name}
		}
		m["tag"] = tags
	}
}

// addressed is any go-fed type with to and cc.
type addressed interface {
	SetActivityStreamsTo(asvocab.ActivityStreamsToProperty)
	SetActivityStreamsCc(asvocab.ActivityStreamsCcProperty)
}

func setAudience(t addressed, b *builder, to, cc []string) {
	if len(to) > 0 {
		t.SetActivityStreamsTo(withIRIs(streams.NewActivityStreamsToProperty(), b.iris("to", to)...))
	}
	if len(cc) > 0 {
		t.SetActivityStreamsCc(withIRIs(streams.NewActivityStreamsCcProperty(), b.iris("cc", cc)...))
	}
}
