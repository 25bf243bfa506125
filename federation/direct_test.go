package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/federation"
	"github.com/commonground/commonground/notify"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// directMessages are the Creates the remote received, by the actor each is
// addressed to.
func directMessages(t *testing.T, r *remote) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, b := range r.inboxBodies() {
		var act map[string]any
		if err := json.Unmarshal(b, &act); err != nil || act["type"] != "Create" {
			continue
		}
		if strings.Contains(string(b), "#Public") || strings.Contains(string(b), "/followers") {
			t.Errorf("a direct message is public or to followers: %s", b)
		}
		to, _ := act["to"].([]any)
		if len(to) != 1 || act["cc"] != nil && len(act["cc"].([]any)) > 0 {
			t.Errorf("a direct message is addressed to %v, cc %v: want exactly one actor", act["to"], act["cc"])
			continue
		}
		out[to[0].(string)] = append(out[to[0].(string)], act)
	}
	return out
}

func content(act map[string]any) string {
	obj, _ := act["object"].(map[string]any)
	s, _ := obj["content"].(string)
	return s
}

var codePattern = regexp.MustCompile(`\b(\d{6})\b`)

// A member links a fediverse account by a code sent to it; only then do
// notifications go there, as direct messages from the movement. A member who
// did not prove their account gets nothing there.
func TestNotificationsReachOnlyVerifiedFediverseAccounts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		in := newInstanceWith(t, db, func(c *federation.Config) { c.AllowHTTP = true })
		r := newRemote(t)
		host := strings.TrimPrefix(r.srv.URL, "http://")
		ctx := context.Background()
		notes := notify.NewService(notify.Config{BaseURL: in.url, DigestHour: 7, Secret: []byte("s")}, db.Notify(), nil, in.fed,
			slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
		// The instance runs its notifications from its start: what happened
		// before notifications began is not announced.
		if err := notes.Work(ctx); err != nil {
			t.Fatal(err)
		}
		alice, err := in.svc.CreateMember(ctx, proposals.NewAccount{Username: "alice", Password: "a long password"}, proposals.RoleFacilitator)
		if err != nil {
			t.Fatal(err)
		}
		bob, err := in.svc.CreateMember(ctx, proposals.NewAccount{Username: "bob", Password: "a long password"}, proposals.RoleMember)
		if err != nil {
			t.Fatal(err)
		}

		if err := notes.LinkFediverse(ctx, alice, "@alice@"+host, "River Movement"); err != nil {
			t.Fatal(err)
		}
		if err := notes.LinkFediverse(ctx, bob, "bob@"+host, "River Movement"); err != nil {
			t.Fatal(err)
		}
		if err := notes.LinkFediverse(ctx, bob, "bob@"+host, "River Movement"); !errors.Is(err, proposals.ErrTooMany) {
			t.Errorf("a second code within the minute: %v, want too many", err)
		}
		// Another process of the instance holds the same limit.
		other := notify.NewService(notify.Config{BaseURL: in.url, DigestHour: 7, Secret: []byte("s")}, db.Notify(), nil, in.fed,
			slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
		if err := other.LinkFediverse(ctx, bob, "bob@"+host, "River Movement"); !errors.Is(err, proposals.ErrTooMany) {
			t.Errorf("a second code within the minute, through another process: %v, want too many", err)
		}
		for range 5 {
			if err := notes.VerifyFediverse(ctx, bob, "abcdef"); err == nil {
				t.Fatal("a wrong code linked the account")
			}
		}
		var tooMany *proposals.Error
		if err := notes.VerifyFediverse(ctx, bob, "abcdef"); !errors.As(err, &tooMany) || tooMany.Human() != "Too many wrong codes; ask for a new one" {
			t.Errorf("after 5 wrong codes: %v", err)
		}
		var code string
		waitFor(t, func() bool {
			dms := directMessages(t, r)
			if len(dms[r.actor("alice")]) == 0 || len(dms[r.actor("bob")]) == 0 {
				return false
			}
			code = codePattern.FindString(content(dms[r.actor("alice")][0]))
			return true
		})
		if code == "" {
			t.Fatalf("no code in the message: %s", content(directMessages(t, r)[r.actor("alice")][0]))
		}
		tag, _ := directMessages(t, r)[r.actor("alice")][0]["object"].(map[string]any)["tag"].([]any)
		if len(tag) != 1 || tag[0].(map[string]any)["type"] != "Mention" || tag[0].(map[string]any)["href"] != r.actor("alice") {
			t.Errorf("the message does not mention its addressee, so Mastodon would not show it as a direct message: %v", tag)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		if err := notes.VerifyFediverse(ctx, alice, wrong); err == nil {
			t.Error("a wrong code linked the account")
		}
		if err := notes.VerifyFediverse(ctx, alice, code); err != nil {
			t.Fatalf("the right code: %v", err)
		}

		p, err := in.svc.CreateProposal(ctx, alice, "Meet on Sundays", "Because.")
		if err != nil {
			t.Fatal(err)
		}
		if err := in.svc.AddChange(ctx, alice, p.ID, proposals.Change{Kind: proposals.AddItem, Section: proposals.Objectives, Text: "Meet on Sundays"}); err != nil {
			t.Fatal(err)
		}
		if err := in.svc.OpenVoting(ctx, alice, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := notes.Work(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return len(directMessages(t, r)[r.actor("alice")]) == 2 })
		notice := content(directMessages(t, r)[r.actor("alice")][1])
		if !strings.Contains(notice, "Voting is open: Meet on Sundays") || !strings.Contains(notice, in.url+"/proposals/") {
			t.Errorf("the notice reads %s", notice)
		}
		if got := len(directMessages(t, r)[r.actor("bob")]); got != 1 {
			t.Errorf("bob, who did not prove his account, got %d messages there, want only his code", got)
		}
		var counts map[string]int
		if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) { counts, err = tx.NotificationCounts(ctx); return err }); err != nil {
			t.Fatal(err)
		}
		if len(counts) != 1 || counts["sent"] != 1 {
			t.Errorf("the queue holds %v, want one notification sent (alice's)", counts)
		}
		if u, _ := url.Parse(in.url); !strings.Contains(notice, u.Host) {
			t.Errorf("the notice does not link the instance: %s", notice)
		}
	})
}
