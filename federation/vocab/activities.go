package vocab

import (
	"fmt"
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	asvocab "github.com/go-fed/activity/streams/vocab"
)

// activityType is what the go-fed activity types we send have in common.
type activityType interface {
	asvocab.Type
	addressed
	SetJSONLDId(asvocab.JSONLDIdProperty)
	SetActivityStreamsActor(asvocab.ActivityStreamsActorProperty)
	SetActivityStreamsObject(asvocab.ActivityStreamsObjectProperty)
	SetActivityStreamsPublished(asvocab.ActivityStreamsPublishedProperty)
}

// envelope is what an activity says besides its object.
type envelope struct {
	id, actor string
	to, cc    []string
	published time.Time
}

// buildActivity fills t and serialises it. object is an IRI (*url.URL) or a
// go-fed type; to and cc are always arrays in the result.
func buildActivity(t activityType, e envelope, object any) (map[string]any, error) {
	if err := require("activity id", e.id, "actor", e.actor); err != nil {
		return nil, err
	}
	var b builder
	t.SetJSONLDId(idProp(b.iri("id", e.id)))
	t.SetActivityStreamsActor(withIRIs(streams.NewActivityStreamsActorProperty(), b.iri("actor", e.actor)))
	setAudience(t, &b, e.to, e.cc)
	if !e.published.IsZero() {
		t.SetActivityStreamsPublished(withTime(streams.NewActivityStreamsPublishedProperty(), e.published))
	}
	if b.err != nil {
		return nil, b.err
	}
	obj := streams.NewActivityStreamsObjectProperty()
	switch o := object.(type) {
	case *url.URL:
		obj.AppendIRI(o)
	case asvocab.Type:
		if err := obj.AppendType(o); err != nil {
			return nil, fmt.Errorf("vocab: %s cannot be an object: %w", o.GetTypeName(), err)
		}
	}
	t.SetActivityStreamsObject(obj)
	m, err := serialize(t)
	if err != nil {
		return nil, err
	}
	forceArray(m, "to")
	forceArray(m, "cc")
	return m, nil
}

// MarshalCreate wraps the note in a Create by actor, addressed like the note.
func MarshalCreate(id, actor string, note Note) ([]byte, error) {
	if note.AttributedTo != actor {
		// Mastodon drops a Create whose actor is not the object's author.
		return nil, fmt.Errorf("vocab: Create by %q of a note attributed to %q", actor, note.AttributedTo)
	}
	t, err := noteType(note)
	if err != nil {
		return nil, err
	}
	m, err := buildActivity(streams.NewActivityStreamsCreate(),
		envelope{id: id, actor: actor, to: note.To, cc: note.Cc, published: note.Published}, t)
	if err != nil {
		return nil, err
	}
	decorateNote(m["object"].(map[string]any), note)
	return encode(m)
}

// MarshalUpdateActor announces a profile change: Mastodon replaces its copy of
// the actor with the whole object, so this carries all of it.
func MarshalUpdateActor(id string, actor Actor) ([]byte, error) {
	g, err := groupType(actor)
	if err != nil {
		return nil, err
	}
	m, err := buildActivity(streams.NewActivityStreamsUpdate(),
		envelope{id: id, actor: actor.ID, to: []string{PublicAddress}, cc: []string{actor.Followers}}, g)
	if err != nil {
		return nil, err
	}
	decorateActor(m["object"].(map[string]any), actor)
	return encode(m)
}

// MarshalDelete deletes a note, leaving a Tombstone that says what it was.
func MarshalDelete(id, actor, objectID string, to []string) ([]byte, error) {
	if err := require("deleted object id", objectID); err != nil {
		return nil, err
	}
	var b builder
	ts := streams.NewActivityStreamsTombstone()
	ts.SetJSONLDId(idProp(b.iri("deleted object id", objectID)))
	ts.SetActivityStreamsFormerType(withString(streams.NewActivityStreamsFormerTypeProperty(), "Note"))
	if b.err != nil {
		return nil, b.err
	}
	m, err := buildActivity(streams.NewActivityStreamsDelete(), envelope{id: id, actor: actor, to: to}, ts)
	if err != nil {
		return nil, err
	}
	return encode(m)
}

