package vocab

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/commonground/commonground/proposals"
)

// Fuzz targets for every reader of remote input in this package. Each checks
// what its callers rely on: it never panics; a refusal wraps ErrInvalid (the
// inbox answers 400 for those and 500 for anything else, so an unwrapped
// error would make a sender retry forever); and what it accepts holds the
// promises its doc comment makes. CI runs each briefly (.ci/run).

// seedDocuments adds every document this package writes (the goldens) and
// the peers' documents the tests read, so that fuzzing starts from real shapes.
func seedDocuments(f *testing.F) {
	goldens, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, path := range goldens {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	for _, doc := range []string{mastodonFollow, mastodonCreate, `{}`, `[]`, `null`, `{"type":"Note"}`,
		`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Like","actor":"https://a.example/u","object":["https://b.example/x"]}`,
		`{"id":"https://gts.example/users/a/main-key","owner":"https://gts.example/users/a","publicKeyPem":"-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----"}`,
		`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://m.example/c","type":"OrderedCollection","totalItems":2,"first":{"type":"OrderedCollectionPage","orderedItems":["https://m.example/1",{"id":"https://m.example/2","type":"Note"}]}}`,
	} {
		f.Add([]byte(doc))
	}
}

// refusedProperly fails the fuzz run when err is a refusal that does not say
// the input was at fault.
func refusedProperly(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("refusal does not wrap ErrInvalid: %v", err)
	}
}

func absoluteIRI(t *testing.T, name, v string) {
	t.Helper()
	if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
		t.Fatalf("accepted with %s %q, not an absolute IRI", name, v)
	}
}

// storable fails when a text could not be stored in PostgreSQL.
func storable(t *testing.T, fields ...string) {
	t.Helper()
	for _, s := range fields {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Fatalf("accepted a text PostgreSQL cannot store: %q", s)
		}
	}
}

func FuzzParseActivity(f *testing.F) {
	seedDocuments(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseActivity(data)
		if err != nil {
			refusedProperly(t, err)
			return
		}
		absoluteIRI(t, "id", a.ID)
		absoluteIRI(t, "actor", a.Actor)
		storable(t, a.ID, a.Type, a.Actor, string(a.Raw))
		if a.Type == "" || string(a.Raw) != string(data) {
			t.Fatalf("accepted without a type, or Raw is not the body: %+v", a)
		}
		if a.Object != nil && !json.Valid(a.Object) || len(a.Objects) > 0 && (a.Object != nil || a.ObjectID != "") {
			t.Fatalf("object fields disagree: %+v", a)
		}
		for _, o := range a.Objects {
			if !json.Valid(o) {
				t.Fatalf("an object is not JSON: %s", o)
			}
		}
	})
}

func FuzzParseActor(f *testing.F) {
	seedDocuments(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseActor(data)
		if err != nil {
			refusedProperly(t, err)
			return
		}
		absoluteIRI(t, "id", r.ID)
		absoluteIRI(t, "inbox", r.Inbox)
		if !actorTypes[r.Type] {
			t.Fatalf("accepted an actor of type %q", r.Type)
		}
		storable(t, r.ID, r.Type, r.Inbox, r.SharedInbox, r.Featured, r.PreferredUsername, r.Name, r.Summary, r.URL, r.PublicKeyID, r.PublicKeyPEM)
	})
}

func FuzzParsePublicKeyDoc(f *testing.F) {
	seedDocuments(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		id, owner, pem, err := ParsePublicKeyDoc(data)
		if err != nil {
			refusedProperly(t, err)
			return
		}
		absoluteIRI(t, "key id", id)
		absoluteIRI(t, "key owner", owner)
		if pem == "" {
			t.Fatal("accepted a key without PEM")
		}
		storable(t, id, owner, pem)
	})
}

