package signing

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrTooLarge is returned by ReadBody when the body exceeds the limit.
var ErrTooLarge = errors.New("signing: response body too large")

// Client defaults; fetches from peers are small and a slow peer must not hold
// a worker.
const (
	defaultTimeout        = 10 * time.Second
	defaultMaxRedirects   = 3
	dialTimeout           = 5 * time.Second
	tlsHandshakeTimeout   = 5 * time.Second
	responseHeaderTimeout = 10 * time.Second
)

// ClientOptions configures NewClient. Zero values take the defaults.
type ClientOptions struct {
	// Allow lists ranges reachable despite being private or reserved
	// (loopback in tests, a peer on the LAN).
	Allow []netip.Prefix
	// Timeout bounds a whole request including redirects and body (10s).
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed (3); negative means
	// none: the redirect response itself is returned.
	MaxRedirects int
	// UserAgent is set on requests that do not carry one.
	UserAgent string
}

// NewClient returns a client for fetches and deliveries to other servers.
// The address check runs in the dialer's Control hook, i.e. on the IP
// actually connected to after DNS resolution, so a name resolving (or
// rebinding) to an internal address is refused, and so is every redirect
// target. No proxy is used: through a proxy the dialled address would be the
// proxy's and the check would see nothing.
func NewClient(opts ClientOptions) *http.Client {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	var rt http.RoundTripper = newTransport(opts.Allow)
	if opts.UserAgent != "" {
		rt = userAgentTransport{next: rt, userAgent: opts.UserAgent}
	}
	return &http.Client{
		Transport:     rt,
		Timeout:       timeout,
		CheckRedirect: redirectPolicy(opts.MaxRedirects),
	}
}

func newTransport(allow []netip.Prefix) *http.Transport {
	dialer := &net.Dialer{
		Timeout: dialTimeout,
		Control: dialControl(allow),
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// dialControl refuses the connection before connect(2) if the resolved
// address is forbidden.
func dialControl(allow []netip.Prefix) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: cannot parse dialled address %q: %v", ErrForbiddenAddress, address, err)
		}
		return CheckAddress(ap.Addr(), allow)
	}
}

func redirectPolicy(max int) func(*http.Request, []*http.Request) error {
	if max == 0 {
		max = defaultMaxRedirects
	}
	return func(_ *http.Request, via []*http.Request) error {
		if max < 0 {
			return http.ErrUseLastResponse
		}
		// via holds the requests already made: the original plus one per
		// redirect followed so far.
		if len(via) > max {
			return fmt.Errorf("signing: stopped after %d redirects", max)
		}
		return nil
	}
}

// userAgentTransport sets a User-Agent; peers' logs and blocklists key on it.
type userAgentTransport struct {
	next      http.RoundTripper
	userAgent string
}

func (t userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("User-Agent") != "" {
		return t.next.RoundTrip(r)
	}
	// A RoundTripper must not modify the caller's request.
	c := r.Clone(r.Context())
	c.Header.Set("User-Agent", t.userAgent)
	return t.next.RoundTrip(c)
}

// ReadBody reads resp.Body up to max bytes and fails with ErrTooLarge beyond
// it, so a hostile peer cannot exhaust memory. It does not close the body.
func ReadBody(resp *http.Response, max int64) ([]byte, error) {
	if max < 0 {
		return nil, fmt.Errorf("signing: negative body limit %d", max)
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds %d bytes", ErrTooLarge, resp.ContentLength, max)
	}
	// One byte more than allowed tells "exactly max" from "larger".
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("signing: read body: %w", err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return body, nil
}
