package storage

import (
	"context"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/proposals"
)

// Store returns the DB as the domain sees it: a source of transactions whose
// methods satisfy proposals.Tx.
func (db *DB) Store() proposals.Store { return domainStore{db} }

type domainStore struct{ db *DB }

func (s domainStore) InTx(ctx context.Context, fn func(proposals.Tx) error) error {
	return s.db.InTx(ctx, func(tx *Tx) error { return fn(tx) })
}

func (s domainStore) Single(ctx context.Context, fn func(proposals.Tx) error) error {
	return s.db.Single(ctx, func(tx *Tx) error { return fn(tx) })
}

func (s domainStore) Atomic(ctx context.Context, fn func(proposals.Tx) error) error {
	return s.db.Atomic(ctx, func(tx *Tx) error { return fn(tx) })
}

func (s domainStore) ReadTx(ctx context.Context, fn func(proposals.Tx) error) error {
	return s.db.ReadTx(ctx, func(tx *Tx) error { return fn(tx) })
}

func (s domainStore) Subscribe(fn func(proposals.Notice)) { s.db.Subscribe(fn) }

// The compiler checks here that storage implements every method the domain needs.
var _ proposals.Tx = (*Tx)(nil)

// Alliances returns the DB as the alliances domain sees it.
func (db *DB) Alliances() alliances.Store { return allianceStore{db} }

type allianceStore struct{ db *DB }

func (s allianceStore) InTx(ctx context.Context, fn func(alliances.Tx) error) error {
	return s.db.InTx(ctx, func(tx *Tx) error { return fn(tx) })
}

func (s allianceStore) ReadTx(ctx context.Context, fn func(alliances.Tx) error) error {
	return s.db.ReadTx(ctx, func(tx *Tx) error { return fn(tx) })
}

var _ alliances.Tx = (*Tx)(nil)
