package notify

import "time"

// Recipient is a member an event concerns, with where they can be reached
// and what they chose for the event's kind.
type Recipient struct {
	MemberID int64
	// Email is their address, "" when they gave none.
	Email string
	// Fediverse is true when they linked a fediverse account and proved it.
	Fediverse bool
	// Modes are their choices for this kind, by channel; a channel missing
	// takes the kind's default.
	Modes map[Channel]Mode
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
}

// Plan decides who is told of e, on which channel and when: each recipient
// on each channel they can be reached on (email only when the instance sends
// email) and did not turn off for e's kind, at now or at the next digest.
func Plan(e Event, rs []Recipient, emailOn bool, now time.Time, digestHour int) []Notification {
	msg := e.Message()
	var out []Notification
	for _, r := range rs {
		for _, ch := range Channels {
			if ch == Email && (!emailOn || r.Email == "") || ch == Fediverse && !r.Fediverse {
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
				due = NextDigest(now, digestHour)
			}
			out = append(out, Notification{MemberID: r.MemberID, Kind: e.Kind, Ref: e.Ref, Channel: ch, Mode: mode, Message: msg, Due: due})
		}
	}
	return out
}

// NextDigest is the next time the daily digest goes out after now: at hour
// o'clock UTC.
func NextDigest(now time.Time, hour int) time.Time {
	now = now.UTC()
	at := time.Date(now.Year(), now.Month(), now.Day(), hour, 0, 0, 0, time.UTC)
	if !at.After(now) {
		at = at.AddDate(0, 0, 1)
	}
	return at
}

// Retry policy for a message the mail server or the queue did not take.
const (
	maxAttempts = 8
	retryBase   = time.Minute
	maxRetry    = time.Hour
	// leaseFor is how long a claimed notification is left to its sender
	// before another may take it (the sender crashed).
	leaseFor = 2 * time.Minute
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
