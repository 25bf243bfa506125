// Package federation makes a movement an ActivityPub actor: discovery
// (WebFinger, NodeInfo), the actor and its collections, a signature-checked
// inbox processed in the background, publishing through a durable delivery
// queue, and following other actors by handle.
//
// Layers, as GoToSocial has them: HTTP handlers check signatures and parse with
// the explicit converters in federation/vocab (the only package that imports
// go-fed's streams), then call this package's service, which stores through
// storage. Nothing is sent from inside a request: outgoing activities go to the
// deliveries table and the workers send them, signed at each attempt.
package federation

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/federation/signing"
	"github.com/commonground/commonground/internal/memo"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
)

// Config is what federation needs from the instance's configuration.
type Config struct {
	BaseURL *url.URL
	// Allow lists the private or loopback ranges outbound requests may reach
	// (tests on loopback); everything private is refused otherwise.
	Allow []netip.Prefix
	// AllowHTTP lets WebFinger look up hosts over plain HTTP when HTTPS fails:
	// for local development and tests only.
	AllowHTTP bool
	// DeliveryWorkers is how many deliveries run at once in this process.
	DeliveryWorkers int
	// RetryBase is the first retry delay; each further attempt doubles it.
	RetryBase time.Duration
	// InboxWorkers is how many senders' activities are handled at once in
	// this process (each sender's in order, one at a time).
	InboxWorkers int
	// InboxQuota is how many bytes of activities one sending host may store
	// in the inbox per hour; at least MaxActivityBytes.
	InboxQuota int64
	// Retention is how long processed inbox activities and finished
	// deliveries are kept before they are purged.
	Retention time.Duration
	// FetchTimeout bounds one request to another server (10 s; tests shorten it).
	FetchTimeout time.Duration
	// Version is the software version reported in NodeInfo and User-Agent.
	Version string
}

// Defaults of the settings above, for a Config that leaves them zero.
const (
	DefaultInboxWorkers = 8
	DefaultInboxQuota   = 4 << 20
	DefaultRetention    = 7 * 24 * time.Hour
	defaultFetchTimeout = 10 * time.Second
	// MaxActivityBytes is the largest activity the inbox accepts, and the
	// largest document fetched from another server.
	MaxActivityBytes = maxFetchBytes
)

// Delivery policy: GoToSocial's shape (8 s doubling), bounded in attempts and time.
const (
	maxAttempts      = 10
	giveUpAfter      = 48 * time.Hour
	maxRetryDelay    = time.Hour
	pauseAfter       = 5 // consecutive failures before a host is paused
	pauseFor         = 10 * time.Minute
	maxFetchBytes    = 1 << 20
	claimBatch       = 32
	defaultRetryBase = 8 * time.Second
	// inboxPerHost is how many of one host's activities the inbox takes at a
	// time; then the host waits its turn again. Each round reads the due
	// work anew: 8 made a 10,000-activity backlog take 20 s more than 32.
	inboxPerHost = 32
	// purgeEvery is how often finished federation work past the retention
	// period is deleted.
	purgeEvery = time.Hour
)

// Service federates the instance's movement.
type Service struct {
	cfg    Config
	db     *storage.DB
	allies *alliances.Service
	log    *slog.Logger
	now    func() time.Time
	client *http.Client
	key    *rsa.PrivateKey
	kick   chan struct{} // wakes a delivery worker
	// deliveryPoll is how often an idle delivery worker looks for due
	// deliveries (retries come due without a kick).
	deliveryPoll time.Duration
	inboxCh      chan struct{} // wakes the inbox processor
	pubCh        chan struct{} // wakes the publisher

	// keys caches parsed remote public keys by key id; a failed verification
	// bypasses it (refresh), so a rotated key replaces the cached one.
	keysMu sync.RWMutex
	keys   map[string]cachedKey
	// actors keeps the remote actors this process read or fetched lately,
	// by id: a Follow from an actor fetched a moment ago (its first
	// contact, for its key) is answered without reading it again.
	actors *memo.Cache[string, storage.RemoteActor]
	// handle is the movement's handle once set up; it never changes after.
	handle atomic.Pointer[string]
	// lanes are the senders whose activities are being handled.
	lanes *inboxLanes
	// quota is what this process holds of each sending host's inbox quota.
	quota *inboxQuota
}

