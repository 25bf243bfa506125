package federation

import (
	"context"
	"encoding/json"

	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/storage"
)

// fetchFeatured reads a newly followed actor's pinned statement: servers do not
// send history to new followers, so the current version is fetched once.
func (s *Service) fetchFeatured(ctx context.Context, remote storage.RemoteActor) {
	if remote.Featured == "" {
		return
	}
	body, err := s.fetch(ctx, remote.Featured)
	if err != nil {
		s.log.Info("federation: featured collection unavailable", "actor", remote.ID, "err", err)
		return
	}
	_, items, ids, _, err := vocab.ParseCollection(body)
	if err != nil {
		return
	}
	fetched := 0
	for i, item := range items {
		if len(item) == 0 || item[0] != '"' {
			s.keepIfStatement(ctx, remote.ID, item) // embedded
			continue
		}
		if fetched == 5 || ids[i] == "" {
			continue // a handful of pinned posts is plenty to find the statement
		}
		fetched++
		if doc, err := s.fetch(ctx, ids[i]); err == nil {
			s.keepIfStatement(ctx, remote.ID, doc)
		}
	}
}

func (s *Service) keepIfStatement(ctx context.Context, actor string, obj []byte) {
	note, err := vocab.ParseNote(obj)
	if err != nil || note.Statement == nil || note.AttributedTo != actor || !sameHost(note.ID, actor) {
		return
	}
	if err := s.keepStatement(ctx, actor, note); err != nil {
		s.log.Info("federation: keep featured statement", "actor", actor, "err", err)
	}
}

// decodeStatement reads a received statement as stored.
func decodeStatement(r storage.RemoteStatement) (vocab.StatementDoc, error) {
	var doc vocab.StatementDoc
	err := json.Unmarshal([]byte(r.Content), &doc)
	return doc, err
}
