package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commonground/commonground/proposals"
)

// Store is what notify needs from storage: transactions.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	ReadTx(ctx context.Context, fn func(Tx) error) error
	// Single runs fn outside a transaction: only for work of one statement.
	Single(ctx context.Context, fn func(Tx) error) error
}

// Tx is the storage port. Each method maps "no rows" to proposals.ErrNotFound.
type Tx interface {
	// NotifySince is when notifications began on the instance, set to now
	// the first time it is asked.
	NotifySince(ctx context.Context, now time.Time) (time.Time, error)
	// UnplannedEvents lists up to limit events since since that are due at
	// now (a reminder is due reminderBefore its vote closes) and were not
	// planned yet, oldest first.
	UnplannedEvents(ctx context.Context, since, now time.Time, reminderBefore time.Duration, limit int) ([]Event, error)
	// PurgeNotifications deletes what is done with and older than before:
	// notifications sent, failed or dropped, and the record of events
	// planned (the planner looks back less far than that).
	PurgeNotifications(ctx context.Context, before time.Time) (int64, error)
	// ClaimEvent records that e is planned; false when it was already.
	ClaimEvent(ctx context.Context, kind Kind, ref string, at time.Time) (bool, error)
	// Recipients are the active members e concerns, with their addresses
	// and their choices for its kind.
	Recipients(ctx context.Context, e Event) ([]Recipient, error)
	// EnqueueNotifications queues ns, each once (a second time is a no-op).
	EnqueueNotifications(ctx context.Context, ns []Notification, at time.Time) error
	// ClaimNotifications leases up to limit due notifications until
	// leaseUntil, counting the attempt, each with where its member can be
	// reached (Notification.To); the rest of the due digest notifications of
	// each member and channel it takes come too, whole.
	ClaimNotifications(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Notification, error)
	// FinishNotifications sets the status of ids: sent, failed or dropped,
	// or pending again from retryAt.
	FinishNotifications(ctx context.Context, ids []int64, status, errMsg string, retryAt *time.Time, at time.Time) error

	// Address is where a member can be reached now.
	Address(ctx context.Context, memberID int64) (Address, error)
	// NotifyModes are a member's choices (kinds they did not choose for are missing).
	NotifyModes(ctx context.Context, memberID int64) (map[Kind]map[Channel]Mode, error)
	// SetNotifyMode records a choice and drops what is queued against it.
	SetNotifyMode(ctx context.Context, memberID int64, kind Kind, ch Channel, mode Mode, at time.Time) error
	// QueueAgain queues n, or queues it again when it was queued before and
	// is done with (sent, failed or dropped) since before again: a message
	// the member asks for anew, like the link that confirms an address.
	QueueAgain(ctx context.Context, n Notification, again, at time.Time) error
	// SetEmail sets a member's address; a new one is not confirmed.
	SetEmail(ctx context.Context, memberID int64, email string, at time.Time) error
	// ConfirmEmail marks the member's address confirmed and drops the
	// confirmation messages still queued.
	ConfirmEmail(ctx context.Context, memberID int64, at time.Time) error

	FediverseAccount(ctx context.Context, memberID int64) (FediverseAccount, error)
	SaveFediverseAccount(ctx context.Context, a FediverseAccount) error
	// SaveFediverseAccountIfOlder saves a as the member's account unless the
	// one stored was created after notBefore (false then), in one statement.
	SaveFediverseAccountIfOlder(ctx context.Context, a FediverseAccount, notBefore time.Time) (bool, error)
	DeleteFediverseAccount(ctx context.Context, memberID int64) error

	// RecordVisit notes a view of the home page at now: a view more than
	// gap after the last one begins a new visit.
	RecordVisit(ctx context.Context, memberID int64, now time.Time, gap time.Duration) error
	// PreviousVisit is when the member's previous visit was, if any.
	PreviousVisit(ctx context.Context, memberID int64) (*time.Time, error)
	// Agenda gathers what the member's home page shows, one query a section.
	Agenda(ctx context.Context, memberID int64, since, now time.Time) (Agenda, error)
}

// Address is where a member can be reached.
type Address struct {
	Active bool
	Email  string
	// EmailVerified is true once the member confirmed the address.
	EmailVerified bool
	// Fediverse is the linked account, when proved.
	Fediverse *FediverseAccount
}

