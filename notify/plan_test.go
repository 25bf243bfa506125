package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/notify"
)

// The digest goes out at the digest hour where each member lives, and what
// they are told gives times in their zone.
func TestMembersAreToldInTheirOwnTimeZone(t *testing.T) {
	now := time.Date(2026, 11, 29, 9, 30, 0, 0, time.UTC)
	closes := time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)
	reach := notify.Reach{Email: true}
	address := notify.Address{Active: true, Email: "m@example.org", EmailVerified: true}
	for _, c := range []struct {
		zone       string
		digest     time.Time // when a digest planned now goes out, in UTC
		closesText string
	}{
		{"", time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC), "30 Nov 2026, 09:30 UTC"},
		{"Asia/Tokyo", time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC), "30 Nov 2026, 18:30 JST"},       // 18:30 there now
		{"America/New_York", time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), "30 Nov 2026, 04:30 EST"}, // 04:30 there now
		{"Asia/Kolkata", time.Date(2026, 11, 30, 1, 30, 0, 0, time.UTC), "30 Nov 2026, 15:00 IST"},     // 15:00 there now
		{"Asia/Dubai", time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC), "30 Nov 2026, 13:30 Asia/Dubai (UTC+04)"},
		{"Mars/Olympus", time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC), "30 Nov 2026, 09:30 UTC"}, // no longer known: UTC
	} {
		r := notify.Recipient{MemberID: 1, Address: address, TimeZone: c.zone,
			Modes: map[notify.Channel]notify.Mode{notify.Email: notify.Digest}}
		opened := notify.Plan(notify.Event{Kind: notify.VoteOpened, ProposalID: 4, Title: "Rent strike fund", ClosesAt: closes}, []notify.Recipient{r}, reach, now, 7)
		if len(opened) != 1 {
			t.Fatalf("%q: %d notifications, want 1", c.zone, len(opened))
		}
		if got := opened[0].Due; !got.Equal(c.digest) {
			t.Errorf("%q: the digest goes out at %s, want %s", c.zone, got.UTC(), c.digest)
		}
		if !strings.Contains(opened[0].Message.Body, "until "+c.closesText+".") {
			t.Errorf("%q: %q does not give the close as %s", c.zone, opened[0].Message.Body, c.closesText)
		}
	}
}

// Members in different zones are each told in theirs, from one event.
func TestOneEventIsWordedForEachZone(t *testing.T) {
	now := time.Date(2026, 11, 29, 9, 30, 0, 0, time.UTC)
	address := notify.Address{Active: true, Email: "m@example.org", EmailVerified: true}
	var rs []notify.Recipient
	for i, zone := range []string{"Europe/Paris", "", "Europe/Paris", "Asia/Tokyo"} {
		rs = append(rs, notify.Recipient{MemberID: int64(i + 1), Address: address, TimeZone: zone})
	}
	ns := notify.Plan(notify.Event{Kind: notify.VoteReminder, ProposalID: 4, Title: "Rent strike fund", ClosesAt: now.Add(24 * time.Hour)}, rs, notify.Reach{Email: true}, now, 7)
	want := []string{"30 Nov 2026, 10:30 CET", "30 Nov 2026, 09:30 UTC", "30 Nov 2026, 10:30 CET", "30 Nov 2026, 18:30 JST"}
	if len(ns) != len(want) {
		t.Fatalf("%d notifications, want %d", len(ns), len(want))
	}
	for i, n := range ns {
		if !strings.Contains(n.Message.Body, want[i]) {
			t.Errorf("member %d is told %q, want the close at %s", n.MemberID, n.Message.Body, want[i])
		}
	}
}

// On the days the clocks change, the digest still goes out once a day: at
// the digest hour, or just after it when the clocks skip it.
func TestTheDigestHourAcrossClockChanges(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, ny) }
	for _, c := range []struct {
		now  time.Time
		hour int
		want time.Time
	}{
		{at(2026, 3, 7, 3, 30), 2, at(2026, 3, 8, 3, 0)},   // 02:00 on 8 March is skipped: 03:00 EDT
		{at(2026, 3, 8, 1, 30), 2, at(2026, 3, 8, 3, 0)},   // the same, from just before the gap
		{at(2026, 3, 8, 3, 30), 2, at(2026, 3, 9, 2, 0)},   // the next day as usual
		{at(2026, 10, 31, 9, 0), 7, at(2026, 11, 1, 7, 0)}, // the day clocks go back: 07:00 EST
		{at(2026, 11, 1, 1, 30), 1, at(2026, 11, 2, 1, 0)}, // 01:00 comes twice that night: once a day, so tomorrow
	} {
		if got := notify.NextDigest(c.now, c.hour, ny); !got.Equal(c.want) {
			t.Errorf("after %s, the digest at %02d:00 goes out at %s, want %s", c.now, c.hour, got, c.want)
		}
	}
}
