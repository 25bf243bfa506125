package alliances

import (
	"context"
	"errors"
	"time"

	"github.com/commonground/commonground/proposals"
)

// The embeddings of every text in play are computed once, in the
// background, when a statement version is adopted here or received from an
// ally: a page view only reads them.

// Kick wakes the embedding worker: call it after a version is adopted or
// received.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run embeds what is missing at start, then whenever kicked (and every
// interval, to catch work another process recorded), until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration, logErr func(error)) {
	if s.embedder == nil {
		return
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if _, err := s.EmbedStatements(ctx); err != nil && ctx.Err() == nil {
			logErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-ticker.C:
		}
	}
}

// EmbedStatements computes and stores the embeddings missing for the texts
// of our statement and of the allies' latest ones; it returns how many it
// computed.
func (s *Service) EmbedStatements(ctx context.Context) (int, error) {
	if s.embedder == nil {
		return 0, nil
	}
	model := s.embedder.Name()
	var missing []string
	err := s.store.ReadTx(ctx, func(tx Tx) error {
		set, err := s.gather(ctx, tx)
		if err != nil {
			return err
		}
		have, err := tx.TextVectors(ctx, model, set.hashes())
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, w := range set.byKey {
			h := TextHash(w.Text)
			if _, ok := have[h]; !ok && !seen[h] {
				seen[h] = true
				missing = append(missing, w.Text)
			}
		}
		return nil
	})
	if errors.Is(err, proposals.ErrNotFound) {
		return 0, nil // not set up yet
	}
	if err != nil || len(missing) == 0 {
		return 0, err
	}
	vectors := s.embedder.EmbedAll(missing) // outside any transaction: it takes milliseconds a text
	byHash := make(map[string][]float32, len(missing))
	for i, text := range missing {
		byHash[TextHash(text)] = vectors[i]
	}
	err = s.store.InTx(ctx, func(tx Tx) error { return tx.SaveTextVectors(ctx, model, byHash) })
	return len(missing), err
}
