package federation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// What a Mastodon user reads of an adopted version leads with what changed:
// the proposal's title, the items added, amended and removed, the vote in one
// line and a link to the diff; then the statement. (Before: the whole
// statement, with no word of what changed.) The pinned note and the note at
// its URL say the same. On both databases: the lead is read from storage.
func TestAdoptedVersionLeadsWithWhatChanged(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		in := newInstance(t, db, 1)
		eve := newRemote(t)
		if got := post(t, in.actor()+"/inbox", mustFollow(eve.actor("eve")+"/follow", eve.actor("eve"), in.actor()), eve.actor("eve")+"#main-key", eve.key, time.Now(), nil); got != 202 {
			t.Fatalf("follow: %d", got)
		}
		waitFor(t, func() bool { return len(eve.inboxBodies()) >= 1 }) // the Accept
		ctx := context.Background()
		admin := proposals.Member{ID: 1, Username: "admin", Role: proposals.RoleAdmin, Status: proposals.StatusActive}
		adopt := func(title string, changes ...proposals.Change) {
			t.Helper()
			p, err := in.svc.CreateProposal(ctx, admin, title, "Because.")
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range changes {
				if err := in.svc.AddChange(ctx, admin, p.ID, c); err != nil {
					t.Fatal(err)
				}
			}
			if err := in.svc.OpenVoting(ctx, admin, p.ID); err != nil {
				t.Fatal(err)
			}
			if err := in.svc.CastVote(ctx, admin, p.ID, consensus.Agree, ""); err != nil {
				t.Fatal(err)
			}
			if closed, err := in.svc.CloseEarly(ctx, admin, p.ID); err != nil || closed.Status != proposals.StatusAdopted {
				t.Fatalf("close: %v %v", closed.Status, err)
			}
			in.fed.Kick()
		}
		adopt("Two first aims",
			proposals.Change{Kind: proposals.AddItem, Section: proposals.Objectives, Text: "Clean water for all"},
			proposals.Change{Kind: proposals.AddItem, Section: proposals.RedLines, Text: "No new dams"})
		v2, _ := in.svc.CurrentVersion(ctx)
		adopt("Care for <rivers> & lakes",
			proposals.Change{Kind: proposals.AmendItem, ItemID: v2.Statement.Items[0].ID, Text: "Clean water for everyone"},
			proposals.Change{Kind: proposals.RemoveItem, ItemID: v2.Statement.Items[1].ID},
			proposals.Change{Kind: proposals.AddItem, Section: proposals.Values, Text: "Rivers belong to all"})
		var content string
		waitFor(t, func() bool {
			for _, b := range eve.inboxBodies() {
				act, _ := vocab.ParseActivity(b)
				if note, err := vocab.ParseNote(act.Object); act.Type == "Create" && err == nil && note.Statement.Version == 3 {
					content = note.Content
				}
			}
			return content != ""
		})
		lead := []string{
			"<p><strong>River Movement adopted “Care for &lt;rivers&gt; &amp; lakes”</strong>: version 3 of its core statement.</p>",
			"<li>Added to values: Rivers belong to all</li>",
			"<li>Amended in objectives: Clean water for everyone (was: Clean water for all)</li>",
			"<li>Removed from red lines: No new dams</li>",
			"Adopted by the members&#39; vote: 1 of 1 members voted; 1 agree, 0 stand aside, 0 disagree, 0 block.",
			`<a href="` + in.url + `/statement/diff?from=2&amp;to=3">See what changed</a>`,
		}
		statement := strings.Index(content, "River Movement — core statement, version 3")
		for _, want := range lead {
			if i := strings.Index(content, want); i < 0 || i > statement {
				t.Errorf("the note does not lead with %q:\n%s", want, content)
			}
		}
		if !strings.HasPrefix(content, lead[0]) || statement < 0 {
			t.Errorf("the note does not start with the proposal and go on with the statement:\n%s", content)
		}
		for _, url := range []string{in.url + "/statement/versions/3", in.actor() + "/featured"} {
			if _, body := getAP(t, url); !strings.Contains(body, "Amended in objectives: Clean water for everyone") {
				t.Errorf("%s does not carry the same lead", url)
			}
		}
	})
}
