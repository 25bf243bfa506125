package notify

import (
	"time"

	"github.com/commonground/commonground/proposals"
)

// Recipient is a member an event concerns, with where they can be reached
// and what they chose for the event's kind.
type Recipient struct {
	MemberID int64
	Address
	// Modes are their choices for this kind, by channel; a channel missing
	// takes the kind's default.
	Modes map[Channel]Mode
	// TimeZone is the zone they read times in (their setting): what they
	// are told gives times in it, and their digest goes out at the digest
	// hour there. "" (or a name no longer known) is UTC.
	TimeZone string
}

// Notification is one message queued for one member on one channel.
type Notification struct {
	ID       int64
	MemberID int64
	Kind     Kind
	Ref      string
	Channel  Channel
	Mode     Mode
	Message
	// Due is when it may be sent: at once, or at the next digest.
	Due      time.Time
	Attempts int
	// To is where the member can be reached, read when the notification
	// was claimed for sending.
	To Address
}

// Reach is the channels an instance sends on, and the one rule of whom a
// message reaches: planning and sending both ask it.
type Reach struct{ Email, Fediverse bool }

// Reaches reports whether a message of kind k about ref may go to a on ch:
// only to an active member; by email only when the instance sends email, to
// an address confirmed (the message that confirms an address goes to that
// address only, while it is still the member's); on the fediverse only when
// the instance sends direct messages, to an account proved.
func (r Reach) Reaches(a Address, k Kind, ref string, ch Channel) bool {
	if !a.Active {
		return false
	}
	switch ch {
	case Email:
		if k == VerifyEmail {
			return r.Email && a.Email != "" && ref == emailRef(a.Email)
		}
		return r.Email && a.Email != "" && a.EmailVerified
	case Fediverse:
		return k != VerifyEmail && r.Fediverse && a.Fediverse != nil && a.Fediverse.Verified()
	}
	return false
}

// Plan decides who is told of e, on which channel and when: each recipient
// on each channel reach says they can be reached on and they did not turn
// off for e's kind, at now or at the next digest.
func Plan(e Event, rs []Recipient, reach Reach, now time.Time, digestHour int) []Notification {
	type worded struct {
		loc *time.Location
		msg Message
	}
	byZone := map[string]worded{} // most members share a few zones
	var out []Notification
	for _, r := range rs {
		w, ok := byZone[r.TimeZone]
		if !ok {
			loc, err := proposals.LoadZone(r.TimeZone)
			if err != nil {
				loc = time.UTC
			}
			w = worded{loc, e.Message(loc)}
			byZone[r.TimeZone] = w
		}
		for _, ch := range Channels {
			if !reach.Reaches(r.Address, e.Kind, e.Ref, ch) {
				continue
			}
			mode := r.Modes[ch]
			if mode == "" {
				mode = DefaultMode(e.Kind)
			}
			if mode == Off {
				continue
			}
			due := now
			if mode == Digest {
				due = NextDigest(now, digestHour, w.loc)
			}
			out = append(out, Notification{MemberID: r.MemberID, Kind: e.Kind, Ref: e.Ref, Channel: ch, Mode: mode, Message: w.msg, Due: due})
		}
	}
	return out
}

// NextDigest is the next time the daily digest goes out after now for a
// member in loc: at hour o'clock there, or, on a day the clocks skip that
// hour, at the first hour after the gap.
func NextDigest(now time.Time, hour int, loc *time.Location) time.Time {
	local := now.In(loc)
	for day := 0; ; day++ {
		at := time.Date(local.Year(), local.Month(), local.Day()+day, hour, 0, 0, 0, loc)
		if at.Hour() != hour { // in the gap: Go moves it to either side
			at = time.Date(local.Year(), local.Month(), local.Day()+day, hour+1, 0, 0, 0, loc)
		}
		if at.After(now) {
			return at
		}
	}
}

// Retry policy for a message the mail server or the queue did not take.
const (
	maxAttempts = 8
	retryBase   = time.Minute
	maxRetry    = time.Hour
)

// nextAttempt is when to try again after the attempts so far, or nil to give up.
func nextAttempt(attempts int, now time.Time) *time.Time {
	if attempts >= maxAttempts {
		return nil
	}
	d := retryBase << (attempts - 1)
	if d > maxRetry || d <= 0 {
		d = maxRetry
	}
	at := now.Add(d)
	return &at
}
