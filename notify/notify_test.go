package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/internal/testclock"
	"github.com/commonground/commonground/mailer"
	"github.com/commonground/commonground/notify"
	"github.com/commonground/commonground/notify/notifytest"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// world is a movement with an admin and members, a real SMTP server (STARTTLS
// and AUTH) and the notification service, all on one injected clock.
type world struct {
	db      *storage.DB
	svc     *proposals.Service
	clk     *testclock.Clock
	smtp    *notifytest.Server
	admin   proposals.Member
	members []proposals.Member
	secret  []byte
}

const base = "https://riverside.example"

func newWorld(t testing.TB, db *storage.DB, n int) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, clk: testclock.New(time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)), secret: []byte("test secret")}
	w.svc = proposals.NewService(db.Store(), w.clk.Now)
	admin, err := w.svc.Initialize(ctx, proposals.Founding{Movement: proposals.Movement{Name: "Riverside Tenants", Handle: "riverside"},
		Admin: proposals.NewAccount{Username: "ada", DisplayName: "Ada", Password: "correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	w.admin = admin
	for i := range n {
		m, err := w.svc.CreateMember(ctx, proposals.NewAccount{Username: fmt.Sprintf("m%02d", i), Password: "long enough pass"}, proposals.RoleMember)
		if err != nil {
			t.Fatal(err)
		}
		w.members = append(w.members, m)
	}
	w.smtp = notifytest.Start(t, notifytest.Options{TLS: true, User: "instance", Password: "mail secret"})
	return w
}

// notes is a notification service of this world: each call is a process
// of the instance (a restart makes a new one).
func (w *world) notes(t testing.TB) *notify.Service {
	t.Helper()
	m, err := mailer.New(mailer.Config{URL: w.smtp.URL(), From: "Riverside Tenants <notifications@riverside.example>", TLS: w.smtp.ClientTLS()}, w.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	return notify.NewService(notify.Config{BaseURL: base, DigestHour: 7, Secret: w.secret, Senders: 4}, w.db.Notify(), m, nil,
		slog.New(slog.NewTextHandler(io.Discard, nil)), w.clk.Now)
}

func (w *world) setEmail(t testing.TB, n *notify.Service, m proposals.Member, email string, choices ...notify.Choice) {
	t.Helper()
	if err := n.SaveSettings(context.Background(), m, email, choices); err != nil {
		t.Fatal(err)
	}
	if err := n.ConfirmEmail(context.Background(), m.ID, email, confirmToken(t, n, m.ID, email)); err != nil {
		t.Fatal(err)
	}
}

// confirmToken is the signature of the confirmation link, as mailed.
func confirmToken(t testing.TB, n *notify.Service, memberID int64, email string) string {
	u, err := url.Parse(n.EmailConfirmURL(memberID, email))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("t")
}

// openVote drafts a proposal and opens voting on it.
func (w *world) openVote(t testing.TB, title string) int64 {
	t.Helper()
	ctx := context.Background()
	p, err := w.svc.CreateProposal(ctx, w.admin, title, "Because.")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.AddChange(ctx, w.admin, p.ID, proposals.Change{Kind: proposals.AddItem, Section: proposals.Objectives, Text: title}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.OpenVoting(ctx, w.admin, p.ID); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func work(t *testing.T, n *notify.Service) {
	t.Helper()
	if err := n.Work(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func to(ms []notifytest.Received) map[string][]notifytest.Received {
	out := map[string][]notifytest.Received{}
	for _, m := range ms {
		for _, r := range m.To {
			out[r] = append(out[r], m)
		}
	}
	return out
}

func TestVotingOpenedIsEmailedToVotersWithAnAddress(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 3)
		n := w.notes(t)
		w.setEmail(t, n, w.admin, "ada@example.org")
		w.setEmail(t, n, w.members[0], "m0@example.org")
		w.setEmail(t, n, w.members[1], "m1@example.org", notify.Choice{Kind: notify.VoteOpened, Channel: notify.Email, Mode: notify.Off})
		// members[2] gave no address. members[0] reads times in Tokyo.
		if err := w.svc.SetTimeZone(context.Background(), w.members[0], "Asia/Tokyo"); err != nil {
			t.Fatal(err)
		}
		id := w.openVote(t, "Rent strike fund")
		work(t, n)

		got := to(w.smtp.WaitFor(t, 2, 10*time.Second))
		if len(got) != 2 || len(got["ada@example.org"]) != 1 || len(got["m0@example.org"]) != 1 {
			t.Fatalf("mail went to %v, want one each to ada and m0 (m1 turned it off, m2 has no address)", keys(got))
		}
		m := got["m0@example.org"][0]
		if !m.TLS || !m.Authenticated {
			t.Errorf("the message went without STARTTLS (%v) or without AUTH (%v)", m.TLS, m.Authenticated)
		}
		if subj := m.Header.Get("Subject"); subj != "Voting is open: Rent strike fund" {
			t.Errorf("subject %q", subj)
		}
		if !strings.Contains(m.Body, fmt.Sprintf("%s/proposals/%d", base, id)) || !strings.Contains(m.Body, "until 30 Nov 2026, 18:30 JST") {
			t.Errorf("the body does not link the proposal or give the deadline in Tokyo time:\n%s", m.Body)
		}
		if ada := got["ada@example.org"][0].Body; !strings.Contains(ada, "until 30 Nov 2026, 09:30 UTC") {
			t.Errorf("ada, who set no time zone, is not given the deadline in UTC:\n%s", ada)
		}
		unsub := m.Header.Get("List-Unsubscribe")
		if !strings.HasPrefix(unsub, "<"+base+"/unsubscribe?") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe %q, List-Unsubscribe-Post %q", unsub, m.Header.Get("List-Unsubscribe-Post"))
		}
		if !strings.Contains(m.Body, strings.Trim(unsub, "<>")) {
			t.Errorf("the body has no unsubscribe link:\n%s", m.Body)
		}
		work(t, n)
		if ms := w.smtp.Messages(); len(ms) != 2 {
			t.Errorf("working again sent %d messages in all, want still 2", len(ms))
		}
	})
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestReminderGoesADayBeforeTheCloseToWhoHasNotVoted(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 2)
		n := w.notes(t)
		for i, m := range w.members {
			w.setEmail(t, n, m, fmt.Sprintf("m%d@example.org", i), notify.Choice{Kind: notify.VoteOpened, Channel: notify.Email, Mode: notify.Off})
		}
		id := w.openVote(t, "Repair the lifts") // a week to vote
		work(t, n)
		if err := w.svc.CastVote(context.Background(), w.members[0], id, consensus.Agree, ""); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(6*24*time.Hour - time.Minute) // 24 h and a minute before the close
		work(t, n)
		if ms := w.smtp.Messages(); len(ms) != 0 {
			t.Fatalf("%d messages before the reminder is due (first to %v)", len(ms), ms[0].To)
		}
		w.clk.Advance(2 * time.Minute)
		work(t, n)
		ms := w.smtp.WaitFor(t, 1, 10*time.Second)
		if len(ms) != 1 || ms[0].To[0] != "m1@example.org" {
			t.Fatalf("reminders went to %v, want only m1 (m0 voted)", to(ms))
		}
		if subj := ms[0].Header.Get("Subject"); subj != "A day left to vote: Repair the lifts" {
			t.Errorf("subject %q", subj)
		}
		w.clk.Advance(time.Hour)
		work(t, n)
		if ms := w.smtp.Messages(); len(ms) != 1 {
			t.Errorf("%d messages after another hour, want the one reminder", len(ms))
		}
	})
}

// A vote longer than the planner looks back (a week) still gets its reminder.
func TestLongVoteGetsItsReminder(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 1)
		n := w.notes(t)
		w.setEmail(t, n, w.members[0], "m0@example.org", notify.Choice{Kind: notify.VoteOpened, Channel: notify.Email, Mode: notify.Off})
		w.setVotingPeriod(t, 10*24*time.Hour)
		w.openVote(t, "A long one")
		for range 9*24/6 - 1 { // the worker runs through the 9 days before the reminder
			w.clk.Advance(6 * time.Hour)
			work(t, n)
		}
		w.clk.Advance(6*time.Hour - time.Minute)
		work(t, n)
		if ms := w.smtp.Messages(); len(ms) != 0 {
			t.Fatalf("%d messages a day and more before the close", len(ms))
		}
		w.clk.Advance(2 * time.Minute)
		work(t, n)
		ms := w.smtp.WaitFor(t, 1, 10*time.Second)
		if subj := ms[0].Header.Get("Subject"); len(ms) != 1 || subj != "A day left to vote: A long one" {
			t.Errorf("%d messages, the first %q; want the reminder of a 10-day vote", len(ms), subj)
		}
	})
}

