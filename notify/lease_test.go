package notify

import (
	"testing"
	"time"
)

// A claimed batch stays this process's while it may take to send it.
func TestTheLeaseCoversTheBatch(t *testing.T) {
	s := &Service{cfg: Config{Senders: 4, SendTimeout: 30 * time.Second}}
	if got, want := s.lease(), time.Duration(sendBatch/4)*30*time.Second+time.Minute; got != want {
		t.Errorf("lease %s, want %s (%d messages, 4 at once, 30 s each, and a minute)", got, want, sendBatch)
	}
}
