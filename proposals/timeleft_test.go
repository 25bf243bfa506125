package proposals

import (
	"testing"
	"time"
)

func TestTimeLeftReadsForPeople(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	for left, want := range map[time.Duration]string{
		7*24*time.Hour - time.Second:    "7 days left",
		3*24*time.Hour + 13*time.Hour:   "4 days left",
		47 * time.Hour:                  "47 hours left",
		time.Hour + 59*time.Minute:      "1 hour left",
		59*time.Minute + 30*time.Second: "60 minutes left",
		30 * time.Second:                "1 minute left",
		-time.Minute:                    "closing now",
	} {
		if got := TimeLeft(now, now.Add(left)); got != want {
			t.Errorf("%s before the close: %q, want %q", left, got, want)
		}
	}
}