// setVotingPeriod sets how long votes last, for every part of the statement.
func (w *world) setVotingPeriod(t testing.TB, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	settings, _, err := w.svc.DecisionSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		s.VotingPeriod = d
		if err := w.svc.SaveDecisionSetting(ctx, w.admin, s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestShortVoteHasNoReminder(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 1)
		n := w.notes(t)
		w.setEmail(t, n, w.members[0], "m0@example.org")
		w.setVotingPeriod(t, 12*time.Hour)
		w.openVote(t, "A quick one")
		work(t, n)
		w.smtp.WaitFor(t, 1, 10*time.Second)
		w.clk.Advance(6 * time.Hour)
		work(t, n)
		if ms := w.smtp.Messages(); len(ms) != 1 {
			t.Errorf("%d messages, want only the opening notice: a 12-hour vote gets no reminder", len(ms))
		}
	})
}

func TestOutcomeAndNewVersionComeInOneDailyDigest(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 1)
		n := w.notes(t)
		m := w.members[0]
		w.setEmail(t, n, m, "m0@example.org", notify.Choice{Kind: notify.VoteOpened, Channel: notify.Email, Mode: notify.Off},
			notify.Choice{Kind: notify.VoteReminder, Channel: notify.Email, Mode: notify.Off})
		ctx := context.Background()
		id := w.openVote(t, "Tenants' assembly every month")
		for _, v := range []proposals.Member{w.admin, m} {
			if err := w.svc.CastVote(ctx, v, id, consensus.Agree, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.svc.CloseEarly(ctx, w.admin, id); err != nil {
			t.Fatal(err)
		}
		work(t, n) // 09:30: outcome and version wait for 07:00 tomorrow
		if ms := w.smtp.Messages(); len(ms) != 0 {
			t.Fatalf("%d messages before the digest hour", len(ms))
		}
		w.clk.Advance(21*time.Hour + 29*time.Minute) // 06:59
		work(t, n)
		if ms := w.smtp.Messages(); len(ms) != 0 {
			t.Fatalf("%d messages a minute before the digest hour", len(ms))
		}
		w.clk.Advance(time.Minute)
		work(t, n)
		ms := w.smtp.WaitFor(t, 1, 10*time.Second)
		if len(ms) != 1 {
			t.Fatalf("%d messages at the digest hour, want one digest", len(ms))
		}
		d := ms[0]
		if subj := d.Header.Get("Subject"); subj != "Your daily digest: 2 updates" {
			t.Errorf("subject %q", subj)
		}
		for _, want := range []string{"Decided: Tenants' assembly every month", "the proposal is adopted", "Version 2 of our statement", base + "/statement/diff?from=1&to=2"} {
			if !strings.Contains(d.Body, want) {
				t.Errorf("the digest lacks %q:\n%s", want, d.Body)
			}
		}
		if u := d.Header.Get("List-Unsubscribe"); !strings.Contains(u, "k=all") {
			t.Errorf("a digest's List-Unsubscribe should turn off all email, is %q", u)
		}
	})
}

