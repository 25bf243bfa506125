package signing

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// countingServer answers 200 "ok" and counts the requests that reached it.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestClientRefusesLoopback(t *testing.T) {
	srv, hits := countingServer(t)
	client := NewClient(ClientOptions{})
	// "localhost" is resolved first: the check must see the resulting IP.
	for _, target := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		_, err := client.Get(target)
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("GET %s: %v, want ErrForbiddenAddress", target, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("server reached %d times", n)
	}
}

func TestClientAllowList(t *testing.T) {
	srv, hits := countingServer(t)
	resp, err := NewClient(ClientOptions{Allow: loopback}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || hits.Load() != 1 {
		t.Fatalf("status %d, hits %d", resp.StatusCode, hits.Load())
	}
}

func TestClientRefusesRedirectToMetadata(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))
	defer srv.Close()
	_, err := NewClient(ClientOptions{Allow: loopback}).Get(srv.URL)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("GET: %v, want ErrForbiddenAddress", err)
	}
	if !strings.Contains(err.Error(), "169.254.169.254") {
		t.Errorf("error does not name the address: %v", err)
	}
}

func TestClientRedirectLimit(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	defer srv.Close()

	if _, err := NewClient(ClientOptions{Allow: loopback, MaxRedirects: 2}).Get(srv.URL); err == nil {
		t.Fatal("endless redirects followed")
	}
	if n := hits.Load(); n != 3 {
		t.Errorf("%d requests for MaxRedirects 2, want 3", n)
	}

	hits.Store(0)
	resp, err := NewClient(ClientOptions{Allow: loopback, MaxRedirects: -1}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits.Load() != 1 {
		t.Errorf("MaxRedirects -1: status %d after %d requests", resp.StatusCode, hits.Load())
	}
}

func TestClientUserAgent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.UserAgent())
	}))
	defer srv.Close()
	client := NewClient(ClientOptions{Allow: loopback, UserAgent: "CommonGround/1.0 (+https://cg.example)"})

	get := func(ua string) string {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if ua != "" {
			req.Header.Set("User-Agent", ua)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if req.Header.Get("User-Agent") != ua {
			t.Errorf("caller's request modified")
		}
		return string(body)
	}
	if got := get(""); got != "CommonGround/1.0 (+https://cg.example)" {
		t.Errorf("User-Agent %q", got)
	}
	if got := get("custom"); got != "custom" {
		t.Errorf("caller's User-Agent replaced: %q", got)
	}
}

func TestClientTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done(): // the client gave up
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	start := time.Now()
	_, err := NewClient(ClientOptions{Allow: loopback, Timeout: 200 * time.Millisecond}).Get(srv.URL)
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("GET: %v, want a timeout", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("timed out after %s", elapsed)
	}
}

func TestReadBody(t *testing.T) {
	payload := strings.Repeat("x", 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("chunked") {
			w.(http.Flusher).Flush() // no Content-Length: the limit must hold while reading
		}
		io.WriteString(w, payload)
	}))
	defer srv.Close()
	client := NewClient(ClientOptions{Allow: loopback})

	read := func(query string, max int64) ([]byte, error) {
		resp, err := client.Get(srv.URL + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return ReadBody(resp, max)
	}
	for _, q := range []string{"", "?chunked"} {
		if _, err := read(q, 999); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%q limit 999: %v, want ErrTooLarge", q, err)
		}
		if body, err := read(q, 1000); err != nil || string(body) != payload {
			t.Errorf("%q limit 1000: %d bytes, %v", q, len(body), err)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	cases := []struct {
		addr    string
		allowed bool
	}{
		{"10.1.2.3", false},
		{"172.20.0.1", false},
		{"192.168.1.1", false},
		{"100.64.0.1", false},
		{"169.254.169.254", false},
		{"127.0.0.1", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"192.0.2.1", false},
		{"198.18.0.1", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"::", false},
		{"::1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fd00::1", false},
		{"ff02::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"64:ff9b::a9fe:a9fe", false},
		{"2001:db8::1", false},
		{"2002:7f00:1::", false},
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"::ffff:8.8.8.8", true},
		{"2001:4860:4860::8888", true},
		{"2606:4700:4700::1111", true},
	}
	for _, c := range cases {
		err := CheckAddress(netip.MustParseAddr(c.addr), nil)
		if (err == nil) != c.allowed {
			t.Errorf("CheckAddress(%s) = %v, want allowed=%v", c.addr, err, c.allowed)
		}
		if err != nil && !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("CheckAddress(%s) = %v, not ErrForbiddenAddress", c.addr, err)
		}
	}

	allow, err := ParseAllowList("127.0.0.0/8, ::1, 10.0.0.5")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"127.0.0.1", "::ffff:127.0.0.1", "::1", "10.0.0.5"} {
		if err := CheckAddress(netip.MustParseAddr(a), allow); err != nil {
			t.Errorf("%s refused despite allow-list: %v", a, err)
		}
	}
	if err := CheckAddress(netip.MustParseAddr("10.0.0.6"), allow); err == nil {
		t.Error("10.0.0.6 allowed by an allow-list naming 10.0.0.5")
	}
}

func TestParseAllowList(t *testing.T) {
	for _, empty := range []string{"", " ", ","} {
		if got, err := ParseAllowList(empty); got != nil || err != nil {
			t.Errorf("ParseAllowList(%q) = %v, %v", empty, got, err)
		}
	}
	got, err := ParseAllowList("127.0.0.0/8,::1, 192.168.1.7/16,::ffff:10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	want := "[127.0.0.0/8 ::1/128 192.168.0.0/16 10.0.0.1/32]"
	if s := formatPrefixes(got); s != want {
		t.Errorf("got %s, want %s", s, want)
	}
	for _, bad := range []string{"127.0.0.0/8,localhost", "10.0.0.0/33", "1.2.3"} {
		_, err := ParseAllowList(bad)
		if err == nil {
			t.Errorf("ParseAllowList(%q) accepted", bad)
			continue
		}
		last := bad[strings.LastIndex(bad, ",")+1:]
		if !strings.Contains(err.Error(), last) {
			t.Errorf("error %q does not name %q", err, last)
		}
	}
}

func formatPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}