// MarshalAdd pins object (an IRI) in actor's collection target (its
// featured collection), as Mastodon does for a pinned post; MarshalRemove
// unpins it. Servers that read pins only from the actor (GoToSocial) need an
// Update of the actor as well.
func MarshalAdd(id, actor, object, target string) ([]byte, error) {
	return collectionChange(streams.NewActivityStreamsAdd(), id, actor, object, target)
}

// MarshalRemove unpins object (an IRI) from actor's collection target.
func MarshalRemove(id, actor, object, target string) ([]byte, error) {
	return collectionChange(streams.NewActivityStreamsRemove(), id, actor, object, target)
}

// collectionChange is an Add or a Remove of object to or from target,
// addressed to the public like the pinned post.
func collectionChange[T interface {
	activityType
	SetActivityStreamsTarget(asvocab.ActivityStreamsTargetProperty)
}](t T, id, actor, object, target string) ([]byte, error) {
	if err := require("object", object, "target collection", target); err != nil {
		return nil, err
	}
	var b builder
	obj, tgt := b.iri("object", object), b.iri("target collection", target)
	if b.err != nil {
		return nil, b.err
	}
	t.SetActivityStreamsTarget(withIRIs(streams.NewActivityStreamsTargetProperty(), tgt))
	m, err := buildActivity(t, envelope{id: id, actor: actor, to: []string{PublicAddress}}, obj)
	if err != nil {
		return nil, err
	}
	return encode(m)
}

// MarshalTombstone is what a deleted object's URL answers (with 410 Gone): a
// Tombstone saying what it was and when it was deleted, so that a peer that
// refetches it drops it rather than bring it back.
func MarshalTombstone(id, formerType string, deleted time.Time) ([]byte, error) {
	if err := require("deleted object id", id, "former type", formerType); err != nil {
		return nil, err
	}
	var b builder
	ts := streams.NewActivityStreamsTombstone()
	ts.SetJSONLDId(idProp(b.iri("deleted object id", id)))
	ts.SetActivityStreamsFormerType(withString(streams.NewActivityStreamsFormerTypeProperty(), formerType))
	if !deleted.IsZero() {
		ts.SetActivityStreamsDeleted(withTime(streams.NewActivityStreamsDeletedProperty(), deleted))
	}
	if b.err != nil {
		return nil, b.err
	}
	m, err := serialize(ts)
	if err != nil {
		return nil, err
	}
	return encode(m)
}

// MarshalFollow asks actor's server to follow object (an actor IRI).
func MarshalFollow(id, actor, object string) ([]byte, error) {
	if err := require("followed actor", object); err != nil {
		return nil, err
	}
	var b builder
	u := b.iri("followed actor", object)
	if b.err != nil {
		return nil, b.err
	}
	m, err := buildActivity(streams.NewActivityStreamsFollow(), envelope{id: id, actor: actor}, u)
	if err != nil {
		return nil, err
	}
	return encode(m)
}

// MarshalUndo undoes one of actor's own activities (inner, as JSON), which is
// embedded whole: peers match it by id, some also by its type and object.
func MarshalUndo(id, actor string, inner []byte) ([]byte, error) {
	in, err := ParseActivity(inner)
	if err != nil {
		return nil, fmt.Errorf("vocab: the activity to undo: %w", err)
	}
	if in.Actor != actor {
		return nil, fmt.Errorf("vocab: %s cannot undo an activity by %s", actor, in.Actor)
	}
	return wrapVerbatim(streams.NewActivityStreamsUndo(), envelope{id: id, actor: actor, to: in.To, cc: in.Cc}, in, false)
}

