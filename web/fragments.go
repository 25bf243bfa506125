package web

import (
	"html/template"
	"sync"
)

// fragmentBytesKept bounds the memory the fragments kept take. A discussion
// of a few hundred comments renders to a few hundred kilobytes, the votes of
// 10,000 voters to a few megabytes; the fragments read at once are those of
// the few proposals being read, in a few variants each (time zones,
// facilitators). Past the bound the cache starts over; a fragment larger
// than a quarter of it is rendered for each viewer, as without the cache.
const fragmentBytesKept = 32 << 20

// fragments keeps parts of pages rendered once for every viewer who sees
// them alike: the discussion and the votes of a proposal page, which under
// many readers took most of the server's time to render again for each
// (template execution, hundreds of comments). A fragment is named by what it
// was rendered from, including the edition of the data
// (proposals.ProposalView.Edition), so a new edition is rendered anew and
// nothing kept needs to be emptied; a page's older editions, never asked for
// again, are dropped when a newer one is kept (a busy vote makes a new
// edition with every vote).
type fragments struct {
	mu    sync.Mutex
	kept  map[fragmentKey]template.HTML
	bytes int // the size of what is kept
}

// fragmentKey names a fragment: which part of which page (a proposal's id),
// of which edition, and the variant (what else it was rendered from: a time
// zone, a role).
type fragmentKey struct {
	part    string
	page    int64
	edition uint64
	variant string
}

// render returns the fragment named key, rendering it the first time.
func (f *fragments) render(key fragmentKey, render func() (template.HTML, error)) (template.HTML, error) {
	f.mu.Lock()
	html, ok := f.kept[key]
	f.mu.Unlock()
	if ok {
		return html, nil
	}
	html, err := render()
	if err != nil || len(html) > fragmentBytesKept/4 {
		return html, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kept == nil || f.bytes+len(html) > fragmentBytesKept {
		f.kept, f.bytes = map[fragmentKey]template.HTML{}, 0
	}
	if _, ok := f.kept[key]; ok {
		return html, nil
	}
	for k := range f.kept {
		if k.part == key.part && k.page == key.page && k.edition > key.edition {
			return html, nil // rendered from a read that a newer one replaced
		}
	}
	for k, old := range f.kept {
		if k.part == key.part && k.page == key.page && k.edition < key.edition {
			delete(f.kept, k)
			f.bytes -= len(old)
		}
	}
	f.kept[key] = html
	f.bytes += len(html)
	return html, nil
}
