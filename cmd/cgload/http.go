package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// latencies collects request times from many goroutines.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d)
	l.mu.Unlock()
}

// quantile is the q-th quantile (0.5, 0.99) of what was collected.
func (l *latencies) quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.all) == 0 {
		return 0
	}
	slices.Sort(l.all)
	return l.all[min(len(l.all)-1, int(float64(len(l.all))*q))]
}

func (l *latencies) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.all)
}

// VoteFigures: members changing their votes, all at once.
type VoteFigures struct {
	Voters    int           `json:"voters"`
	Votes     int           `json:"votes"`
	Seconds   float64       `json:"seconds"`
	PerSecond float64       `json:"votes_per_second"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
}

// runVotes opens a proposal and has every voter vote, and change their vote,
// as fast as the instance takes them, for d.
func runVotes(ctx context.Context, in *instance, crowd *members, d time.Duration) (*VoteFigures, error) {
	loc, err := newProposal(ctx, in, crowd.admin, "cgload: votes", fmt.Sprintf("Vote under load %d", time.Now().UnixNano()))
	if err != nil {
		return nil, err
	}
	positions := []string{"agree", "stand_aside", "disagree", "agree"}
	var lat latencies
	start := time.Now()
	deadline := start.Add(d)
	err = parallel(ctx, len(crowd.voters), len(crowd.voters), func(ctx context.Context, v int) error {
		for i := v; time.Now().Before(deadline); i++ {
			t := time.Now()
			if _, err := in.post(ctx, loc+"/vote", crowd.voters[v], url.Values{"position": {positions[i%len(positions)]}}); err != nil {
				return err
			}
			lat.add(time.Since(t))
		}
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		return nil, err
	}
	n := lat.count()
	return &VoteFigures{Voters: len(crowd.voters), Votes: n, Seconds: elapsed.Seconds(), PerSecond: float64(n) / elapsed.Seconds(),
		P50: lat.quantile(0.5), P99: lat.quantile(0.99)}, nil
}

// PageFigures: one page under concurrent readers.
type PageFigures struct {
	Page      string        `json:"page"`
	Readers   int           `json:"readers"`
	Requests  int           `json:"requests"`
	PerSecond float64       `json:"pages_per_second"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
}

// runPages fills a proposal with one vote and one comment per voter (up to
// comments), then reads its page, and the public statement page, with
// readers at once for d each.
func runPages(ctx context.Context, in *instance, crowd *members, comments, readers int, d time.Duration) ([]PageFigures, error) {
	loc, err := newProposal(ctx, in, crowd.admin, "cgload: reading", fmt.Sprintf("Read under load %d", time.Now().UnixNano()))
	if err != nil {
		return nil, err
	}
	positions := []string{"agree", "agree", "stand_aside", "disagree"}
	err = parallel(ctx, len(crowd.voters), 8, func(ctx context.Context, v int) error {
		_, err := in.post(ctx, loc+"/vote", crowd.voters[v], url.Values{"position": {positions[v%len(positions)]},
			"reason": {fmt.Sprintf("Reason number %d, written by a voter.", v)}})
		return err
	})
	if err != nil {
		return nil, err
	}
	err = parallel(ctx, comments, 8, func(ctx context.Context, i int) error {
		_, err := in.post(ctx, loc+"/comments", crowd.voters[i%len(crowd.voters)], url.Values{"body": {
			fmt.Sprintf("A comment with a link https://example.org/%d\n\nand a second paragraph.", i)}})
		return err
	})
	if err != nil {
		return nil, err
	}
	proposal, err := readPage(ctx, in, "proposal page", loc, crowd.voters[0], readers, d)
	if err != nil {
		return nil, err
	}
	statement, err := readPage(ctx, in, "public statement page", "/statement", "", readers, d)
	if err != nil {
		return nil, err
	}
	return []PageFigures{*proposal, *statement}, nil
}

func readPage(ctx context.Context, in *instance, name, path, session string, readers int, d time.Duration) (*PageFigures, error) {
	if status, _, _, err := in.do(ctx, "GET", path, session, nil); err != nil || status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %v", path, status, err) // and it warms the caches, as a first reader would
	}
	var lat latencies
	start := time.Now()
	deadline := start.Add(d)
	err := parallel(ctx, readers, readers, func(ctx context.Context, _ int) error {
		for time.Now().Before(deadline) {
			t := time.Now()
			status, _, _, err := in.do(ctx, "GET", path, session, nil)
			if err != nil {
				return fmt.Errorf("GET %s: %w", path, err)
			}
			if status != http.StatusOK {
				return fmt.Errorf("GET %s answered %d", path, status)
			}
			lat.add(time.Since(t))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	n := lat.count()
	return &PageFigures{Page: name, Readers: readers, Requests: n, PerSecond: float64(n) / time.Since(start).Seconds(),
		P50: lat.quantile(0.5), P99: lat.quantile(0.99)}, nil
}
