package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// instance is the Common Ground instance under load.
type instance struct {
	base   string
	actor  string // the movement's ActivityPub actor
	client *http.Client
}

// sessionCookie is the cookie a Common Ground instance keeps its sessions in.
const sessionCookie = "cg_session"

func newClient(conns int) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       time.Minute,
	}
}

// reach finds the instance and its movement's actor (from NodeInfo).
func reach(ctx context.Context, base string) (*instance, error) {
	inst := &instance{base: base, client: newClient(512)}
	status, body, _, err := inst.do(ctx, "GET", "/nodeinfo/2.1", "", nil)
	if err != nil {
		return nil, fmt.Errorf("the instance at %s does not answer: %w", base, err)
	}
	var doc struct {
		Metadata struct {
			Handle string `json:"movementHandle"`
		} `json:"metadata"`
	}
	if status != 200 || json.Unmarshal(body, &doc) != nil || doc.Metadata.Handle == "" {
		return nil, fmt.Errorf("%s is not a Common Ground instance that is set up (NodeInfo answered %d without a movement handle)", base, status)
	}
	inst.actor = base + "/users/" + doc.Metadata.Handle
	return inst, nil
}

// do sends one request, as the holder of session when it is not empty, and
// returns the status, the body and the response's headers.
func (in *instance) do(ctx context.Context, method, path, session string, form url.Values) (int, []byte, http.Header, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, in.base+path, body)
	if err != nil {
		return 0, nil, nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if session != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
	}
	resp, err := in.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

// post sends a form that must answer with a redirect (303), and returns where to.
func (in *instance) post(ctx context.Context, path, session string, form url.Values) (string, error) {
	status, body, hdr, err := in.do(ctx, "POST", path, session, form)
	if err != nil {
		return "", fmt.Errorf("POST %s: %w", path, err)
	}
	if status != http.StatusSeeOther {
		return "", fmt.Errorf("POST %s answered %d: %s", path, status, pageMessage(body))
	}
	return hdr.Get("Location"), nil
}

var (
	errorMessage = regexp.MustCompile(`(?s)<(?:p|div)[^>]*role="alert"[^>]*>(.*?)</(?:p|div)>`)
	mainPart     = regexp.MustCompile(`(?s)<main[^>]*>(.*?)</main>`)
	tags         = regexp.MustCompile(`<[^>]+>`)
)

// pageMessage is what a page says went wrong: its form error, or its main
// text (an error page), in one line.
func pageMessage(body []byte) string {
	text := body
	if m := errorMessage.FindSubmatch(body); m != nil {
		text = m[1]
	} else if m := mainPart.FindSubmatch(body); m != nil {
		text = m[1]
	}
	s := strings.Join(strings.Fields(tags.ReplaceAllString(string(text), " ")), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// busyRetries is how many times a request the instance answered 503 (all
// its password checks busy) is sent again, after the wait it asks for.
const busyRetries = 20

// doPatiently is do, sent again while the instance answers 503.
func (in *instance) doPatiently(ctx context.Context, method, path, session string, form url.Values) (int, []byte, http.Header, error) {
	for try := 0; ; try++ {
		status, body, hdr, err := in.do(ctx, method, path, session, form)
		if err != nil || status != http.StatusServiceUnavailable || try == busyRetries {
			return status, body, hdr, err
		}
		wait, _ := strconv.Atoi(hdr.Get("Retry-After"))
		select {
		case <-time.After(time.Duration(max(wait, 1)) * time.Second):
		case <-ctx.Done():
			return 0, nil, nil, ctx.Err()
		}
	}
}

// signIn returns a session of username.
func (in *instance) signIn(ctx context.Context, username, password string) (string, error) {
	status, body, hdr, err := in.doPatiently(ctx, "POST", "/login", "", url.Values{"username": {username}, "password": {password}})
	if err != nil {
		return "", err
	}
	if token := sessionFrom(hdr); status == http.StatusSeeOther && token != "" {
		return token, nil
	}
	return "", fmt.Errorf("signing in as %s answered %d: %s", username, status, pageMessage(body))
}

func sessionFrom(h http.Header) string {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// members are the admin and the voters, each with a session.
type members struct {
	admin  string
	voters []string
}

// voterPassword is the password of cgload's voters: these accounts exist
// for load runs on test instances only.
// It must not contain the username, which the instance refuses.
func voterPassword(name string) string {
	return "load test passphrase " + strings.TrimPrefix(name, "cgload_voter_")
}

var joinLink = regexp.MustCompile(`/join/([A-Za-z0-9_-]+)`)

// gather signs the admin in and brings n voters (cgload_voter_NNNN): they
// join through one invitation the first time, and sign in on later runs.
func gather(ctx context.Context, in *instance, admin, password string, n int) (*members, error) {
	adminSession, err := in.signIn(ctx, admin, password)
	if err != nil {
		return nil, err
	}
	status, body, _, err := in.do(ctx, "POST", "/members/invitations", adminSession,
		url.Values{"role": {"member"}, "max_uses": {fmt.Sprint(min(n, 1000))}, "valid_days": {"1"}, "note": {"cgload voters"}})
	if err != nil {
		return nil, err
	}
	link := joinLink.FindSubmatch(body)
	if status != http.StatusCreated || link == nil {
		return nil, fmt.Errorf("creating an invitation for the voters answered %d: %s", status, pageMessage(body))
	}
	token := string(link[1])
	crowd := &members{admin: adminSession, voters: make([]string, n)}
	// Passwords are hashed one per core at a time: more at once only waits.
	err = parallel(ctx, n, 4, func(ctx context.Context, i int) error {
		name := fmt.Sprintf("cgload_voter_%04d", i)
		session, err := joinOrSignIn(ctx, in, token, name)
		crowd.voters[i] = session
		return err
	})
	return crowd, err
}

func joinOrSignIn(ctx context.Context, in *instance, token, name string) (string, error) {
	pw := voterPassword(name)
	status, body, hdr, err := in.doPatiently(ctx, "POST", "/join/"+token, "", url.Values{"username": {name}, "password": {pw}, "password_confirm": {pw}})
	if err != nil {
		return "", err
	}
	if session := sessionFrom(hdr); status == http.StatusSeeOther && session != "" {
		return session, nil
	}
	session, err := in.signIn(ctx, name, pw) // joined on an earlier run?
	if err != nil {
		return "", fmt.Errorf("%s could not join (%d: %s) nor sign in", name, status, pageMessage(body))
	}
	return session, nil
}

// parallel runs fn(0) … fn(n-1), at most width at once, and returns the
// first error; the ctx fn gets ends at that error, so the others stop too.
func parallel(ctx context.Context, n, width int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range n {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range min(width, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// newProposal drafts a proposal adding one objective and opens its vote; it
// returns the proposal's path.
func newProposal(ctx context.Context, in *instance, admin, title, objective string) (string, error) {
	loc, err := in.post(ctx, "/proposals", admin, url.Values{"title": {title}, "rationale": {"Made by cgload."}})
	if err != nil {
		return "", err
	}
	if _, err := in.post(ctx, loc+"/changes", admin, url.Values{"kind": {"add"}, "section": {"objectives"}, "text": {objective}}); err != nil {
		return "", err
	}
	if _, err := in.post(ctx, loc+"/open", admin, nil); err != nil {
		return "", err
	}
	return loc, nil
}