func TestNothingIsSentTwiceAcrossARestart(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 2)
		first := w.notes(t)
		for i, m := range w.members {
			w.setEmail(t, first, m, fmt.Sprintf("m%d@example.org", i))
		}
		w.openVote(t, "Fix the heating")
		// Two processes plan the same event: one queues it.
		second := w.notes(t)
		ctx := context.Background()
		n1, err := first.PlanDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n2, err := second.PlanDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n1 != 2 || n2 != 0 {
			t.Fatalf("the processes queued %d and %d notifications, want 2 and 0", n1, n2)
		}
		// The first process claims them and crashes before sending.
		err = db.InTx(ctx, func(tx *storage.Tx) error {
			_, err := tx.ClaimNotifications(ctx, w.clk.Now(), w.clk.Now().Add(2*time.Minute), 10)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		restarted := w.notes(t)
		work(t, restarted)
		if ms := w.smtp.Messages(); len(ms) != 0 {
			t.Fatalf("%d messages sent while the crashed process's lease holds", len(ms))
		}
		w.smtp.FailNext(1) // and the mail server refuses one, for now
		w.clk.Advance(3 * time.Minute)
		work(t, restarted)
		if ms := w.smtp.WaitFor(t, 1, 10*time.Second); len(ms) != 1 {
			t.Fatalf("%d messages after the lease ended and one was refused, want 1", len(ms))
		}
		w.clk.Advance(2 * time.Minute) // past the retry delay
		again := w.notes(t)
		work(t, again)
		work(t, again)
		ms := w.smtp.WaitFor(t, 2, 10*time.Second)
		if got := to(ms); len(ms) != 2 || len(got["m0@example.org"]) != 1 || len(got["m1@example.org"]) != 1 {
			t.Fatalf("after the retry: %d messages to %v, want one each", len(ms), keys(got))
		}
		w.clk.Advance(time.Hour)
		work(t, w.notes(t))
		if ms := w.smtp.Messages(); len(ms) != 2 {
			t.Errorf("%d messages after another restart, want still 2", len(ms))
		}
	})
}

