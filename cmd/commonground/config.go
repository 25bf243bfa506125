package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/commonground/commonground/federation"
	"github.com/commonground/commonground/federation/signing"
	"github.com/commonground/commonground/mailer"
)

// Config is every setting of an instance, filled from flags and COMMONGROUND_*
// environment variables (a flag wins over its variable) and validated once.
type Config struct {
	Listen      string
	BaseURL     string
	DataDir     string
	DatabaseURL string
	// DatabaseConnections caps this process's PostgreSQL connections: the
	// processes sharing a database must stay under its max_connections.
	DatabaseConnections int
	LogFormat           string
	LogLevel            slog.Level
	MaxBodyBytes        int64
	ShutdownTimeout     time.Duration
	// SchedulerInterval is how often due proposals are looked for.
	SchedulerInterval time.Duration
	// AllowPrivate lists private or loopback ranges that outbound federation
	// requests may reach (refused by default).
	AllowPrivate []netip.Prefix
	// FederationHTTP lets WebFinger fall back to plain HTTP (development, tests).
	FederationHTTP bool
	// DeliveryWorkers is how many deliveries this process sends at once.
	DeliveryWorkers int
	// RetryBase is the first delay before retrying a failed delivery.
	RetryBase time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// InboxWorkers is how many senders' activities this process handles at once.
	InboxWorkers int
	// InboxQuota is how many bytes one sending host may store in the inbox an hour.
	InboxQuota int64
	// Retention is how long processed activities and finished deliveries are kept.
	Retention time.Duration
	// SMTPURL is the mail server notifications go through; empty turns email off.
	SMTPURL string
	// MailFrom is the sender of the instance's email.
	MailFrom string
	// NotifyInterval is how often notifications are planned and sent when
	// nothing wakes the worker sooner.
	NotifyInterval time.Duration
	// DigestHour is the hour the daily digest goes out, in each member's
	// time zone (UTC for a member who set none).
	DigestHour int
}

// setting describes one flag and the environment variable behind it, so that the
// README's table, --help and the parser cannot drift apart. kind is what --help
// shows after the flag's name; a "bool" setting is a boolean flag, given alone
// (--federation-http) or with =true / =false.
type setting struct {
	name, env, kind, def, usage string
}

var settings = []setting{
	{"listen", "COMMONGROUND_LISTEN", "host:port", "127.0.0.1:8080", "address to listen on"},
	{"base-url", "COMMONGROUND_BASE_URL", "URL", "", "the https://host the instance is known by (default: from the listen address, for local use)"},
	{"data-dir", "COMMONGROUND_DATA_DIR", "path", "./data", "directory for the embedded database and other files"},
	{"database-url", "COMMONGROUND_DATABASE_URL", "URL", "", "postgres://user@host/db, or sqlite:/path/file.db (default: the embedded SQLite file in the data directory)"},
	{"database-connections", "COMMONGROUND_DATABASE_CONNECTIONS", "int", "32", "PostgreSQL connections this process opens at most, besides one that listens for the other processes' notices; processes sharing a database must together stay under its max_connections"},
	{"log-format", "COMMONGROUND_LOG_FORMAT", "text|json", "text", "log format"},
	{"log-level", "COMMONGROUND_LOG_LEVEL", "level", "info", "log level: debug, info, warn or error"},
	{"max-body-bytes", "COMMONGROUND_MAX_BODY_BYTES", "bytes", "1048576", "largest request body accepted"},
	{"shutdown-timeout", "COMMONGROUND_SHUTDOWN_TIMEOUT", "duration", "15s", "how long in-flight requests may take to finish on shutdown"},
	{"scheduler-interval", "COMMONGROUND_SCHEDULER_INTERVAL", "duration", "15s", "how often proposals past their deadline are closed"},
	{"allow-private", "COMMONGROUND_ALLOW_PRIVATE", "CIDRs", "", "private or loopback ranges federation may reach, e.g. 127.0.0.0/8 (default: none)"},
	{"federation-http", "COMMONGROUND_FEDERATION_HTTP", "bool", "false", "let WebFinger fall back to plain HTTP (development and tests only)"},
	{"delivery-workers", "COMMONGROUND_DELIVERY_WORKERS", "int", "8", "deliveries sent at once by this process"},
	{"delivery-retry-base", "COMMONGROUND_DELIVERY_RETRY_BASE", "duration", "8s", "first delay before retrying a failed delivery; each retry doubles it"},
	{"inbox-workers", "COMMONGROUND_INBOX_WORKERS", "int", "8", "senders whose activities this process handles at once (each sender's in order); one host gets at most a quarter of them"},
	{"inbox-quota", "COMMONGROUND_INBOX_QUOTA", "bytes", "4194304", "bytes of activities one sending host may store in the inbox per hour; beyond it the inbox answers 429 (at least 1048576)"},
	{"federation-retention", "COMMONGROUND_FEDERATION_RETENTION", "duration", "168h", "how long processed inbox activities and finished deliveries are kept before they are deleted"},
	{"smtp-url", "COMMONGROUND_SMTP_URL", "URL", "", "mail server for notifications: smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (default: no email)"},
	{"mail-from", "COMMONGROUND_MAIL_FROM", "address", "", "sender of notification emails, e.g. 'Riverside <notifications@example.org>' (required with --smtp-url)"},
	{"notify-interval", "COMMONGROUND_NOTIFY_INTERVAL", "duration", "30s", "how often reminders and digests are looked for (what members do is notified at once)"},
	{"digest-hour", "COMMONGROUND_DIGEST_HOUR", "hour", "7", "hour of the day (0 to 23) the daily digest of notifications goes out, in each member's time zone (UTC for those who set none)"},
	{"trusted-proxies", "COMMONGROUND_TRUSTED_PROXIES", "CIDRs", "", "reverse proxies whose X-Forwarded-For names the client, e.g. 127.0.0.1/32 (default: none, the peer's address counts)"},
}

