package alert

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config is the `alerts:` section of the configuration file.
type Config struct {
	Rules   []RuleConfig  `yaml:"rules"`
	Routes  []RouteConfig `yaml:"routes"`
	NATSURL string        `yaml:"nats_url"` // server of the nats routes in `vocal run` (`vocal stream` uses --nats)
}

// RuleConfig is one alert rule.
type RuleConfig struct {
	Name         string        `yaml:"name"`
	When         string        `yaml:"when"`           // expr condition over the output record
	Routes       []string      `yaml:"routes"`         // route names; none = alerts.jsonl of `vocal run` only
	Dedupe       time.Duration `yaml:"dedupe"`         // drop repeats of a key within this window; 0 = off
	DedupeKey    string        `yaml:"dedupe_key"`     // expr giving the key; default id
	MaxPerMinute int           `yaml:"max_per_minute"` // rate limit (token bucket, burst of the same size); 0 = none
}

// RouteConfig is one destination of alerts.
type RouteConfig struct {
	Name       string        `yaml:"name"`
	Type       string        `yaml:"type"`        // webhook, nats or file
	URL        string        `yaml:"url"`         // webhook
	SecretEnv  string        `yaml:"secret_env"`  // webhook: environment variable holding the HMAC-SHA256 key
	Subject    string        `yaml:"subject"`     // nats
	Path       string        `yaml:"path"`        // file: alerts appended as JSON lines
	Timeout    time.Duration `yaml:"timeout"`     // per attempt; default 5s
	Retries    int           `yaml:"retries"`     // attempts after the first; default 3
	Backoff    time.Duration `yaml:"backoff"`     // delay before the first retry, doubled each time; default 200ms
	MaxBackoff time.Duration `yaml:"max_backoff"` // default 5s
	DeadLetter string        `yaml:"dead_letter"` // webhook and nats: file for alerts whose attempts all failed
	Workers    int           `yaml:"workers"`     // concurrent deliveries; default 4
}

// DefaultRule is the rule used when none is configured: what `vocal run`
// always wrote to alerts.jsonl (risk >= medium).
var DefaultRule = RuleConfig{Name: "risk", When: `risk.level in ["medium", "high", "critical"]`}

// withDefaults fills the defaults of a route.
func (r RouteConfig) withDefaults() RouteConfig {
	if r.Timeout <= 0 {
		r.Timeout = 5 * time.Second
	}
	if r.Retries == 0 {
		r.Retries = 3
	}
	if r.Backoff <= 0 {
		r.Backoff = 200 * time.Millisecond
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = 5 * time.Second
	}
	if r.Workers <= 0 {
		r.Workers = 4
	}
	return r
}

// Validate checks names, references and route settings and compiles every
// condition; errors name the rule or route.
func (c Config) Validate() error {
	routes := map[string]bool{}
	for i, r := range c.Routes {
		if r.Name == "" {
			return fmt.Errorf("alerts: route %d: name is empty", i+1)
		}
		if routes[r.Name] {
			return fmt.Errorf("alerts: route %q: defined twice", r.Name)
		}
		routes[r.Name] = true
		if err := r.validate(); err != nil {
			return fmt.Errorf("alerts: route %q: %w", r.Name, err)
		}
	}
	names := map[string]bool{}
	for i, r := range c.Rules {
		if r.Name == "" {
			return fmt.Errorf("alerts: rule %d: name is empty", i+1)
		}
		if names[r.Name] {
			return fmt.Errorf("alerts: rule %q: defined twice", r.Name)
		}
		names[r.Name] = true
		if _, err := compileRule(r); err != nil {
			return err
		}
		for _, name := range r.Routes {
			if !routes[name] {
				return fmt.Errorf("alerts: rule %q: unknown route %q", r.Name, name)
			}
		}
		if r.Dedupe < 0 || r.MaxPerMinute < 0 {
			return fmt.Errorf("alerts: rule %q: dedupe and max_per_minute must not be negative", r.Name)
		}
	}
	return nil
}

func (r RouteConfig) validate() error {
	if r.Retries < 0 || r.Timeout < 0 || r.Backoff < 0 || r.MaxBackoff < 0 || r.Workers < 0 {
		return errors.New("retries, timeout, backoff, max_backoff and workers must not be negative")
	}
	switch r.Type {
	case "webhook":
		u, err := url.Parse(r.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("url %q: want an http or https URL", r.URL)
		}
		if r.SecretEnv == "" {
			return errors.New("secret_env is required: webhooks are signed")
		}
		if r.DeadLetter == "" {
			return errors.New("dead_letter is required")
		}
	case "nats":
		if r.Subject == "" {
			return errors.New("subject is required")
		}
		if r.DeadLetter == "" {
			return errors.New("dead_letter is required")
		}
	case "file":
		if r.Path == "" {
			return errors.New("path is required")
		}
	default:
		return fmt.Errorf("type %q: want webhook, nats or file", r.Type)
	}
	return nil
}