func TestUnsubscribeLinkTurnsOffItsKindWithoutSignIn(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 1)
		n := w.notes(t)
		m := w.members[0]
		w.setEmail(t, n, m, "m0@example.org")
		w.openVote(t, "First")
		work(t, n)
		msg := w.smtp.WaitFor(t, 1, 10*time.Second)[0]
		link, err := url.Parse(strings.Trim(msg.Header.Get("List-Unsubscribe"), "<>"))
		if err != nil {
			t.Fatal(err)
		}
		q := link.Query()
		memberID, _ := strconv.ParseInt(q.Get("m"), 10, 64)
		ctx := context.Background()
		// A forged link (another member, or a changed kind) is refused.
		if _, err := n.Unsubscribe(ctx, w.admin.ID, q.Get("k"), q.Get("t")); err == nil {
			t.Error("the link unsubscribed another member")
		}
		if _, err := n.Unsubscribe(ctx, memberID, "all", q.Get("t")); err == nil {
			t.Error("the link unsubscribed from every kind")
		}
		kinds, err := n.Unsubscribe(ctx, memberID, q.Get("k"), q.Get("t"))
		if err != nil || len(kinds) != 1 || kinds[0] != notify.VoteOpened {
			t.Fatalf("unsubscribe: %v %v", kinds, err)
		}
		st, err := n.Settings(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if st.Modes[notify.VoteOpened][notify.Email] != notify.Off || st.Modes[notify.VoteReminder][notify.Email] != notify.Immediate {
			t.Errorf("after unsubscribing: %v", st.Modes)
		}
		w.openVote(t, "Second")
		work(t, n)
		if ms := w.smtp.Messages(); len(ms) != 1 {
			t.Errorf("%d messages: the second vote was emailed after unsubscribing", len(ms))
		}
	})
}

