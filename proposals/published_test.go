package proposals

import (
	"testing"
	"time"
)

func TestMemoKeepsAValueUntilEmptiedOrExpired(t *testing.T) {
	var m memo[string]
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	if _, _, ok := m.get(now); ok {
		t.Fatal("an empty memo has a value")
	}
	_, generation, _ := m.get(now)
	m.put("v1", generation, now)
	if v, _, ok := m.get(now.Add(publishedTTL - time.Millisecond)); !ok || v != "v1" {
		t.Fatalf("got %q, %v; want v1 kept", v, ok)
	}
	if _, _, ok := m.get(now.Add(publishedTTL)); ok {
		t.Fatal("a value older than the TTL is still kept")
	}

	// A read that began before the memo was emptied must not be kept: it
	// may predate the change that emptied it.
	_, before, _ := m.get(now)
	m.empty()
	m.put("stale", before, now)
	if v, _, ok := m.get(now); ok {
		t.Fatalf("kept %q, read before the memo was emptied", v)
	}
	reads := 0
	read := func() (string, error) { reads++; return "v2", nil }
	for range 3 {
		if v, err := remember(&m, now, read); err != nil || v != "v2" {
			t.Fatalf("remember: %q, %v", v, err)
		}
	}
	if reads != 1 {
		t.Fatalf("read %d times, want once", reads)
	}
}
