package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// InboxFigures: signed activities posted at full speed, and how long the
// instance takes to handle them.
type InboxFigures struct {
	Activities        int           `json:"activities"`
	Senders           int           `json:"senders"`
	PostSeconds       float64       `json:"post_seconds"`
	AcceptedPerSecond float64       `json:"accepted_per_second"`
	PostP99           time.Duration `json:"post_p99_ns"`
	HandledPerSecond  float64       `json:"handled_per_second"`
	BacklogSeconds    float64       `json:"backlog_seconds"`
}

// runInbox posts activities (statuses, as a busy fediverse server sends
// them) from senders at full speed, then one Follow from each sender. An
// instance handles each sender's activities in order, so when it has
// accepted every one of those Follows it has handled everything before
// them: the backlog is how long that took after the last activity was posted.
func runInbox(ctx context.Context, in *instance, a *actorServer, senders, activities, width int, wait time.Duration) (*InboxFigures, error) {
	tag := fmt.Sprint(time.Now().UnixNano())
	reqs := make([]signed, activities)
	for i := range reqs {
		k := i % senders
		actor := a.actor(k)
		note := fmt.Sprintf("%s/notes/%s/%d", actor, tag, i)
		body, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": note + "/activity", "type": "Create", "actor": actor, "to": []string{"https://www.w3.org/ns/activitystreams#Public"},
			"object": map[string]any{"id": note, "type": "Note", "attributedTo": actor, "published": time.Now().UTC().Format(time.RFC3339),
				"content": fmt.Sprintf("<p>Status number %d from a busy server, with a <a href=\"https://example.org/%d\">link</a>.</p>", i, i)}})
		var err error
		if reqs[i], err = a.sign(in, k, body); err != nil {
			return nil, err
		}
	}
	markers, ids, err := a.follows(in, senders, "marker-"+tag)
	if err != nil {
		return nil, err
	}
	var lat latencies
	start := time.Now()
	err = parallel(ctx, len(reqs), width, func(ctx context.Context, i int) error {
		t := time.Now()
		err := a.send(ctx, in, reqs[i])
		lat.add(time.Since(t))
		return err
	})
	posted := time.Now()
	if err != nil {
		return nil, err
	}
	if err := parallel(ctx, len(markers), width, func(ctx context.Context, i int) error { return a.send(ctx, in, markers[i]) }); err != nil {
		return nil, err
	}
	err = a.waitUntil(ctx, wait, "the instance to handle every sender's activities", func() bool { return a.allAccepted(ids) })
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	var done time.Time
	for _, id := range ids {
		if t := a.accepted[id]; t.After(done) {
			done = t
		}
	}
	a.mu.Unlock()
	postFor := posted.Sub(start).Seconds()
	return &InboxFigures{Activities: activities, Senders: senders, PostSeconds: postFor, AcceptedPerSecond: float64(activities) / postFor,
		PostP99: lat.quantile(0.99), HandledPerSecond: float64(activities+senders) / done.Sub(start).Seconds(),
		BacklogSeconds: max(0, done.Sub(posted).Seconds())}, nil
}

// FanoutResult: from the close of a vote that adopts a version to its
// Create reaching every follower's shared inbox.
type FanoutResult struct {
	Inboxes      int     `json:"inboxes"`
	FirstSeconds float64 `json:"first_seconds"`
	LastSeconds  float64 `json:"last_seconds"`
}

// runFanout adopts a proposal (every voter agrees, the admin closes the vote
// early) and times its Create to the followers' shared inboxes.
func runFanout(ctx context.Context, in *instance, crowd *members, a *actorServer, followers int, wait time.Duration) (*FanoutResult, error) {
	loc, err := newProposal(ctx, in, crowd.admin, "cgload: fan-out", fmt.Sprintf("Reach every ally %d", time.Now().UnixNano()))
	if err != nil {
		return nil, err
	}
	err = parallel(ctx, len(crowd.voters), 8, func(ctx context.Context, v int) error {
		_, err := in.post(ctx, loc+"/vote", crowd.voters[v], url.Values{"position": {"agree"}})
		return err
	})
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	clear(a.creates)
	a.mu.Unlock()
	start := time.Now()
	if _, err := in.post(ctx, loc+"/close", crowd.admin, url.Values{"confirm": {"yes"}}); err != nil {
		return nil, err
	}
	var got arrival
	err = a.waitUntil(ctx, wait, fmt.Sprintf("the adopted version to reach %d shared inboxes (was it adopted? the vote needs a quorum of the members)", followers), func() bool {
		for _, c := range a.creates {
			if len(c.inboxes) >= followers {
				got = arrival{first: c.first, last: c.last}
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	return &FanoutResult{Inboxes: followers, FirstSeconds: got.first.Sub(start).Seconds(), LastSeconds: got.last.Sub(start).Seconds()}, nil
}
