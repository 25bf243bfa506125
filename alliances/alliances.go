// Package alliances is what movements do together: the allies a movement
// follows, the common ground its facilitators confirm or reject, and the joint
// statements allies sign, each movement by its own vote.
//
// It is plain Go, like proposals: no HTTP, SQL or ActivityPub. It declares the
// storage port it needs (Tx); federation turns activities into calls of this
// package and the events it records into activities.
package alliances

import (
	"context"
	"time"

	"github.com/commonground/commonground/proposals"
)

// Self stands for this movement wherever a movement is named: in objective
// keys ("self|item id") and in the signatories of a joint statement. Other
// movements are named by their ActivityPub actor id.
const Self = "self"

// Store gives transactions over the storage port; every service method runs
// in one, so what it decides is recorded whole or not at all.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	ReadTx(ctx context.Context, fn func(Tx) error) error
}

// Tx is the storage port of alliances. It includes the drafting domain's port:
// a joint statement is signed by a proposal, and the movement and its
// statement take part in the common ground. Each method maps "no rows" to
// proposals.ErrNotFound.
type Tx interface {
	proposals.Tx

	// Allies lists the movements this movement follows, with how far each
	// alliance has come.
	Allies(ctx context.Context) ([]Ally, error)
	// AllyStatements returns the newest statement received from each
	// movement this movement follows.
	AllyStatements(ctx context.Context) ([]AllyStatement, error)

	// PairDecisions lists every decision about common ground, ours and
	// allies', the newest of each side per pair.
	PairDecisions(ctx context.Context) ([]PairDecision, error)
	// SavePairDecision records one side's decision about a pair, replacing
	// that side's earlier one; changed is false when it was already so.
	SavePairDecision(ctx context.Context, d PairDecision) (id int64, changed bool, err error)
	// PairDecision returns one decision by id.
	PairDecision(ctx context.Context, id int64) (PairDecision, error)

	// TextVectors returns a model's stored embeddings of the texts with
	// these hashes (TextHash); SaveTextVectors stores more.
	TextVectors(ctx context.Context, model string, hashes []string) (map[string][]float32, error)
	SaveTextVectors(ctx context.Context, model string, vectors map[string][]float32) error

	JointTx
}

// Config is what alliances needs from the instance's configuration.
type Config struct {
	// Host is the host of the movement's handle (@handle@host).
	Host string
}

// Service carries out what facilitators and members do with their allies.
type Service struct {
	store    Store
	drafting *proposals.Service
	embedder Embedder
	cfg      Config
	now      func() time.Time
	kick     chan struct{} // wakes the embedding worker
}

// NewService returns the alliances service over store. drafting opens the
// votes that sign joint statements; embedder computes the sentence
// embeddings the matcher reads (nil: words alone); now is the clock.
func NewService(store Store, drafting *proposals.Service, embedder Embedder, cfg Config, now func() time.Time) *Service {
	return &Service{store: store, drafting: drafting, embedder: embedder, cfg: cfg, now: now, kick: make(chan struct{}, 1)}
}

// Ally is a movement this movement follows.
type Ally struct {
	ID     string // its ActivityPub actor id
	Handle string // user@host
	Name   string
	URL    string // its profile page
	Status AllyStatus
}

// Label is the ally's name, or its handle when it has none.
func (a Ally) Label() string { return firstNonEmpty(a.Name, a.Handle, a.ID) }

// AllyStatus says how far an alliance has come.
type AllyStatus string

const (
	AllyPending   AllyStatus = "pending"   // we asked to follow
	AllyFollowing AllyStatus = "following" // they accepted
	AllyAllied    AllyStatus = "allied"    // and they follow us too
	AllyRejected  AllyStatus = "rejected"  // they refused
)

// StatusOf combines the state of our follow of a movement with the state of
// its follow of us ("" when it does not follow us).
func StatusOf(ourFollow, theirFollow string) AllyStatus {
	switch {
	case ourFollow != "accepted":
		return AllyStatus(ourFollow)
	case theirFollow == "accepted":
		return AllyAllied
	default:
		return AllyFollowing
	}
}

// AllyStatement is the newest statement version received from an ally.
type AllyStatement struct {
	Actor     string
	Version   int
	NoteID    string // where it was published
	Statement proposals.Statement
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