// MarshalAccept accepts a Follow of actor. The Follow is embedded exactly as
// received, with its id: Mastodon finds the pending follow request by it, and
// a lost or unmatched Accept leaves the follow "pending" forever.
func MarshalAccept(id, actor string, follow []byte) ([]byte, error) {
	return answerFollow(streams.NewActivityStreamsAccept(), id, actor, follow)
}

// MarshalReject refuses a Follow of actor, embedded exactly as received.
func MarshalReject(id, actor string, follow []byte) ([]byte, error) {
	return answerFollow(streams.NewActivityStreamsReject(), id, actor, follow)
}

func answerFollow(t activityType, id, actor string, follow []byte) ([]byte, error) {
	f, err := ParseActivity(follow)
	if err != nil {
		return nil, fmt.Errorf("vocab: the Follow to answer: %w", err)
	}
	if f.Type != "Follow" {
		return nil, fmt.Errorf("vocab: answering a %q, not a Follow", f.Type)
	}
	if f.ObjectID != actor {
		return nil, fmt.Errorf("vocab: the Follow is of %q, not of %q", f.ObjectID, actor)
	}
	return wrapVerbatim(t, envelope{id: id, actor: actor, to: []string{f.Actor}}, f, true)
}

// wrapVerbatim builds an activity whose object is inner as it was written.
// go-fed is given only inner's IRI, because re-serialising inner through
// go-fed would normalise it (single-element arrays flattened, nested
// @context dropped) and so no longer be what the peer sent. keepContext keeps
// inner's own @context, for a document received from a peer.
func wrapVerbatim(t activityType, e envelope, inner Activity, keepContext bool) ([]byte, error) {
	embedded, err := decodeObject(inner.Raw)
	if err != nil {
		return nil, err
	}
	if !keepContext {
		delete(embedded, "@context")
	}
	var b builder
	u := b.iri("object id", inner.ID)
	if b.err != nil {
		return nil, b.err
	}
	m, err := buildActivity(t, e, u)
	if err != nil {
		return nil, err
	}
	m["object"] = embedded
	return encode(m)
}

// MarshalOrderedCollection writes an outbox, followers, following or
// featured collection in one page. Give either items (objects as JSON,
// embedded without their @context) or ids (item IRIs), not both. totalItems
// may be larger than the items shown (a followers count without the list).
func MarshalOrderedCollection(id string, totalItems int, items [][]byte, ids []string) ([]byte, error) {
	if len(items) > 0 && len(ids) > 0 {
		return nil, fmt.Errorf("vocab: collection %s: give items or ids, not both", id)
	}
	if totalItems < 0 {
		return nil, fmt.Errorf("vocab: collection %s: negative totalItems %d", id, totalItems)
	}
	if err := require("collection id", id); err != nil {
		return nil, err
	}
	embedded, err := decodeItems(items)
	if err != nil {
		return nil, fmt.Errorf("vocab: collection %s: %w", id, err)
	}
	var b builder
	c := streams.NewActivityStreamsOrderedCollection()
	c.SetJSONLDId(idProp(b.iri("id", id)))
	total := streams.NewActivityStreamsTotalItemsProperty()
	total.Set(totalItems)
	c.SetActivityStreamsTotalItems(total)
	if len(ids) > 0 {
		c.SetActivityStreamsOrderedItems(withIRIs(streams.NewActivityStreamsOrderedItemsProperty(), b.iris("item", ids)...))
	}
	if b.err != nil {
		return nil, b.err
	}
	m, err := serialize(c)
	if err != nil {
		return nil, err
	}
	switch {
	case len(embedded) > 0:
		m["orderedItems"] = embedded
	case len(ids) > 0:
		forceArray(m, "orderedItems")
	default:
		m["orderedItems"] = []any{} // an empty list, not a missing one
	}
	return encode(m)
}

func decodeItems(items [][]byte) ([]any, error) {
	out := make([]any, 0, len(items))
	for i, raw := range items {
		m, err := decodeObject(raw)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		delete(m, "@context")
		out = append(out, m)
	}
	return out, nil
}