// Mail is one email to send.
type Mail struct {
	To, Subject, Text string
	// MessageID is stable per notification, so a receiving server can tell
	// a repeat (after a crash between sending and recording) from new mail.
	MessageID string
	// UnsubscribeURL turns this kind of email off, without sign-in
	// (List-Unsubscribe, with one-click POST).
	UnsubscribeURL string
}

// Mailer sends email. An error wrapping ErrRejected is final: the server
// refused the message for good (a 5xx answer).
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// ErrRejected is a mail server's permanent refusal.
var ErrRejected = errors.New("refused by the mail server")

// Account is a fediverse account, as its server describes it.
type Account struct {
	Handle, ActorID, Inbox string
}

// Messenger carries direct messages on the fediverse from the movement's actor.
type Messenger interface {
	// LookupAccount finds an account by @user@host.
	LookupAccount(ctx context.Context, handle string) (Account, error)
	// SendDirect queues a direct message to one account, once per key.
	SendDirect(ctx context.Context, key string, to Account, text string) error
}

// Config is how notifications are sent.
type Config struct {
	// BaseURL is the instance's https://host, for links.
	BaseURL string
	// DigestHour is the hour the daily digest goes out, in each member's
	// time zone (UTC for a member who set none).
	DigestHour int
	// Secret signs unsubscribe links.
	Secret []byte
	// Senders is how many messages this process sends at once (1 when 0).
	Senders int
	// SendTimeout is the longest one message may take to send (the mail
	// server's conversation; 30 s when 0, the mailer's default).
	SendTimeout time.Duration
}

// Service plans and sends notifications, and keeps members' choices.
type Service struct {
	cfg    Config
	store  Store
	mailer Mailer    // nil: email is off
	fedi   Messenger // nil: no direct messages
	log    *slog.Logger
	now    func() time.Time
	kick   chan struct{}
	// lastPurge is when this process last purged (Unix seconds).
	lastPurge atomic.Int64
	// since is when notifications began, once read: it never changes.
	since atomic.Pointer[time.Time]
}

// NewService returns the service; mailer nil turns email off, fedi nil
// direct messages.
func NewService(cfg Config, store Store, mailer Mailer, fedi Messenger, log *slog.Logger, now func() time.Time) *Service {
	return &Service{cfg: cfg, store: store, mailer: mailer, fedi: fedi, log: log, now: now, kick: make(chan struct{}, 1)}
}

// EmailOn reports whether the instance sends email.
func (s *Service) EmailOn() bool { return s.mailer != nil }

// FediverseOn reports whether the instance sends direct messages.
func (s *Service) FediverseOn() bool { return s.fedi != nil }

// Kick wakes the worker: something may have happened to tell members of.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run plans and sends, at once, whenever kicked, and every interval, until
// ctx ends. What is queued when it stops is sent after the next start.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := s.Work(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("notifications", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-ticker.C:
		}
	}
}

// How far back the planner looks for what happened (an instance down for
// longer does not announce old news when it comes back), and how long
// finished notifications are kept.
const (
	planLookback = 7 * 24 * time.Hour
	keepFor      = 30 * 24 * time.Hour
	purgeEvery   = time.Hour
)

// Work plans what happened and sends what is due, and now and then deletes
// what is done with.
func (s *Service) Work(ctx context.Context) error {
	if now := s.now(); now.Unix()-s.lastPurge.Load() >= int64(purgeEvery/time.Second) {
		s.lastPurge.Store(now.Unix())
		err := s.store.InTx(ctx, func(tx Tx) error { _, err := tx.PurgeNotifications(ctx, now.Add(-keepFor)); return err })
		if err != nil {
			return fmt.Errorf("purge notifications: %w", err)
		}
	}
	if _, err := s.PlanDue(ctx); err != nil {
		return fmt.Errorf("plan notifications: %w", err)
	}
	if _, err := s.SendDue(ctx); err != nil {
		return fmt.Errorf("send notifications: %w", err)
	}
	return nil
}

const planBatch = 64

