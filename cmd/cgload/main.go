// Command cgload drives a running Common Ground instance (SQLite or
// PostgreSQL, it does not matter) the way its busiest days would, and prints
// the figures a person can compare between two builds or two databases:
//
//   - votes: members changing their votes over HTTP, all at once (votes/s, p50, p99);
//   - pages: the proposal page and the public statement page under concurrent readers (p50, p99);
//   - inbox: signed activities posted at full speed by many senders on several
//     hosts (activities/s taken, and the backlog: how long the instance still
//     works after the last one was accepted, before every sender's last activity is handled);
//   - fanout: an adopted version reaching every follower's shared inbox (time to the last one).
//
// It serves its own ActivityPub actors on loopback (127.0.0.1 … 127.0.0.N), so
// the instance must be started with --allow-private 127.0.0.0/8, and it signs
// in as an admin to invite its voters (they join once, and sign in on later
// runs). See "Load testing" in the README.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"
)

// Config is every setting of a run.
type Config struct {
	Target        string
	Admin         string
	AdminPassword string
	Phases        map[string]bool
	Voters        int
	VoteFor       time.Duration
	Readers       int
	ReadFor       time.Duration
	Comments      int
	Activities    int
	Senders       int
	Hosts         int
	Concurrency   int
	Followers     int
	Wait          time.Duration
	JSON          bool
}

var allPhases = []string{"votes", "pages", "inbox", "fanout"}

