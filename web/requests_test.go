package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// The other 500s the attack found: a version number past 32 bits, and a form
// separated by ';'. Each is the sender's mistake, answered with 400.
func TestOutOfRangeAndGarbledRequestsAre400(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s := newSite(t, db, "http")
		for _, path := range []string{
			"/statement?version=9223372036854775807", "/statement?version=2147483648", "/statement.json?version=99999999999",
			"/statement.md?version=-1", "/statement/diff?from=1&to=9223372036854775807",
		} {
			resp := s.do("", "GET", path, nil)
			if page := body(resp); resp.StatusCode != 400 || strings.Contains(page, "Something went wrong") {
				t.Errorf("GET %s: %d, want 400", path, resp.StatusCode)
			}
		}
		if resp := s.do("", "GET", "/statement?version=2147483647", nil); resp.StatusCode != 404 {
			t.Errorf("the largest 32-bit version, which does not exist: %d, want 404", resp.StatusCode)
		}
		req, _ := http.NewRequest("POST", s.url+"/proposals", strings.NewReader("title=A+title;rationale=Reasons"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: s.cookies["member"]})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(page), "The form arrived garbled") {
			t.Errorf("a form separated by ';': %d, want 400 saying so", resp.StatusCode)
		}
	})
}

// Reloading a page a form's POST showed, or opening a form's address, never
// gives bare text: a GET goes back to the page the form is on.
func TestFormAddressesOpenedWithGet(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	path := s.createProposal("member")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", s.url+path+"/vote", nil)
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: s.cookies["member"]})
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
		t.Errorf("GET of the vote form's address: %d to %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), path)
	}
	resp = s.do("member", "PUT", path, nil)
	page := body(resp)
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(page, "This address does not take that request") || !strings.Contains(page, "Go back to the page with the form") {
		t.Errorf("PUT of a page: %d, want a 405 page for people", resp.StatusCode)
	}
	// The page takes GET only: Allow says so (it said "GET, POST" for all).
	if allow := resp.Header.Get("Allow"); allow != "GET" {
		t.Errorf("PUT of a page: Allow %q, want GET", allow)
	}
	// An address for a form, opened with no page above it to go back to.
	resp = s.do("", "GET", "/logout", nil)
	page = body(resp)
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(page, "This address is for sending a form") || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET of /logout: %d, Allow %q, want 405, Allow POST and a page for people", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