// PlanDue queues the notifications of every event not planned yet, each
// event in one transaction with the record that it was planned: it is
// planned once, by one process, whole or not at all. It returns how many
// notifications were queued.
func (s *Service) PlanDue(ctx context.Context) (int, error) {
	queued := 0
	for ctx.Err() == nil {
		now := s.now()
		var events []Event
		var began time.Time
		err := s.store.InTx(ctx, func(tx Tx) error {
			since, err := s.notifySince(ctx, tx, now)
			if err != nil {
				return err
			}
			began = since
			if back := now.Add(-planLookback); since.Before(back) {
				since = back
			}
			events, err = tx.UnplannedEvents(ctx, since, now, ReminderBefore, planBatch)
			return err
		})
		if err != nil {
			return queued, err
		}
		s.since.CompareAndSwap(nil, &began) // committed: fixed from now on
		for _, e := range events {
			n, err := s.planEvent(ctx, e, now)
			if err != nil {
				return queued, err
			}
			queued += n
		}
		if len(events) < planBatch {
			return queued, nil
		}
	}
	return queued, ctx.Err()
}

// notifySince is when notifications began on the instance: read (and set,
// the first time) from the store until PlanDue kept it, since it is fixed.
func (s *Service) notifySince(ctx context.Context, tx Tx, now time.Time) (time.Time, error) {
	if p := s.since.Load(); p != nil {
		return *p, nil
	}
	return tx.NotifySince(ctx, now)
}

func (s *Service) planEvent(ctx context.Context, e Event, now time.Time) (n int, err error) {
	err = s.store.InTx(ctx, func(tx Tx) error {
		first, err := tx.ClaimEvent(ctx, e.Kind, e.Ref, now)
		if err != nil || !first {
			return err // another process planned it
		}
		if e.Kind == VoteReminder && e.ClosesAt.Sub(e.OpenedAt) <= ReminderBefore {
			return nil // a short vote: its opening notice is reminder enough
		}
		rs, err := tx.Recipients(ctx, e)
		if err != nil {
			return err
		}
		ns := Plan(e, rs, s.reach(), now, s.cfg.DigestHour)
		n = len(ns)
		return tx.EnqueueNotifications(ctx, ns, now)
	})
	return n, err
}

const sendBatch = 64

// SendDue sends every notification due now: one message each, or, for a
// member's digest on a channel, one message for all of it. It returns how
// many messages went out.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		now := s.now()
		var batch []Notification
		err := s.store.InTx(ctx, func(tx Tx) (err error) {
			batch, err = tx.ClaimNotifications(ctx, now, now.Add(s.lease()), sendBatch)
			return err
		})
		if err != nil || len(batch) == 0 {
			return sent, err
		}
		sent += s.deliverAll(ctx, groups(batch))
	}
	return sent, ctx.Err()
}

// lease is how long a claimed batch is this process's alone: long enough to
// send all of it (up to sendBatch messages, Senders at once, each taking up
// to SendTimeout) and a minute more, since a lease that lapsed mid-batch
// would let another process send the same messages again. A process that
// dies holding a batch leaves it to the others when the lease lapses.
func (s *Service) lease() time.Duration {
	timeout := s.cfg.SendTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	senders := max(1, s.cfg.Senders)
	return time.Duration((sendBatch+senders-1)/senders)*timeout + time.Minute
}