type cachedKey struct {
	pub     *rsa.PublicKey
	owner   string
	loaded  time.Time
	fetched bool // from the owner's server, not from the store
}

// keyCacheFor bounds how long a cached key is trusted without a refetch;
// keyRefetchAfter is how long a key stays cached before a signature that
// fails with it may refetch it (a rotated key), so that forged requests
// cannot make this server fetch a key again and again.
const (
	keyCacheFor     = time.Hour
	keyRefetchAfter = time.Minute
	// actorCacheFor is how long an actor kept in memory is used without
	// reading it again: what changes in one (its inbox, announced by an
	// Update) reaches the other processes of the instance within it.
	actorCacheFor = time.Minute
	// remembered bounds the keys and the actors kept; past it, the memory
	// starts over (the store still has them all).
	remembered = 100_000
)

// New prepares federation for the movement on db; what allies send is handed
// to the alliances service. It needs the movement's key pair; the movement
// itself may be set up later (until then federation answers 404 to everything).
func New(cfg Config, db *storage.DB, allies *alliances.Service, log *slog.Logger, now func() time.Time) (*Service, error) {
	if cfg.BaseURL == nil {
		return nil, errors.New("federation: base URL is required")
	}
	if cfg.DeliveryWorkers <= 0 {
		cfg.DeliveryWorkers = 4
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = defaultRetryBase
	}
	if cfg.InboxWorkers <= 0 {
		cfg.InboxWorkers = DefaultInboxWorkers
	}
	if cfg.InboxQuota <= 0 {
		cfg.InboxQuota = DefaultInboxQuota
	}
	cfg.InboxQuota = max(cfg.InboxQuota, MaxActivityBytes) // any one activity the inbox takes must fit
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = defaultFetchTimeout
	}
	var kp proposals.KeyPair
	err := db.ReadTx(context.Background(), func(tx *storage.Tx) (err error) { kp, err = tx.KeyPair(context.Background()); return err })
	if err != nil {
		return nil, fmt.Errorf("federation: %w", err)
	}
	key, err := signing.ParsePrivateKey(kp.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("federation: movement key: %w", err)
	}
	client := signing.NewClient(signing.ClientOptions{Allow: cfg.Allow, Timeout: cfg.FetchTimeout,
		UserAgent: "CommonGround/" + cfg.Version + " (+" + cfg.BaseURL.String() + ")"})
	return &Service{cfg: cfg, db: db, allies: allies, log: log, now: now, client: client, key: key, keys: map[string]cachedKey{}, actors: memo.New[string, storage.RemoteActor](actorCacheFor, remembered),
		kick: make(chan struct{}, 1), deliveryPoll: time.Second, inboxCh: make(chan struct{}, 1), pubCh: make(chan struct{}, 1),
		lanes: newInboxLanes(cfg.InboxWorkers), quota: newInboxQuota(db, cfg.InboxQuota)}, nil
}

// movement returns the movement, or ErrNotFound before setup.
func (s *Service) movement(ctx context.Context) (m proposals.Movement, err error) {
	err = s.db.Single(ctx, func(tx *storage.Tx) (err error) { m, err = tx.Movement(ctx); return err })
	return m, err
}

// movementHandle is the movement's handle, read once: it is fixed at setup.
func (s *Service) movementHandle(ctx context.Context) (string, error) {
	if h := s.handle.Load(); h != nil {
		return *h, nil
	}
	m, err := s.movement(ctx)
	if err != nil {
		return "", err
	}
	s.handle.Store(&m.Handle)
	return m.Handle, nil
}

// The movement's URLs. The actor lives at /users/{handle}, as on Mastodon.
func (s *Service) base() string                 { return s.cfg.BaseURL.String() }
func (s *Service) actorID(handle string) string { return s.base() + "/users/" + handle }
func (s *Service) keyID(handle string) string   { return s.actorID(handle) + "#main-key" }
func (s *Service) sharedInbox() string          { return s.base() + "/inbox" }
func (s *Service) noteID(version int) string {
	return s.base() + "/statement/versions/" + strconv.Itoa(version)
}

// notify wakes a worker without blocking when it is already awake.
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// signingIdentity is the key id and key outgoing requests are signed with.
func (s *Service) signingIdentity(ctx context.Context) (string, *rsa.PrivateKey, error) {
	handle, err := s.movementHandle(ctx)
	if err != nil {
		return "", nil, err
	}
	return s.keyID(handle), s.key, nil
}
