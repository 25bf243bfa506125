package federation

import (
	"context"
	"fmt"
	"html"
	"strings"

	"github.com/commonground/commonground/federation/vocab"
	notifying "github.com/commonground/commonground/notify"
	"github.com/commonground/commonground/storage"
)

// The movement's direct messages to members' fediverse accounts
// (notifications, and the code that proves an account is theirs).
var _ notifying.Messenger = (*Service)(nil)

// LookupAccount finds a fediverse account by @user@host: WebFinger, then its
// actor, both through the client that refuses private addresses.
func (s *Service) LookupAccount(ctx context.Context, handle string) (notifying.Account, error) {
	remote, err := s.lookupHandle(ctx, handle, "account lookup", "")
	if err != nil {
		return notifying.Account{}, err
	}
	return notifying.Account{Handle: remote.Handle, ActorID: remote.ID, Inbox: remote.Inbox}, nil
}

// SendDirect queues a direct message from the movement to one account: a
// Create{Note} addressed to it alone (not public, not to followers), with a
// Mention so that Mastodon shows it as a direct message. key names the
// message: the same key is queued once, however often it is sent.
func (s *Service) SendDirect(ctx context.Context, key string, to notifying.Account, text string) error {
	m, err := s.movement(ctx)
	if err != nil {
		return err
	}
	actor := s.actorID(m.Handle)
	id := s.base() + "/direct/" + key
	note := vocab.Note{ID: id, AttributedTo: actor, Content: directHTML(to, text), Published: s.now(),
		To: []string{to.ActorID}, Mentions: []vocab.Mention{{Href: to.ActorID, Name: "@" + to.Handle}}}
	body, err := vocab.MarshalCreate(id+"/activity", actor, note)
	if err != nil {
		return fmt.Errorf("direct message: %w", err)
	}
	err = s.db.InTx(ctx, func(tx *storage.Tx) error { return s.deliverTo(ctx, tx, id+"/activity", to.Inbox, body) })
	if err == nil {
		notify(s.kick)
	}
	return err
}

// directHTML is the message as Mastodon shows it: the mention first, then
// the text's paragraphs, escaped, links left as text (servers link them).
func directHTML(to notifying.Account, text string) string {
	user, _, _ := strings.Cut(to.Handle, "@")
	return fmt.Sprintf(`<p><span class="h-card"><a href="%s" class="u-url mention">@<span>%s</span></a></span></p>`,
		html.EscapeString(to.ActorID), html.EscapeString(user)) + vocab.ParagraphsHTML(text)
}
