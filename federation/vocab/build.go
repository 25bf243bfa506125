package vocab

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	asvocab "github.com/go-fed/activity/streams/vocab"
)

// builder turns the strings of our structs into the *url.URL values go-fed's
// setters want. It remembers the first bad IRI so that a Marshal function can
// set every property and check once, instead of after each field.
type builder struct{ err error }

// iri parses s as an absolute IRI; "" gives nil (the property is left out).
func (b *builder) iri(field, s string) *url.URL {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err == nil && (u.Scheme == "" || u.Host == "") {
		err = errors.New("not an absolute IRI")
	}
	if err != nil {
		if b.err == nil {
			b.err = fmt.Errorf("vocab: %s %q: %v", field, s, err)
		}
		return &url.URL{} // never nil: go-fed would panic serialising it
	}
	return u
}

func (b *builder) iris(field string, ss []string) []*url.URL {
	us := make([]*url.URL, 0, len(ss))
	for _, s := range ss {
		if u := b.iri(field, s); u != nil {
			us = append(us, u)
		}
	}
	return us
}

// require fails on the first empty value; pairs are field name, value.
func require(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return fmt.Errorf("vocab: %s is required", pairs[i])
		}
	}
	return nil
}

// Small generic setters: every go-fed property type has its own constructor
// but shares these method shapes, so one helper covers them all.

func withIRI[P interface{ SetIRI(*url.URL) }](p P, u *url.URL) P {
	p.SetIRI(u)
	return p
}

func withIRIs[P interface{ AppendIRI(*url.URL) }](p P, us ...*url.URL) P {
	for _, u := range us {
		p.AppendIRI(u)
	}
	return p
}

func withString[P interface{ AppendXMLSchemaString(string) }](p P, s string) P {
	p.AppendXMLSchemaString(s)
	return p
}

func withTime[P interface{ Set(time.Time) }](p P, t time.Time) P {
	p.Set(t.UTC()) // go-fed writes RFC 3339; UTC gives the usual "Z" form
	return p
}

func idProp(u *url.URL) asvocab.JSONLDIdProperty {
	p := streams.NewJSONLDIdProperty()
	p.Set(u)
	return p
}

func typeProp(name string) asvocab.JSONLDTypeProperty {
	return withString(streams.NewJSONLDTypeProperty(), name)
}

// serialize runs go-fed's serialiser and replaces the @context it produced
// (which names the bare, unresolvable "http://joinmastodon.org/ns").
func serialize(t asvocab.Type) (map[string]any, error) {
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("vocab: serialising %s: %w", t.GetTypeName(), err)
	}
	m["@context"] = jsonLDContext()
	return m, nil
}

// serializeEmbedded is serialize for an object that goes inside another one,
// where @context belongs only to the outer document.
func serializeEmbedded(t asvocab.Type) (map[string]any, error) {
	m, err := serialize(t)
	delete(m, "@context")
	return m, err
}

// forceArray rewrites a single value under key as a one-element array:
// go-fed writes a property with one value as the bare value, and Mastodon
// ignores profile fields unless attachment is an array.
func forceArray(m map[string]any, key string) {
	v, ok := m[key]
	if !ok {
		return
	}
	if _, isArray := v.([]any); !isArray {
		m[key] = []any{v}
	}
}

// encode writes JSON without escaping <, > and & as \u003c…: content is HTML,
// and the escaped form, though equivalent, is unreadable in logs and goldens.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("vocab: encoding JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