// deliverAll sends the groups, a few at once (Config.Senders): each message
// waits mostly on the mail server's answers.
func (s *Service) deliverAll(ctx context.Context, gs [][]Notification) int {
	var sent atomic.Int64
	var wg sync.WaitGroup
	slots := make(chan struct{}, max(1, s.cfg.Senders))
	for _, g := range gs {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if s.deliver(ctx, g) {
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	return int(sent.Load())
}

// groups puts each immediate notification alone, and a member's digest
// notifications on one channel together.
func groups(batch []Notification) [][]Notification {
	type key struct {
		member int64
		ch     Channel
	}
	var out [][]Notification
	digest := map[key]int{}
	for _, n := range batch {
		if n.Mode != Digest {
			out = append(out, []Notification{n})
			continue
		}
		k := key{n.MemberID, n.Channel}
		i, ok := digest[k]
		if !ok {
			i = len(out)
			digest[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], n)
	}
	return out
}

// deliver sends one message for group and records the result; it reports
// whether a message went out.
func (s *Service) deliver(ctx context.Context, group []Notification) bool {
	first := group[0]
	ids := make([]int64, len(group))
	for i, n := range group {
		ids[i] = n.ID
	}
	addr := first.To
	if !s.reach().Reaches(addr, first.Kind, first.Ref, first.Channel) {
		s.finish(ctx, ids, "dropped", "the member cannot be reached on this channel any more", nil)
		return false
	}
	err := s.send(ctx, addr, group)
	if ctx.Err() != nil {
		return false // stopped mid-send: the lease ends and it is tried again
	}
	now := s.now()
	if err == nil {
		s.finish(ctx, ids, "sent", "", nil)
		return true
	}
	retryAt := nextAttempt(first.Attempts, now)
	if errors.Is(err, ErrRejected) || errors.Is(err, proposals.ErrNotFound) {
		retryAt = nil
	}
	s.log.Warn("notification not sent", "member", first.MemberID, "channel", first.Channel, "attempts", first.Attempts, "retry", retryAt != nil, "err", err)
	status := "pending"
	if retryAt == nil {
		status = "failed"
	}
	s.finish(ctx, ids, status, truncate(err.Error(), 500), retryAt)
	return false
}

// reach is the channels this instance sends on.
func (s *Service) reach() Reach { return Reach{Email: s.mailer != nil, Fediverse: s.fedi != nil} }

// finish records how a send ended, even when shutdown began meanwhile: the
// message went out, and must not go again.
func (s *Service) finish(ctx context.Context, ids []int64, status, errMsg string, retryAt *time.Time) {
	rctx := context.WithoutCancel(ctx)
	err := s.store.InTx(rctx, func(tx Tx) error {
		return tx.FinishNotifications(rctx, ids, status, errMsg, retryAt, s.now())
	})
	if err != nil {
		s.log.Error("record notification", "ids", ids, "status", status, "err", err)
	}
}

func (s *Service) send(ctx context.Context, addr Address, group []Notification) error {
	first := group[0]
	subject, text := compose(group, s.cfg.BaseURL)
	if first.Channel == Fediverse {
		return s.fedi.SendDirect(ctx, fmt.Sprintf("n%d", first.ID), Account{Handle: addr.Fediverse.Handle,
			ActorID: addr.Fediverse.ActorID, Inbox: addr.Fediverse.Inbox}, subject+"\n\n"+text)
	}
	host := strings.TrimPrefix(strings.TrimPrefix(s.cfg.BaseURL, "https://"), "http://")
	messageID := fmt.Sprintf("<notification-%d@%s>", first.ID, host)
	if first.Kind == VerifyEmail {
		return s.mailer.Send(ctx, Mail{To: addr.Email, Subject: subject, Text: text, MessageID: messageID})
	}
	kind := string(first.Kind)
	if len(group) > 1 {
		kind = "all"
	}
	unsubscribe := s.UnsubscribeURL(first.MemberID, kind)
	text += "\n\n-- \nYou receive this because of your notification settings: " + s.cfg.BaseURL + "/account/notifications\n" +
		"Stop these emails: " + unsubscribe + "\n"
	return s.mailer.Send(ctx, Mail{To: addr.Email, Subject: subject, Text: text, MessageID: messageID, UnsubscribeURL: unsubscribe})
}

// compose words a message: one notification as it is, a digest as a list.
func compose(group []Notification, base string) (subject, text string) {
	if len(group) == 1 {
		n := group[0]
		return n.Subject, n.Body + "\n\n" + base + n.Link
	}
	sort.SliceStable(group, func(i, j int) bool { return kindOrder(group[i].Kind) < kindOrder(group[j].Kind) })
	var b strings.Builder
	fmt.Fprintf(&b, "What happened since the last digest (%d):\n", len(group))
	for _, n := range group {
		fmt.Fprintf(&b, "\n* %s\n  %s\n  %s\n", n.Subject, strings.ReplaceAll(n.Body, "\n", "\n  "), base+n.Link)
	}
	return fmt.Sprintf("Your daily digest: %d updates", len(group)), b.String()
}

func kindOrder(k Kind) int {
	for i, x := range Kinds {
		if x == k {
			return i
		}
	}
	return len(Kinds)
}

// truncate cuts s to at most n bytes without splitting a character:
// PostgreSQL refuses text that is not UTF-8.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}