func TestRepliesReachTheCommentsAuthor(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 1)
		n := w.notes(t)
		m := w.members[0]
		w.setEmail(t, n, m, "m0@example.org", notify.Choice{Kind: notify.VoteOpened, Channel: notify.Email, Mode: notify.Off},
			notify.Choice{Kind: notify.CommentReply, Channel: notify.Email, Mode: notify.Immediate})
		w.setEmail(t, n, w.admin, "ada@example.org", notify.Choice{Kind: notify.VoteOpened, Channel: notify.Email, Mode: notify.Off},
			notify.Choice{Kind: notify.CommentReply, Channel: notify.Email, Mode: notify.Immediate})
		ctx := context.Background()
		id := w.openVote(t, "Garden on the roof")
		parent, err := w.svc.AddComment(ctx, m, id, 0, "Who waters it?")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddComment(ctx, m, id, parent, "Answering myself: not me."); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddComment(ctx, w.admin, id, parent, "A rota, weekly."); err != nil {
			t.Fatal(err)
		}
		work(t, n)
		ms := w.smtp.WaitFor(t, 1, 10*time.Second)
		if len(ms) != 1 || ms[0].To[0] != "m0@example.org" {
			t.Fatalf("replies mailed to %v, want m0 once (their own reply is not news to them)", keys(to(ms)))
		}
		if !strings.Contains(ms[0].Body, "A rota, weekly.") || ms[0].Header.Get("Subject") != "Ada replied to you on Garden on the roof" {
			t.Errorf("subject %q, body:\n%s", ms[0].Header.Get("Subject"), ms[0].Body)
		}
	})
}

func TestEmailAddressesAreChecked(t *testing.T) {
	for _, bad := range []string{"not an address", "a@b", "Ada <ada@example.org>", "a@example.org, b@example.org", "a\n@example.org", strings.Repeat("a", 250) + "@example.org"} {
		if _, err := notify.CleanEmail(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
	if got, err := notify.CleanEmail("  ada@example.org "); err != nil || got != "ada@example.org" {
		t.Errorf("a good address: %q, %v", got, err)
	}
}

func TestARefusedAddressIsNotTriedAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 2)
		w.smtp = notifytest.Start(t, notifytest.Options{TLS: true, User: "instance", Password: "mail secret", Refuse: []string{"gone@example.org"}})
		n := w.notes(t)
		w.setEmail(t, n, w.members[0], "gone@example.org")
		w.setEmail(t, n, w.members[1], "m1@example.org")
		w.openVote(t, "Bike shed")
		work(t, n)
		w.smtp.WaitFor(t, 1, 10*time.Second)
		for range 3 {
			w.clk.Advance(time.Hour)
			work(t, n)
		}
		ctx := context.Background()
		var counts map[string]int
		if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) { counts, err = tx.NotificationCounts(ctx); return err }); err != nil {
			t.Fatal(err)
		}
		if counts["failed"] != 1 || counts["sent"] != 1 || counts["pending"] != 0 {
			t.Errorf("the queue holds %v, want one sent and the refused one failed for good", counts)
		}
	})
}

func TestWhatHappenedBeforeNotificationsBeganIsNotAnnounced(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 1)
		ctx := context.Background()
		id := w.openVote(t, "Decided long ago")
		if _, err := w.svc.CloseEarly(ctx, w.admin, id); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(time.Hour)
		n := w.notes(t) // the first start of a version with notifications
		w.setEmail(t, n, w.members[0], "m0@example.org")
		work(t, n)
		w.clk.Advance(24 * time.Hour) // past the digest hour
		work(t, n)
		if ms := w.smtp.Messages(); len(ms) != 0 {
			t.Errorf("%d messages about what was decided before notifications began", len(ms))
		}
		w.openVote(t, "After")
		work(t, n)
		if ms := w.smtp.WaitFor(t, 1, 10*time.Second); len(ms) != 1 {
			t.Errorf("%d messages after a vote opened, want 1", len(ms))
		}
	})
}

