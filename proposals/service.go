package proposals

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/commonground/commonground/internal/memo"
)

// Store is what the domain needs from storage: transactions. Every service method
// runs in exactly one, so a decision is either recorded whole or not at all.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	ReadTx(ctx context.Context, fn func(Tx) error) error
	// Single runs fn outside a transaction: only for work of one statement.
	Single(ctx context.Context, fn func(Tx) error) error
	// Atomic runs fn, a write that is one statement on PostgreSQL, without
	// BEGIN and COMMIT there, and in a transaction where it is several.
	Atomic(ctx context.Context, fn func(Tx) error) error
	// Subscribe calls fn with every notice, from this process once its
	// transaction committed and, on a database several processes share,
	// from the others. fn must return quickly: it runs on the notifier.
	Subscribe(fn func(Notice))
}

// Tx is the storage port: the reads and writes a service method composes inside
// one transaction. Each method maps "no rows" to ErrNotFound.
type Tx interface {
	Movement(ctx context.Context) (Movement, error)
	CreateMovement(ctx context.Context, m Movement) error
	UpdateMovementProfile(ctx context.Context, name, summary string, at time.Time) error
	KeyPair(ctx context.Context) (KeyPair, error)
	SaveKeyPairOnce(ctx context.Context, k KeyPair) (bool, error)
	AccountsTx
	SignInTx
	DraftingTx
	NoticeTx
}

// Service carries out what members and operators ask of their movement.
type Service struct {
	store Store
	now   func() time.Time
	// passwordSlots bounds the password hashes computed at once: each takes
	// argonMemoryKiB of memory, so unbounded they let anyone exhaust it.
	passwordSlots chan struct{}
	// sessions keeps sessions read recently, emptied by session notices.
	sessions *memo.Cache[string, Member]
	// published keeps the movement and its current statement, emptied by
	// statement notices.
	published published
	// pages keeps what every member sees of a proposal's page, emptied by
	// vote, proposal and statement notices.
	pages *memo.Cache[int64, proposalPage]
	// editions numbers the proposal pages read (ProposalView.Edition).
	editions atomic.Uint64
}

// NewService returns a service over store; now is the clock (injected so that
// tests can move time, e.g. past a voting deadline).
func NewService(store Store, now func() time.Time) *Service {
	s := &Service{store: store, now: now, passwordSlots: make(chan struct{}, passwordSlotCount()), sessions: memo.New[string, Member](sessionCacheTTL, sessionCacheSize), published: newPublished(),
		pages: memo.New[int64, proposalPage](publishedTTL, proposalPagesKept)}
	if store != nil {
		store.Subscribe(s.noticed)
	}
	return s
}

// noticed empties what the service keeps in memory when it may have changed
// anywhere.
func (s *Service) noticed(n Notice) {
	if n.Topic == NoticeSessions || n.Topic == NoticeEverything {
		s.sessions.Empty()
	}
	if n.Topic == NoticeStatement || n.Topic == NoticeEverything {
		s.published.empty()
	}
	// A proposal's page shows the current statement and the other open
	// proposals too: any change to a proposal or the statement empties all.
	switch n.Topic {
	case NoticeVotes, NoticeProposal, NoticeStatement, NoticeEverything:
		s.pages.Empty()
	}
}

// OnNotice calls fn with every notice (see Store.Subscribe), for what other
// parts of the process keep in memory, such as the live tallies.
func (s *Service) OnNotice(fn func(Notice)) { s.store.Subscribe(fn) }

// Now is the service's clock, for callers that stamp what they pass in.
func (s *Service) Now() time.Time { return s.now() }

// EnsureKeyPair returns the movement's key pair, generating and storing it on the
// first start. The key is generated outside the transaction (it takes tens of
// milliseconds) and stored only if no other process stored one first.
func (s *Service) EnsureKeyPair(ctx context.Context) (KeyPair, error) {
	k, err := s.keyPair(ctx)
	if !errors.Is(err, ErrNotFound) {
		return k, err
	}
	fresh, err := GenerateKeyPair(s.now())
	if err != nil {
		return KeyPair{}, err
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		_, err := tx.SaveKeyPairOnce(ctx, fresh)
		return err
	})
	if err != nil {
		return KeyPair{}, err
	}
	return s.keyPair(ctx)
}

func (s *Service) keyPair(ctx context.Context) (k KeyPair, err error) {
	err = s.store.ReadTx(ctx, func(tx Tx) error {
		k, err = tx.KeyPair(ctx)
		return err
	})
	return k, err
}

// Movement returns the instance's movement, or ErrNotFound before setup.
