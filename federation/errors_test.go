package federation_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/federation"
	"github.com/commonground/commonground/federation/signing"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage/storagetest"
)

// The inbox's 401 says what the sender needs to fix, and nothing of how this
// server looked its key up: no address it dialled, no remote error. (Before:
// "signature refused: keyId ...: fetch ...: dial tcp 10.1.2.3:80: ...".)
func TestInboxRefusalSaysOnlyWhatTheSenderNeeds(t *testing.T) {
	in := newInstance(t, storagetest.SQLite(t), 1)
	eve := newRemote(t)
	for name, c := range map[string]struct {
		actor string
		want  string
	}{
		"a key on a private address":    {"http://10.1.2.3/users/eve", "the signing key could not be used"},
		"a key its server says is gone": {eve.actor("gone"), "the signing key could not be used"},
	} {
		body := mustFollow(strings.TrimSuffix(c.actor, "/users/eve")+"/follows/1", c.actor, in.actor())
		resp := postResponseBody(t, in.url+"/inbox", body, c.actor+"#main-key", eve)
		if resp.status != 401 || !strings.Contains(resp.body, c.want) {
			t.Errorf("%s: %d %q, want 401 saying %q", name, resp.status, resp.body, c.want)
		}
		for _, internal := range []string{"10.1.2.3", "dial", "forbidden", "status 410", "fetch", "127.0.0.1", "signing:"} {
			if strings.Contains(resp.body, internal) {
				t.Errorf("%s: the 401 tells the sender %q: %q", name, internal, resp.body)
			}
		}
	}
}

type answer struct {
	status int
	body   string
}

// postResponseBody signs body with r's key as keyID, posts it, and returns
// the status and the body of the answer.
func postResponseBody(t testing.TB, inbox string, body []byte, keyID string, r *remote) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := signing.Sign(req, keyID, r.key, body, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(got)}
}

// Following by handle says in words why a server could not be read: an
// oversized or slow WebFinger answer is not reported as "status 200".
func TestFollowSaysWhyAServerCouldNotBeRead(t *testing.T) {
	in := newInstanceWith(t, storagetest.SQLite(t), func(c *federation.Config) {
		c.AllowHTTP = true
		c.FetchTimeout = time.Second
	})
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/webfinger", func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimPrefix(strings.SplitN(r.URL.Query().Get("resource"), "@", 2)[0], "acct:") {
		case "huge":
			w.Write([]byte(`{"subject":"acct:huge","links":[],"padding":"` + strings.Repeat("x", 300<<10) + `"}`))
		case "slow":
			w.Header().Set("Content-Type", "application/jrd+json")
			w.WriteHeader(200)
			w.Write([]byte(`{"subject":`))
			w.(http.Flusher).Flush()
			select { // the rest never comes
			case <-release:
			case <-r.Context().Done():
			}
		case "garbled":
			w.Write([]byte(`<html>not json</html>`))
		case "noactor":
			w.Write([]byte(`{"subject":"acct:noactor","links":[{"rel":"self","type":"text/html","href":"https://x.example/"}]}`))
		case "gone":
			http.Error(w, "gone", http.StatusGone)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	host := strings.TrimPrefix(srv.URL, "http://")
	facilitator := proposals.Member{ID: 1, Role: proposals.RoleFacilitator, Status: proposals.StatusActive}
	for user, want := range map[string]string{
		"huge":    "its answer is larger than this instance accepts",
		"slow":    "it did not answer in time",
		"garbled": "its answer is not a document this instance can read",
		"noactor": "it names no ActivityPub actor for that account",
		"gone":    "it has no such account",
	} {
		_, err := in.fed.Follow(context.Background(), facilitator, "@"+user+"@"+host)
		msg := fmt.Sprint(err)
		if !strings.Contains(msg, want) || strings.Contains(msg, "status 200") || strings.Contains(msg, "127.0.0.1:") && !strings.Contains(msg, "@"+user+"@"+host) {
			t.Errorf("follow @%s: %q, want it to say %q", user, msg, want)
		}
	}
	if _, err := in.fed.Follow(context.Background(), facilitator, "@nobody@127.0.0.1:9"); !strings.Contains(fmt.Sprint(err), "it refused the connection") {
		t.Errorf("follow on a closed port: %v", err)
	}
}
