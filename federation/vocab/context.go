// Package vocab converts between plain Go structs and ActivityStreams JSON-LD.
//
// Documents are built and validated with go-fed's streams package (this is the
// only package of the repository that imports it: it is ~480k generated lines
// and slow to compile), then post-processed where go-fed v1.0.0's output does
// not match what Mastodon and GoToSocial expect:
//
//   - @context is replaced by one fixed context that declares Mastodon's terms
//     inline, instead of the bare "http://joinmastodon.org/ns" go-fed writes
//     (that IRI does not resolve and strict JSON-LD peers fail on it);
//   - attachment, to, cc and orderedItems are always arrays (go-fed writes a
//     single value as a bare object, and Mastodon then ignores profile fields);
//   - terms go-fed does not know (endpoints, manuallyApprovesFollowers,
//     PropertyValue's value, and our statement vocabulary) are added as plain
//     JSON keys after serialising, and read back from the raw JSON.
package vocab

// PublicAddress is the special collection that makes an activity public.
const PublicAddress = "https://www.w3.org/ns/activitystreams#Public"

const (
	activityStreamsContext = "https://www.w3.org/ns/activitystreams"
	securityContext        = "https://w3id.org/security/v1"

	// ExtensionNamespace is the IRI of Common Ground's own vocabulary,
	// declared in @context under the prefix "cg".
	ExtensionNamespace = "https://w3id.org/commonground#"
)

// JSON keys of the extension vocabulary. They carry the structured core
// statement inside a Note so that another Common Ground instance can follow
// items by id; Mastodon ignores them and shows the Note's HTML content.
// Every key has the "cg" prefix so that none can collide with an
// ActivityStreams term ("items" already means a collection's items there).
//
//	"cgStatement": {
//	  "cgVersion": 3,                          // statement version number
//	  "cgAdoptedAt": "2025-05-01T12:00:00Z",   // when that version was adopted
//	  "cgPreamble": "…",                       // plain text
//	  "cgItems": [                             // ordered (@list)
//	    {"cgItemId": "…", "cgSection": "objectives", "cgText": "…"}
//	  ]
//	}
const (
	termStatement = "cgStatement"
	termVersion   = "cgVersion"
	termAdoptedAt = "cgAdoptedAt"
	termPreamble  = "cgPreamble"
	termItems     = "cgItems"
	termItemID    = "cgItemId"
	termSection   = "cgSection"
	termText      = "cgText"
)

// jsonLDContext is the @context of every document this package writes. It is
// built afresh on each call so that no caller can alter a shared value.
//
// The "as" and "xsd" prefixes used below are defined by the ActivityStreams
// context itself; the toot/schema terms are exactly the ones Mastodon writes.
func jsonLDContext() []any {
	return []any{
		activityStreamsContext,
		securityContext,
		map[string]any{
			"toot":                      "http://joinmastodon.org/ns#",
			"featured":                  map[string]any{"@id": "toot:featured", "@type": "@id"},
			"discoverable":              "toot:discoverable",
			"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
			"schema":                    "http://schema.org#",
			"PropertyValue":             "schema:PropertyValue",
			"value":                     "schema:value",

			"cg":          ExtensionNamespace,
			termStatement: "cg:statement",
			termVersion:   "cg:version",
			termAdoptedAt: map[string]any{"@id": "cg:adoptedAt", "@type": "xsd:dateTime"},
			termPreamble:  "cg:preamble",
			// @list: JSON-LD arrays are unordered sets unless declared as lists,
			// and the order of items is part of the statement.
			termItems:   map[string]any{"@id": "cg:items", "@container": "@list"},
			termItemID:  "cg:itemId",
			termSection: "cg:section",
			termText:    "cg:text",

			termJoint:        "cg:jointStatement",
			termJointID:      map[string]any{"@id": "cg:jointId", "@type": "@id"},
			termHash:         "cg:hash",
			termTitle:        "cg:title",
			termInitiator:    map[string]any{"@id": "cg:initiator", "@type": "@id"},
			termInvited:      map[string]any{"@id": "cg:invited", "@type": "@id"},
			termParticipants: "cg:participants",
			termActor:        map[string]any{"@id": "cg:actor", "@type": "@id"},
			termName:         "cg:name",
			termHandle:       "cg:handle",
			termURL:          map[string]any{"@id": "cg:url", "@type": "@id"},
			termVerdicts:     "cg:verdicts",
			termVerdict:      "cg:verdict",
			termDecidedAt:    map[string]any{"@id": "cg:decidedAt", "@type": "xsd:dateTime"},
			// The outcome's own keys are consensus's JSON, not terms: a JSON-LD
			// processor drops them, and Common Ground reads them as they are.
			termOutcome: "cg:outcome",

			PairDecisionType: "cg:CommonGroundDecision",
			termPair:         "cg:pair",
			termOurs:         "cg:ours",
			termTheirs:       "cg:theirs",
			termDecision:     "cg:decision",
		},
	}
}
