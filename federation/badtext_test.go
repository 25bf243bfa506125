package federation_test

import (
	"testing"
	"time"

	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// Invalid UTF-8 or NUL inside a signed activity is the sender's mistake: 400,
// so that it is not retried forever. (Before: 500 on PostgreSQL.)
func TestActivitiesWithBadTextAreRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		in := newInstance(t, db, 1)
		r := newRemote(t)
		actor := r.actor("eve")
		for name, body := range map[string]string{
			"invalid UTF-8 in a string": `{"@context":"https://www.w3.org/ns/activitystreams","id":"` + actor + `/likes/1","type":"Like","actor":"` + actor + `","object":"` + in.actor() + `","summary":"bad ` + "\xff\xfe" + ` bytes"}`,
			"NUL in the type":           `{"@context":"https://www.w3.org/ns/activitystreams","id":"` + actor + `/likes/2","type":"Like\u0000","actor":"` + actor + `","object":"` + in.actor() + `"}`,
			"NUL in a key":              `{"@context":"https://www.w3.org/ns/activitystreams","id":"` + actor + `/likes/3","type":"Like","actor":"` + actor + `","object":"` + in.actor() + `","a\u0000b":1}`,
		} {
			if got := post(t, in.url+"/inbox", []byte(body), actor+"#main-key", r.key, time.Now(), nil); got != 400 {
				t.Errorf("%s: %d, want 400", name, got)
			}
		}
		if n := inboxCount(t, in.db); n != 0 {
			t.Fatalf("%d refused activities stored", n)
		}
	})
}
