package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/federation"
	"github.com/commonground/commonground/mailer"
	"github.com/commonground/commonground/match/embed"
	"github.com/commonground/commonground/notify"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/web"
)

// openDatabase opens and migrates the configured database.
func openDatabase(ctx context.Context, c Config, log *slog.Logger) (*storage.DB, error) {
	target, err := storage.ParseURL(c.DatabaseURL, c.DataDir)
	if err != nil {
		return nil, usageError{fmt.Errorf("--database-url: %w", err)}
	}
	target.MaxConnections = c.DatabaseConnections
	db, err := storage.Open(ctx, target)
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx, time.Now)
	if err != nil {
		db.Close()
		return nil, err
	}
	log.Info("database ready", "database", target.Display, "migrations_applied", applied, "schema_version", storage.LatestSchemaVersion())
	return db, nil
}

func migrate(ctx context.Context, c Config, stdout, stderr io.Writer) error {
	db, err := openDatabase(ctx, c, c.logger(stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema at version %d\n", v)
	return nil
}

// serve runs the instance until ctx ends (SIGINT or SIGTERM), then stops
// accepting, lets in-flight requests finish, and closes the database.
func serve(ctx context.Context, c Config, stderr io.Writer) error {
	log := c.logger(stderr)
	db, err := openDatabase(ctx, c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := proposals.NewService(db.Store(), time.Now)
	keys, err := svc.EnsureKeyPair(ctx)
	if err != nil {
		return err
	}
	log.Info("movement key pair", "fingerprint", keys.Fingerprint())

	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", c.Listen, err)
	}
	baseURL := c.baseURLFor(ln.Addr())
	allies := alliances.NewService(db.Alliances(), svc, &lazyEncoder{}, alliances.Config{Host: baseURL.Host}, time.Now)
	fed, err := federation.New(federation.Config{BaseURL: baseURL, Allow: c.AllowPrivate, AllowHTTP: c.FederationHTTP,
		DeliveryWorkers: c.DeliveryWorkers, RetryBase: c.RetryBase, InboxWorkers: c.InboxWorkers, InboxQuota: c.InboxQuota,
		Retention: c.Retention, Version: version}, db, allies, log, time.Now)
	if err != nil {
		ln.Close()
		return err
	}
	notes, err := notifications(c, db, fed, keys, baseURL.String(), log)
	if err != nil {
		ln.Close()
		return err
	}
	handler, err := web.New(web.Options{BaseURL: baseURL, MaxBodyBytes: c.MaxBodyBytes, TrustedProxies: c.TrustedProxies},
		web.Deps{Log: log, Service: svc, Health: db.Ping, Federation: fed, Alliances: allies, Notify: notes})
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if err := announceSetup(ctx, svc, log, baseURL.String()); err != nil {
		ln.Close()
		return err
	}
	// The background work stops, and is waited for, however serve returns:
	// before the database closes (deferred earlier, so it runs later).
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	defer func() { stopBackground(); background.Wait() }()
	background.Go(func() {
		// Notices from the other processes on the same PostgreSQL: votes for
		// the live tallies, ended sessions for the session cache.
		if err := db.Listen(bgCtx, log); err != nil {
			log.Error("notices from other processes", "err", err)
		}
	})
	background.Go(func() { purgeSessionsHourly(bgCtx, svc, log) })
	background.Go(func() { fed.Run(bgCtx) }) // workers finish their current step; queued work stays queued
	background.Go(func() {
		closeDueProposals(bgCtx, svc, log, c.SchedulerInterval, func() { fed.Kick(); notes.Kick() })
	})
	background.Go(func() { notes.Run(bgCtx, c.NotifyInterval) }) // a message being sent is finished and recorded
	background.Go(func() {
		allies.Run(bgCtx, time.Minute, func(err error) { log.Error("embed statements", "err", err) })
	})

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "base_url", baseURL.String())

	select {
	case err := <-served:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", c.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	stopBackground()
	background.Wait()
	log.Info("stopped")
	return nil
}

// notifySenders is how many notifications a process sends at once: enough
// to keep a mail server busy, few enough not to be taken for a flood.
const notifySenders = 4

// notifications builds the notification service: email through the
// configured mail server (none without --smtp-url), direct messages through
// federation. Unsubscribe links are signed with a key derived from the
// movement's private key, so every process of the instance agrees on it
// and no other secret has to be kept.
func notifications(c Config, db *storage.DB, fed *federation.Service, keys proposals.KeyPair, baseURL string, log *slog.Logger) (*notify.Service, error) {
	var m notify.Mailer
	if c.SMTPURL != "" {
		mm, err := mailer.New(mailer.Config{URL: c.SMTPURL, From: c.MailFrom}, time.Now)
		if err != nil {
			return nil, usageError{err}
		}
		m = mm
	}
	secret := sha256.Sum256([]byte("commonground unsubscribe links\n" + keys.PrivateKeyPEM))
	cfg := notify.Config{BaseURL: baseURL, DigestHour: c.DigestHour, Secret: secret[:], Senders: notifySenders}
	return notify.NewService(cfg, db.Notify(), m, fed, log, time.Now), nil
}

// announceSetup prints the one-time setup token while the instance has no admin,
// so that only whoever can read the server's log can claim it.
func announceSetup(ctx context.Context, svc *proposals.Service, log *slog.Logger, baseURL string) error {
	need, err := svc.NeedsSetup(ctx)
	if err != nil || !need {
		return err
	}
	token, err := svc.SetupToken(ctx)
	if err != nil {
		return err
	}
	log.Warn("this instance is not set up yet: open the setup page and give the setup token",
		"setup_url", baseURL+"/setup", "setup_token", token)
	return nil
}

// purgeSessionsHourly removes expired sessions, and the sign-in attempts no
// limit needs any more, until ctx ends.
func purgeSessionsHourly(ctx context.Context, svc *proposals.Service, log *slog.Logger) {
	repeat(ctx, time.Hour, func() {
		if n, err := svc.PurgeExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purge expired sessions", "err", err)
		} else if n > 0 {
			log.Info("purged expired sessions", "count", n)
		}
		if _, err := svc.PurgeSignIns(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purge old sign-in attempts", "err", err)
		}
	})
}

// closeDueProposals decides proposals whose voting period ended: once at start
// (so deadlines that passed while the instance was down are honoured), then
// every interval. Several processes may run it on one database: closing locks
// the proposal, and a proposal already decided is skipped.
func closeDueProposals(ctx context.Context, svc *proposals.Service, log *slog.Logger, interval time.Duration, announce func()) {
	repeat(ctx, interval, func() {
		if n, err := svc.CloseDue(ctx); err != nil && ctx.Err() == nil {
			log.Error("close due proposals", "err", err)
		} else if n > 0 {
			log.Info("closed proposals at their deadline", "count", n)
			announce()
		}
	})
}

// repeat runs fn at once, then every interval, until ctx ends.
func repeat(ctx context.Context, interval time.Duration, fn func()) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		fn()
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// lazyEncoder loads the sentence encoder (about 20 MB of weights) the first
// time a text is embedded, so that an instance starts at once.
type lazyEncoder struct {
	once  sync.Once
	model *embed.Model
}

func (e *lazyEncoder) Name() string { return embed.Name }

func (e *lazyEncoder) EmbedAll(texts []string) [][]float32 {
	e.once.Do(func() {
		m, err := embed.Load()
		if err != nil {
			panic(fmt.Sprintf("the embedded sentence encoder does not load: %v", err)) // the binary itself is broken
		}
		e.model = m
	})
	return e.model.EmbedAll(texts)
}