// The home page's sections about allies: a joint statement waiting for our
// decision, common ground an ally confirmed and we did not, an ally's new
// statement; and what was decided since the previous visit, which a reload
// within the hour does not clear.
func TestAgendaShowsWhatAlliesWaitForAndWhatIsNew(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 1)
		n := w.notes(t)
		ctx := context.Background()
		m := w.members[0]
		if _, err := n.Agenda(ctx, m); err != nil { // a first visit
			t.Fatal(err)
		}
		w.clk.Advance(2 * time.Hour)
		now := w.clk.Now()
		ally := "https://allies.example/users/bakers"
		err := db.InTx(ctx, func(tx *storage.Tx) error {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO remote_actors (id, type, handle, name, inbox, fetched_at) VALUES ($1, 'Group', 'bakers@allies.example', 'Bakers United', $1 || '/inbox', $2)`, []any{ally, now}},
				{`INSERT INTO remote_statements (actor_id, version, note_id, content, received_at) VALUES ($1, 3, $1 || '/v3', '{}', $2)`, []any{ally, now}},
				{`INSERT INTO joint_statements (iri, initiator, created_at, updated_at) VALUES ($1 || '/joint/1', $1, $2, $2)`, []any{ally, now}},
				{`INSERT INTO joint_versions (joint_id, number, content, hash, created_at) SELECT id, 1, '{"title":"Bread and homes"}', 'h', $1 FROM joint_statements`, []any{now}},
				{`INSERT INTO pair_decisions (ally, our_item, their_item, side, decision, decided_at) VALUES ($1, 'ours', 'theirs', 'theirs', 'confirmed', $2)`, []any{ally, now}},
				{`INSERT INTO pair_decisions (ally, our_item, their_item, side, decision, decided_at) VALUES ($1, 'o2', 't2', 'theirs', 'confirmed', $2)`, []any{ally, now}},
				{`INSERT INTO pair_decisions (ally, our_item, their_item, side, decision, decided_by, decided_at) VALUES ($1, 'o2', 't2', 'ours', 'confirmed', $3, $2)`, []any{ally, now, w.admin.ID}},
			} {
				if err := tx.Exec(ctx, q.sql, q.args...); err != nil {
					return fmt.Errorf("%s: %w", q.sql, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		id := w.openVote(t, "Decided while away")
		for _, v := range []proposals.Member{w.admin, m} {
			if err := w.svc.CastVote(ctx, v, id, consensus.Agree, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.svc.CloseEarly(ctx, w.admin, id); err != nil {
			t.Fatal(err)
		}
		for range 2 { // a reload does not clear what is new
			a, err := n.Agenda(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Joints) != 1 || a.Joints[0].Title != "Bread and homes" || a.Joints[0].Initiator != "Bakers United" {
				t.Errorf("joint statements waiting: %+v", a.Joints)
			}
			if a.PairsWaiting != 1 {
				t.Errorf("%d common ground pairs waiting, want 1 (the other one we confirmed)", a.PairsWaiting)
			}
			if len(a.AllyNews) != 1 || a.AllyNews[0].Name != "Bakers United" || a.AllyNews[0].Version != 3 {
				t.Errorf("ally news: %+v", a.AllyNews)
			}
			if len(a.Decided) != 1 || a.Decided[0].Title != "Decided while away" || len(a.Versions) != 1 || a.Versions[0].Number != 2 {
				t.Errorf("decided %+v, versions %+v", a.Decided, a.Versions)
			}
			if a.Since == nil || !a.Since.Equal(now.Add(-2*time.Hour)) {
				t.Errorf("since %v, want the first visit", a.Since)
			}
			w.clk.Advance(10 * time.Minute)
		}
		w.clk.Advance(2 * time.Hour) // a new visit: what was new is seen
		if a, err := n.Agenda(ctx, m); err != nil || len(a.Decided)+len(a.AllyNews)+len(a.Versions) != 0 {
			t.Errorf("a later visit still lists as new: %+v %v", a, err)
		}
	})
}

// A vote to sign an ally's joint statement is announced as such; a member
// suspended after it was planned gets nothing.
func TestJointStatementToSignAndSuspendedMembers(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 2)
		n := w.notes(t)
		ctx := context.Background()
		w.setEmail(t, n, w.members[0], "m0@example.org")
		w.setEmail(t, n, w.members[1], "m1@example.org")
		work(t, n)
		now := w.clk.Now()
		err := db.InTx(ctx, func(tx *storage.Tx) error {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO joint_statements (iri, initiator, created_at, updated_at) VALUES ('https://allies.example/joint/1', 'https://allies.example/users/bakers', $1, $1)`, []any{now}},
				{`INSERT INTO proposals (title, rationale, author_id, base_version, changes, status, kind, joint_id, joint_version, round, opened_at, closes_at, created_at, updated_at)
					SELECT 'Sign the joint statement “Bread and homes”, version 1', '', $1, 1, '[]', 'open', 'sign', id, 1, 1, $2, $3, $2, $2 FROM joint_statements`, []any{w.admin.ID, now, now.Add(7 * 24 * time.Hour)}},
				{`INSERT INTO proposal_voters (proposal_id, member_id) SELECT p.id, m.id FROM proposals p, members m`, nil},
			} {
				if err := tx.Exec(ctx, q.sql, q.args...); err != nil {
					return fmt.Errorf("%s: %w", q.sql, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.PlanDue(ctx); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.Suspend(ctx, w.admin, w.members[1].ID, "left the estate"); err != nil {
			t.Fatal(err)
		}
		work(t, n)
		ms := w.smtp.WaitFor(t, 1, 10*time.Second)
		if len(ms) != 1 || ms[0].To[0] != "m0@example.org" {
			t.Fatalf("mail went to %v, want m0 only (m1 is suspended)", keys(to(ms)))
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(ms[0].Header.Get("Subject"))
		if err != nil || subject != "Voting is open: Sign the joint statement “Bread and homes”, version 1" ||
			!strings.Contains(ms[0].Body, "a joint statement with our allies") {
			t.Errorf("subject %q (%v), body:\n%s", subject, err, ms[0].Body)
		}
	})
}

// A new address gets a link to confirm it, and nothing else until it is
// confirmed: nobody can have the movement mail a stranger.
func TestANewAddressIsConfirmedBeforeNotificationsGoThere(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 1)
		n := w.notes(t)
		ctx := context.Background()
		m := w.members[0]
		if err := n.SaveSettings(ctx, m, "old@example.org", nil); err != nil {
			t.Fatal(err)
		}
		oldLink := n.EmailConfirmURL(m.ID, "old@example.org")
		if err := n.SaveSettings(ctx, m, "m0@example.org", nil); err != nil {
			t.Fatal(err)
		}
		w.openVote(t, "Before confirming")
		work(t, n)
		// work returns once the mail server answered every message: all
		// that was sent is there.
		ms := w.smtp.Messages()
		if len(ms) != 1 || ms[0].To[0] != "m0@example.org" || ms[0].Header.Get("Subject") != "Confirm your email address" {
			t.Fatalf("got %d messages (first to %v, %q), want only the confirmation to the current address", len(ms), ms[0].To, ms[0].Header.Get("Subject"))
		}
		if ms[0].Header.Get("List-Unsubscribe") != "" {
			t.Error("a confirmation is not a subscription")
		}
		link, err := url.Parse(strings.TrimSpace(strings.Split(strings.Split(ms[0].Body, "\n\n")[1], "\n")[0]))
		if err != nil || link.Path != "/account/email/confirm" {
			t.Fatalf("no link in the confirmation: %v\n%s", err, ms[0].Body)
		}
		q := link.Query()
		old, _ := url.Parse(oldLink)
		if err := n.ConfirmEmail(ctx, m.ID, "old@example.org", old.Query().Get("t")); err == nil {
			t.Error("the link for the address before confirmed it")
		}
		if err := n.ConfirmEmail(ctx, w.admin.ID, q.Get("e"), q.Get("t")); err == nil {
			t.Error("the link confirmed another member's address")
		}
		if err := n.ConfirmEmail(ctx, m.ID, q.Get("e"), q.Get("t")); err != nil {
			t.Fatalf("confirm: %v", err)
		}
		w.openVote(t, "After confirming")
		work(t, n)
		ms = w.smtp.WaitFor(t, 2, 10*time.Second)
		if len(ms) != 2 || ms[1].Header.Get("Subject") != "Voting is open: After confirming" {
			t.Errorf("after confirming: %d messages, the last %q", len(ms), ms[len(ms)-1].Header.Get("Subject"))
		}
	})
}