// FuzzParseNote also checks that a statement read from a peer is one this
// instance can publish again unchanged: marshalled and parsed back, it is
// the same statement.
func FuzzParseNote(f *testing.F) {
	seedDocuments(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseNote(data)
		if err != nil {
			refusedProperly(t, err)
			return
		}
		absoluteIRI(t, "id", n.ID)
		if n.Statement == nil {
			return
		}
		for _, it := range n.Statement.Statement.Items {
			storable(t, it.ID, it.Text)
		}
		again, err := MarshalNote(Note{ID: n.ID, AttributedTo: actorID, Statement: n.Statement})
		if err != nil {
			t.Fatalf("a statement read could not be written: %v", err)
		}
		back, err := ParseNote(again)
		if err != nil {
			t.Fatalf("a statement written could not be read: %v\n%s", err, again)
		}
		if !sameStatement(*back.Statement, *n.Statement) {
			t.Fatalf("statement changed on the way round:\n%+v\n%+v", *n.Statement, *back.Statement)
		}
	})
}

func sameStatement(a, b StatementDoc) bool {
	norm := func(items []proposals.Item) []proposals.Item {
		if len(items) == 0 {
			return nil
		}
		return items
	}
	return a.Version == b.Version && a.AdoptedAt.Equal(b.AdoptedAt) && a.Statement.Preamble == b.Statement.Preamble &&
		reflect.DeepEqual(norm(a.Statement.Items), norm(b.Statement.Items))
}

func FuzzParseCollection(f *testing.F) {
	seedDocuments(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, items, ids, first, err := ParseCollection(data)
		if err != nil {
			refusedProperly(t, err)
			return
		}
		if len(items) != len(ids) {
			t.Fatalf("%d items but %d ids", len(items), len(ids))
		}
		for _, it := range items {
			if !json.Valid(it) {
				t.Fatalf("an item is not JSON: %s", it)
			}
		}
		storable(t, append(ids, first)...)
	})
}

// FuzzStatementHTML: whatever a statement holds, what Mastodon is sent uses
// only tags its sanitiser keeps, and every text shows as written (escaped).
func FuzzStatementHTML(f *testing.F) {
	f.Add("Water <Now>", "Protect the <river>", "We care.\n\nFor all.", "Clean water & lakes", "No <script>alert(1)</script>")
	f.Add("", "", "", "", "")
	f.Add("a\"b'c", "“quoted”", "\r\n\r\n", "<a href=x>", "&amp;")
	f.Fuzz(func(t *testing.T, name, title, preamble, objective, redLine string) {
		doc := StatementDoc{Version: 2, Statement: proposals.Statement{Preamble: preamble, Items: []proposals.Item{
			{ID: "o", Section: proposals.Objectives, Text: objective}, {ID: "r", Section: proposals.RedLines, Text: redLine}}}}
		out := AdoptionHTML(name, VersionChange{Title: title, Added: []ChangedItem{{Section: proposals.Objectives, New: objective}},
			Removed: []ChangedItem{{Section: proposals.RedLines, Old: redLine}}, DiffURL: "https://cg.example/statement/diff?from=1&to=2"}, doc)
		allowed := map[string]bool{"p": true, "ul": true, "ol": true, "li": true, "strong": true, "em": true, "a": true, "br": true}
		for _, m := range tagRE.FindAllStringSubmatch(out, -1) {
			if !allowed[m[2]] {
				t.Fatalf("tag %q would not survive Mastodon's sanitiser:\n%s", m[0], out)
			}
		}
		if strings.Count(out, "<") != len(tagRE.FindAllString(out, -1)) {
			t.Fatalf("a '<' that is not one of our tags:\n%s", out)
		}
		for _, text := range []string{name, title, objective, redLine} {
			if line := strings.TrimSpace(strings.SplitN(strings.ReplaceAll(text, "\r", "\n"), "\n", 2)[0]); line != "" && !strings.Contains(out, textHTML(line)) {
				t.Fatalf("%q does not show as written:\n%s", line, out)
			}
		}
	})
}