// settingValue is a setting's raw text as a flag.Value; the text is checked
// once all of them are read (buildConfig), so that flags and environment
// variables get the same checks and messages.
type settingValue struct {
	text   string
	isBool bool
}

func (v *settingValue) String() string { return v.text }
func (v *settingValue) Set(s string) error {
	v.text = s
	return nil
}

// IsBoolFlag makes the flag package take "--name" alone as "--name=true".
func (v *settingValue) IsBoolFlag() bool { return v.isBool }

// errHelp means the person asked for --help; it is not a failure.
var errHelp = errors.New("help requested")

// parseConfig reads flags (args) over environment variables (getenv) over
// defaults, then validates. Its error names the setting at fault.
func parseConfig(command string, args []string, getenv func(string) string, helpOut io.Writer) (Config, error) {
	fs := flag.NewFlagSet("commonground "+command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	values := map[string]*settingValue{}
	for _, s := range settings {
		v := &settingValue{text: s.def, isBool: s.kind == "bool"}
		if env := getenv(s.env); env != "" {
			v.text = env
		}
		values[s.name] = v
		fs.Var(v, s.name, s.usage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(helpOut, "Usage: commonground %s [flags]\n\n", command)
			printSettings(helpOut)
			return Config{}, errHelp
		}
		return Config{}, fmt.Errorf("%v (see commonground %s --help)", err, command)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q (see commonground %s --help)", fs.Arg(0), command)
	}
	return buildConfig(func(name string) string { return values[name].text })
}

// printSettings writes --help: each flag with the kind of value it takes
// (none for a boolean flag, which is given alone), its default and its
// environment variable, then what it does.
func printSettings(w io.Writer) {
	for _, s := range settings {
		line := "  --" + s.name
		if s.kind != "bool" {
			line += " " + s.kind
		}
		if s.def != "" {
			line += "  (default " + s.def + ")"
		}
		fmt.Fprintf(w, "%s  [$%s]\n        %s\n", line, s.env, s.usage)
	}
}

func buildConfig(get func(name string) string) (Config, error) {
	c := Config{
		Listen:      get("listen"),
		BaseURL:     strings.TrimRight(get("base-url"), "/"),
		DataDir:     get("data-dir"),
		DatabaseURL: get("database-url"),
		LogFormat:   get("log-format"),
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return c, fmt.Errorf("--listen %q: want host:port, e.g. 127.0.0.1:8080", c.Listen)
	}
	if c.BaseURL != "" {
		if err := checkBaseURL(c.BaseURL); err != nil {
			return c, fmt.Errorf("--base-url %q: %w", c.BaseURL, err)
		}
	}
	if c.DataDir == "" {
		return c, errors.New("--data-dir: must not be empty")
	}
	var err error
	if c.DatabaseConnections, err = strconv.Atoi(get("database-connections")); err != nil || c.DatabaseConnections < 2 || c.DatabaseConnections > 1000 {
		return c, fmt.Errorf("--database-connections %q: want a number from 2 to 1000", get("database-connections"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("log-level"))); err != nil {
		return c, fmt.Errorf("--log-level %q: want debug, info, warn or error", get("log-level"))
	}
	n, err := strconv.ParseInt(get("max-body-bytes"), 10, 64)
	if err != nil || n < 1024 {
		return c, fmt.Errorf("--max-body-bytes %q: want a whole number of bytes, at least 1024", get("max-body-bytes"))
	}
	c.MaxBodyBytes = n
	d, err := time.ParseDuration(get("shutdown-timeout"))
	if err != nil || d <= 0 {
		return c, fmt.Errorf("--shutdown-timeout %q: want a positive duration such as 15s", get("shutdown-timeout"))
	}
	c.ShutdownTimeout = d
	if c.SchedulerInterval, err = time.ParseDuration(get("scheduler-interval")); err != nil || c.SchedulerInterval < 100*time.Millisecond {
		return c, fmt.Errorf("--scheduler-interval %q: want a duration of at least 100ms, such as 15s", get("scheduler-interval"))
	}
	if c.AllowPrivate, err = signing.ParseAllowList(get("allow-private")); err != nil {
		return c, fmt.Errorf("--allow-private: %w", err)
	}
	if c.FederationHTTP, err = strconv.ParseBool(get("federation-http")); err != nil {
		return c, fmt.Errorf("--federation-http %q: want true or false", get("federation-http"))
	}
	if c.DeliveryWorkers, err = strconv.Atoi(get("delivery-workers")); err != nil || c.DeliveryWorkers < 1 || c.DeliveryWorkers > 256 {
		return c, fmt.Errorf("--delivery-workers %q: want a number from 1 to 256", get("delivery-workers"))
	}
	if c.RetryBase, err = time.ParseDuration(get("delivery-retry-base")); err != nil || c.RetryBase < 100*time.Millisecond {
		return c, fmt.Errorf("--delivery-retry-base %q: want a duration of at least 100ms, such as 8s", get("delivery-retry-base"))
	}
	if c.InboxWorkers, err = strconv.Atoi(get("inbox-workers")); err != nil || c.InboxWorkers < 1 || c.InboxWorkers > 256 {
		return c, fmt.Errorf("--inbox-workers %q: want a number from 1 to 256", get("inbox-workers"))
	}
	if c.InboxQuota, err = strconv.ParseInt(get("inbox-quota"), 10, 64); err != nil || c.InboxQuota < federation.MaxActivityBytes {
		return c, fmt.Errorf("--inbox-quota %q: want a whole number of bytes, at least %d (the largest activity the inbox takes)", get("inbox-quota"), federation.MaxActivityBytes)
	}
	if c.Retention, err = time.ParseDuration(get("federation-retention")); err != nil || c.Retention < time.Hour {
		return c, fmt.Errorf("--federation-retention %q: want a duration of at least 1h, such as 168h", get("federation-retention"))
	}
	if c.TrustedProxies, err = signing.ParseAllowList(get("trusted-proxies")); err != nil {
		return c, fmt.Errorf("--trusted-proxies: %w", err)
	}
	return c, c.mailConfig(get)
}

// mailConfig reads the mail settings: a mail server needs a sender, and its
// URL and the sender must be what the mailer accepts.
func (c *Config) mailConfig(get func(name string) string) (err error) {
	c.SMTPURL, c.MailFrom = get("smtp-url"), get("mail-from")
	if c.NotifyInterval, err = time.ParseDuration(get("notify-interval")); err != nil || c.NotifyInterval < 100*time.Millisecond {
		return fmt.Errorf("--notify-interval %q: want a duration of at least 100ms, such as 30s", get("notify-interval"))
	}
	if c.DigestHour, err = strconv.Atoi(get("digest-hour")); err != nil || c.DigestHour < 0 || c.DigestHour > 23 {
		return fmt.Errorf("--digest-hour %q: want an hour from 0 to 23", get("digest-hour"))
	}
	if c.SMTPURL == "" {
		return nil
	}
	if c.MailFrom == "" {
		return errors.New("--mail-from: required with --smtp-url, e.g. 'Riverside <notifications@example.org>'")
	}
	_, err = mailer.New(mailer.Config{URL: c.SMTPURL, From: c.MailFrom}, time.Now)
	return err
}

// checkBaseURL accepts http(s)://host[:port] with no path: actor ids and
// WebFinger answers are built from it, and remote servers keep them forever.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("not a URL: %v", err)
	case u.Scheme != "https" && u.Scheme != "http":
		return errors.New("want https://host (or http:// for local use)")
	case u.Host == "":
		return errors.New("no host")
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "":
		return errors.New("want only scheme and host, with no path")
	}
	return nil
}

// baseURLFor is the base URL to use: the configured one, or one derived from the
// address actually bound (which knows the port when --listen asked for :0).
func (c Config) baseURLFor(bound net.Addr) *url.URL {
	if c.BaseURL != "" {
		u, _ := url.Parse(c.BaseURL)
		return u
	}
	host, port, _ := net.SplitHostPort(bound.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}
}

func (c Config) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
