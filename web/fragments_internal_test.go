package web

import (
	"html/template"
	"strings"
	"testing"
)

// A fragment is rendered once per key, and what is kept stays within
// fragmentBytesKept: past it the cache starts over, and a fragment too large
// to keep is rendered each time.
func TestFragmentsAreKeptWithinTheirBound(t *testing.T) {
	var f fragments
	renders := 0
	of := func(size int) func() (template.HTML, error) {
		return func() (template.HTML, error) { renders++; return template.HTML(strings.Repeat("x", size)), nil }
	}
	get := func(key fragmentKey, size int) {
		t.Helper()
		html, err := f.render(key, of(size))
		if err != nil || len(html) != size {
			t.Fatalf("%v: %d bytes, %v", key, len(html), err)
		}
	}
	a, b := fragmentKey{part: "discussion", edition: 1, variant: "UTC"}, fragmentKey{part: "discussion", edition: 1, variant: "Asia/Tokyo"}
	get(a, 1000)
	get(a, 1000)
	get(b, 1000)
	if renders != 2 {
		t.Errorf("two keys read three times rendered %d times, want 2", renders)
	}
	huge := fragmentKey{part: "votes", edition: 2}
	get(huge, fragmentBytesKept/4+1)
	get(huge, fragmentBytesKept/4+1)
	if renders != 4 || f.bytes != 2000 {
		t.Errorf("a fragment too large to keep: %d renders, %d bytes kept; want 4 and 2000", renders, f.bytes)
	}
	for e := range uint64(5) {
		get(fragmentKey{part: "votes", page: int64(100 + e), edition: 3 + e}, fragmentBytesKept/4)
	}
	if f.bytes > fragmentBytesKept {
		t.Errorf("%d bytes kept, more than %d", f.bytes, fragmentBytesKept)
	}
	renders = 0
	get(a, 1000)
	if renders != 1 {
		t.Errorf("after the cache started over, a was not rendered again")
	}

	// A page's newer edition takes the place of its older ones, of every
	// variant; an older one rendered late is not kept.
	f = fragments{}
	for e := range uint64(100) { // a busy vote: an edition a vote
		get(fragmentKey{part: "discussion", page: 7, edition: 10 + e, variant: "UTC"}, 1000)
		get(fragmentKey{part: "discussion", page: 7, edition: 10 + e, variant: "Asia/Tokyo"}, 1000)
		get(fragmentKey{part: "votes", page: 7, edition: 10 + e}, 1000)
	}
	get(fragmentKey{part: "discussion", page: 8, edition: 1, variant: "UTC"}, 1000)
	get(fragmentKey{part: "discussion", page: 7, edition: 5, variant: "UTC"}, 1000)
	if len(f.kept) != 4 || f.bytes != 4000 {
		t.Errorf("%d fragments kept (%d bytes), want the newest 3 of page 7 and 1 of page 8", len(f.kept), f.bytes)
	}
}
