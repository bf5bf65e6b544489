package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vocal-dev/vocal/pipeline"
)

// Engine evaluates the rules on each record written to it and hands the
// alerts to the routes' workers. It is a pipeline.Sink and a
// pipeline.Committer: a record is durable once every alert it raised is
// delivered or in a dead letter. Write, Commit and Match are called from one
// goroutine; Close stops the workers.
type Engine struct {
	rules  []*rule
	routes map[string]*route
	order  []*route
	log    *slog.Logger
	m      *metrics
	vm     vm.VM
	now    func() time.Time
	wg     sync.WaitGroup

	// the last record matched, so that Match and Write evaluate once
	last    *pipeline.Record
	lastEnv map[string]any
	lastHit []*rule

	written int64
	mu      sync.Mutex
	pending map[int64]int // outstanding deliveries by write number
	waiting []int64       // write numbers with deliveries, ascending
	err     error         // first delivery that could not be made durable
	changed chan struct{}
}

// Option configures New.
type Option func(*options)

type options struct {
	publish Publish
	log     *slog.Logger
	reg     prometheus.Registerer
	client  *http.Client
	agent   string
}

// WithPublish is how nats routes publish; required when one is configured.
func WithPublish(p Publish) Option { return func(o *options) { o.publish = p } }

// WithLogger logs dead letters and rule errors; default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithRegisterer registers the alert metrics (vocal_alerts_*).
func WithRegisterer(r prometheus.Registerer) Option { return func(o *options) { o.reg = r } }

// WithHTTPClient sets the webhook client; the route's timeout applies per attempt.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithUserAgent sets the webhooks' User-Agent header.
func WithUserAgent(s string) Option { return func(o *options) { o.agent = s } }