// A claim takes the whole of a member's digest on a channel, even past its
// limit (one digest, not two), with where the member can be reached.
func TestAClaimTakesAWholeDigest(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 2)
		n := w.notes(t)
		w.setEmail(t, n, w.members[0], "m0@example.org")
		ctx := context.Background()
		now := w.clk.Now()
		var ns []notify.Notification
		for i := range 3 {
			ns = append(ns, notify.Notification{MemberID: w.members[0].ID, Kind: notify.Outcome, Ref: fmt.Sprintf("p%dr1", i+1),
				Channel: notify.Email, Mode: notify.Digest, Message: notify.Message{Subject: "s", Body: "b", Link: "/"}, Due: now})
		}
		ns = append(ns, notify.Notification{MemberID: w.members[1].ID, Kind: notify.Outcome, Ref: "p1r1",
			Channel: notify.Email, Mode: notify.Digest, Message: notify.Message{Subject: "s", Body: "b", Link: "/"}, Due: now})
		var got []notify.Notification
		err := db.InTx(ctx, func(tx *storage.Tx) (err error) {
			if err := tx.EnqueueNotifications(ctx, ns, now); err != nil {
				return err
			}
			got, err = tx.ClaimNotifications(ctx, now, now.Add(time.Hour), 2)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("claimed %d notifications, want m0's whole digest of 3", len(got))
		}
		for _, g := range got {
			if g.MemberID != w.members[0].ID || g.To.Email != "m0@example.org" || !g.To.EmailVerified || !g.To.Active {
				t.Errorf("claimed %+v", g)
			}
		}
	})
}

// Saving an address not confirmed yet sends the link again (the first may
// have been lost), but not twice in a minute.
func TestSavingAnAddressAgainSendsTheLinkAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		w := newWorld(t, db, 1)
		n := w.notes(t)
		ctx := context.Background()
		m := w.members[0]
		save := func() {
			t.Helper()
			if err := n.SaveSettings(ctx, m, "m0@example.org", nil); err != nil {
				t.Fatal(err)
			}
			work(t, n)
		}
		save()
		w.smtp.WaitFor(t, 1, 10*time.Second)
		save() // at once: not again
		if ms := w.smtp.Messages(); len(ms) != 1 {
			t.Fatalf("%d messages after saving twice in a minute, want 1", len(ms))
		}
		w.clk.Advance(2 * time.Minute)
		save()
		ms := w.smtp.WaitFor(t, 2, 10*time.Second)
		if len(ms) != 2 || ms[1].Header.Get("Subject") != "Confirm your email address" || ms[1].To[0] != "m0@example.org" {
			t.Fatalf("%d messages after saving again, want the link sent again", len(ms))
		}
	})
}