func parseConfig(args []string, stdin io.Reader, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("cgload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	var phases string
	fs.StringVar(&c.Target, "target", "http://127.0.0.1:8080", "base URL of the running instance")
	fs.StringVar(&c.Admin, "admin", "", "an admin's username (the password is read from CGLOAD_ADMIN_PASSWORD or one line of standard input)")
	fs.StringVar(&phases, "phases", strings.Join(allPhases, ","), "which parts to run, in this order: "+strings.Join(allPhases, ","))
	fs.IntVar(&c.Voters, "voters", 200, "members who vote at once (they join through an invitation the first time)")
	fs.DurationVar(&c.VoteFor, "vote-for", 20*time.Second, "how long the voters vote")
	fs.IntVar(&c.Readers, "readers", 32, "concurrent readers of each page")
	fs.DurationVar(&c.ReadFor, "read-for", 10*time.Second, "how long each page is read")
	fs.IntVar(&c.Comments, "comments", 200, "comments on the proposal the readers read")
	fs.IntVar(&c.Activities, "activities", 10000, "activities posted to the inbox at full speed")
	fs.IntVar(&c.Senders, "senders", 100, "actors the inbox activities come from")
	fs.IntVar(&c.Hosts, "hosts", 4, "loopback hosts (127.0.0.1 …) the actors live on")
	fs.IntVar(&c.Concurrency, "concurrency", 32, "inbox requests in flight at once")
	fs.IntVar(&c.Followers, "followers", 500, "followers, each with its own shared inbox, an adopted version goes to")
	fs.DurationVar(&c.Wait, "wait", 2*time.Minute, "how long to wait for the instance to finish a piece of background work before giving up")
	fs.BoolVar(&c.JSON, "json", false, "print the figures as one JSON object instead of lines of text")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.Target = strings.TrimRight(c.Target, "/")
	c.Phases = map[string]bool{}
	for _, p := range strings.Split(phases, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(allPhases, p) {
			return c, fmt.Errorf("--phases: %q is not one of %s", p, strings.Join(allPhases, ","))
		}
		c.Phases[p] = true
	}
	if c.needsMembers() {
		if c.Admin == "" {
			return c, errors.New("--admin: name an admin of the instance (votes, pages and fanout sign in as one)")
		}
		c.AdminPassword = os.Getenv("CGLOAD_ADMIN_PASSWORD")
		if c.AdminPassword == "" {
			line, _ := bufio.NewReader(stdin).ReadString('\n')
			c.AdminPassword = strings.TrimRight(line, "\r\n")
		}
		if c.AdminPassword == "" {
			return c, errors.New("no admin password: set CGLOAD_ADMIN_PASSWORD or give it on standard input")
		}
		if c.Voters < 1 {
			return c, errors.New("--voters: at least 1")
		}
	}
	if c.Phases["inbox"] && (c.Senders < 1 || c.Activities < 1) {
		return c, errors.New("--senders and --activities: at least 1 each for the inbox phase")
	}
	if c.Hosts < 1 || c.Hosts > 200 {
		return c, errors.New("--hosts: from 1 to 200")
	}
	return c, nil
}

func (c Config) needsMembers() bool {
	return c.Phases["votes"] || c.Phases["pages"] || c.Phases["fanout"]
}

// actors is how many actors the run serves: the senders and the followers are the same actors.
func (c Config) actors() int {
	n := 0
	if c.Phases["inbox"] {
		n = c.Senders
	}
	if c.Phases["fanout"] {
		n = max(n, c.Followers)
	}
	return n
}

// Figures are what a run measured; empty parts were not run.
type Figures struct {
	Votes  *VoteFigures  `json:"votes,omitempty"`
	Pages  []PageFigures `json:"pages,omitempty"`
	Inbox  *InboxFigures `json:"inbox,omitempty"`
	Fanout *FanoutResult `json:"fanout,omitempty"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c, err := parseConfig(os.Args[1:], os.Stdin, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgload:", err)
		os.Exit(2)
	}
	if err := run(ctx, c, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cgload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c Config, stdout, stderr io.Writer) error {
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	inst, err := reach(ctx, c.Target)
	if err != nil {
		return err
	}
	var figs Figures
	var crowd *members
	if c.needsMembers() {
		progress("signing in %d voters on %s …", c.Voters, c.Target)
		if crowd, err = gather(ctx, inst, c.Admin, c.AdminPassword, c.Voters); err != nil {
			return err
		}
	}
	var fleet *actorServer
	if n := c.actors(); n > 0 {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return err
		}
		if fleet, err = serveActors(n, c.Hosts, key); err != nil {
			return err
		}
		defer fleet.close()
		progress("following the instance with %d actors on %d loopback hosts …", n, c.Hosts)
		if err := fleet.followAll(ctx, inst, c.Concurrency, c.Wait); err != nil {
			return err
		}
	}
	if c.Phases["votes"] {
		progress("votes: %d voters for %s …", c.Voters, c.VoteFor)
		if figs.Votes, err = runVotes(ctx, inst, crowd, c.VoteFor); err != nil {
			return err
		}
	}
	if c.Phases["pages"] {
		progress("pages: %d readers for %s each …", c.Readers, c.ReadFor)
		if figs.Pages, err = runPages(ctx, inst, crowd, c.Comments, c.Readers, c.ReadFor); err != nil {
			return err
		}
	}
	if c.Phases["inbox"] {
		progress("inbox: %d activities from %d senders …", c.Activities, c.Senders)
		if figs.Inbox, err = runInbox(ctx, inst, fleet, c.Senders, c.Activities, c.Concurrency, c.Wait); err != nil {
			return err
		}
	}
	if c.Phases["fanout"] {
		progress("fanout: an adopted version to %d shared inboxes …", c.Followers)
		if figs.Fanout, err = runFanout(ctx, inst, crowd, fleet, c.Followers, c.Wait); err != nil {
			return err
		}
	}
	return report(stdout, figs, c.JSON)
}

func report(w io.Writer, f Figures, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(f)
	}
	if v := f.Votes; v != nil {
		fmt.Fprintf(w, "votes:     %d votes by %d voters in %.1f s: %.0f votes/s, p50 %s, p99 %s\n",
			v.Votes, v.Voters, v.Seconds, v.PerSecond, ms(v.P50), ms(v.P99))
	}
	for _, p := range f.Pages {
		fmt.Fprintf(w, "page:      %-22s %d readers, %d requests: p50 %s, p99 %s (%.0f pages/s)\n",
			p.Page, p.Readers, p.Requests, ms(p.P50), ms(p.P99), p.PerSecond)
	}
	if in := f.Inbox; in != nil {
		fmt.Fprintf(w, "inbox:     %d activities posted in %.1f s (%.0f/s accepted, POST p99 %s); handled at %.0f/s; backlog after the last one: %.2f s\n",
			in.Activities, in.PostSeconds, in.AcceptedPerSecond, ms(in.PostP99), in.HandledPerSecond, in.BacklogSeconds)
	}
	if fo := f.Fanout; fo != nil {
		fmt.Fprintf(w, "fanout:    adoption to the %dth shared inbox: %.2f s (first %.2f s)\n", fo.Inboxes, fo.LastSeconds, fo.FirstSeconds)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