// New validates cfg, compiles its rules (DefaultRule when there are none),
// opens the routes' files and starts their workers. A webhook's secret is
// read from its secret_env variable now.
func New(cfg Config, opts ...Option) (*Engine, error) {
	o := options{log: slog.Default(), client: &http.Client{}, agent: "vocal"}
	for _, opt := range opts {
		opt(&o)
	}
	if len(cfg.Rules) == 0 {
		cfg.Rules = []RuleConfig{DefaultRule}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{routes: map[string]*route{}, log: o.log, m: newMetrics(o.reg), now: time.Now,
		pending: map[int64]int{}, changed: make(chan struct{}, 1)}
	for _, rc := range cfg.Routes {
		r, err := openRoute(rc.withDefaults(), o)
		if err != nil {
			e.closeRoutes()
			return nil, fmt.Errorf("alerts: route %q: %w", rc.Name, err)
		}
		e.routes[rc.Name] = r
		e.order = append(e.order, r)
	}
	for _, rc := range cfg.Rules {
		r, err := compileRule(rc)
		if err != nil {
			e.closeRoutes()
			return nil, err
		}
		e.rules = append(e.rules, r)
	}
	for _, r := range e.order {
		for i := 0; i < r.cfg.Workers; i++ {
			e.wg.Add(1)
			go e.work(r)
		}
	}
	return e, nil
}

func openRoute(c RouteConfig, o options) (*route, error) {
	r := &route{cfg: c, queue: make(chan job, 4*c.Workers)}
	var closers multiCloser
	switch c.Type {
	case "webhook":
		secret := os.Getenv(c.SecretEnv)
		if secret == "" {
			return nil, fmt.Errorf("secret_env %s is not set", c.SecretEnv)
		}
		r.target = &webhook{url: c.URL, secret: []byte(secret), client: o.client, agent: o.agent}
	case "nats":
		if o.publish == nil {
			return nil, errors.New("a nats route needs a NATS connection (--nats)")
		}
		r.target = &natsTarget{subject: c.Subject, publish: o.publish}
	case "file":
		f, err := os.OpenFile(c.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		closers = append(closers, f)
		r.target = &fileTarget{f: f}
	}
	if c.DeadLetter != "" {
		dl, err := pipeline.OpenDeadLetterFile(c.DeadLetter)
		if err != nil {
			closers.Close()
			return nil, err
		}
		closers = append(closers, dl)
		r.dl = dl
	}
	r.closer = closers
	return r, nil
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var errs []error
	for _, c := range m {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

func (e *Engine) closeRoutes() error {
	var errs []error
	for _, r := range e.order {
		errs = append(errs, r.closer.Close())
	}
	return errors.Join(errs...)
}

// Match reports whether any rule fires for r (a rejected record never
// does); it is DatasetConfig.Alert for the alerts.jsonl of a dataset.
func (e *Engine) Match(r *pipeline.Record) bool { return len(e.match(r)) > 0 }

func (e *Engine) match(r *pipeline.Record) []*rule {
	if r == e.last {
		return e.lastHit
	}
	e.last, e.lastHit, e.lastEnv = r, nil, nil
	if r.Err != nil || r.Out == nil {
		return nil
	}
	e.lastEnv = Env(r)
	for _, ru := range e.rules {
		ok, err := ru.match(&e.vm, e.lastEnv)
		if err != nil {
			e.m.ruleErrors.WithLabelValues(ru.cfg.Name).Inc()
			e.log.Debug("alert rule failed on a record", "rule", ru.cfg.Name, "id", r.ID, "err", err)
			continue
		}
		if ok {
			e.lastHit = append(e.lastHit, ru)
		}
	}
	return e.lastHit
}

// AlertID is the id of the alert of rule for a record id.
func AlertID(rule, recordID string) string {
	h := sha256.Sum256([]byte(rule + "\x00" + recordID))
	return hex.EncodeToString(h[:16])
}

// Write implements pipeline.Sink: it evaluates the rules, applies their
// deduplication windows and rate limits, and queues one delivery per route
// of each rule that fired. It blocks while the routes' queues are full.
func (e *Engine) Write(ctx context.Context, r *pipeline.Record) error {
	if err := e.failure(); err != nil {
		return err
	}
	e.written++
	hits := e.match(r)
	if len(hits) == 0 {
		return nil
	}
	now := e.now().UTC()
	var rec json.RawMessage
	for _, ru := range hits {
		e.m.matched.WithLabelValues(ru.cfg.Name).Inc()
		if reason := ru.admit(&e.vm, e.lastEnv, r.ID, now); reason != "" {
			e.m.suppressed.WithLabelValues(ru.cfg.Name, reason).Inc()
			continue
		}
		if len(ru.cfg.Routes) == 0 {
			continue
		}
		if rec == nil {
			var err error
			if rec, err = pipeline.MarshalRecord(r); err != nil {
				return err
			}
		}
		a := &Alert{ID: AlertID(ru.cfg.Name, r.ID), Rule: ru.cfg.Name, FiredAt: now, Record: rec}
		payload, err := json.Marshal(a)
		if err != nil {
			return err
		}
		for _, name := range ru.cfg.Routes {
			n := e.written
			e.mu.Lock()
			if e.pending[n] == 0 {
				e.waiting = append(e.waiting, n)
			}
			e.pending[n]++
			e.mu.Unlock()
			j := job{alert: a, payload: payload, done: func(err error) { e.done(n, err) }}
			select {
			case e.routes[name].queue <- j:
			case <-ctx.Done():
				e.done(n, ctx.Err())
				return ctx.Err()
			}
		}
	}
	return nil
}

func (e *Engine) work(r *route) {
	defer e.wg.Done()
	for j := range r.queue {
		attempts, lastErr, err := r.send(context.Background(), j)
		switch {
		case err != nil:
			e.m.failed.WithLabelValues(r.cfg.Name).Inc()
			e.log.Error("alert not delivered", "route", r.cfg.Name, "rule", j.alert.Rule, "alert_id", j.alert.ID, "err", err)
		case lastErr != nil:
			e.m.failed.WithLabelValues(r.cfg.Name).Inc()
			e.log.Warn("alert sent to the dead letter", "route", r.cfg.Name, "rule", j.alert.Rule, "alert_id", j.alert.ID,
				"attempts", attempts, "err", lastErr)
		default:
			e.m.sent.WithLabelValues(r.cfg.Name).Inc()
			e.m.latency.WithLabelValues(r.cfg.Name).Observe(time.Since(j.alert.FiredAt).Seconds())
		}
		if attempts > 1 {
			e.m.retries.WithLabelValues(r.cfg.Name).Add(float64(attempts - 1))
		}
		j.done(err)
	}
}

func (e *Engine) done(n int64, err error) {
	e.mu.Lock()
	e.pending[n]--
	if err != nil && e.err == nil {
		e.err = err
	}
	e.mu.Unlock()
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

func (e *Engine) failure() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// durable returns the records written so far whose alerts are all durable,
// and the number of deliveries still outstanding.
func (e *Engine) durable() (int64, int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.waiting) > 0 && e.pending[e.waiting[0]] == 0 {
		delete(e.pending, e.waiting[0])
		e.waiting = e.waiting[1:]
	}
	if len(e.waiting) == 0 {
		return e.written, 0, e.err
	}
	return e.waiting[0] - 1, len(e.waiting), e.err
}

// Commit implements pipeline.Committer; with all it waits for every
// outstanding delivery.
func (e *Engine) Commit(ctx context.Context, all bool) (int64, error) {
	for {
		d, outstanding, err := e.durable()
		if err != nil {
			return d, fmt.Errorf("alerts: %w", err)
		}
		if !all || outstanding == 0 {
			return d, nil
		}
		select {
		case <-e.changed:
		case <-ctx.Done():
			return d, ctx.Err()
		}
	}
}

// Close waits for the queued deliveries, stops the workers and closes the
// routes' files.
func (e *Engine) Close() error {
	for _, r := range e.order {
		close(r.queue)
	}
	e.wg.Wait()
	err := e.closeRoutes()
	e.order = nil
	return errors.Join(err, e.failure())
}
