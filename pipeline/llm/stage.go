package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/redact"
	"github.com/vocal-dev/vocal/sentiment"
)

// Stage is the LLM assist: a pipeline stage that wraps the local tag stage,
// runs it, and sends the records it is unsure of (see Unsure) to the model.
// A valid answer is merged into the record's analysis (see merge); anything
// else (an endpoint failure, an invalid answer, an exhausted token budget)
// leaves the local result as it is and is only counted: an LLM failure is
// never a record error. Texts are redacted (package redact) before they are
// sent or hashed. Safe for concurrent use; at most max_concurrency requests
// are in flight.
type Stage struct {
	inner     pipeline.Stage
	client    *Client
	prompt    *tagPrompt
	cache     *Cache
	log       *slog.Logger
	sem       chan struct{}
	threshold float64
	budget    int64
	tokens    atomic.Int64
	brk       breaker

	mu     sync.Mutex
	c      Counters
	warned map[string]bool
}

// StageOption tunes a Stage.
type StageOption func(*Stage)

// WithCache keeps valid answers in c and looks them up before sending.
func WithCache(c *Cache) StageOption { return func(s *Stage) { s.cache = c } }

// WithLogger logs the first fall-back of each reason and the exhaustion of
// the budget (default: discarded). Texts and the API key are never logged.
func WithLogger(l *slog.Logger) StageOption { return func(s *Stage) { s.log = l } }

// WithBreaker stops sending for cooldown after failures consecutive endpoint
// failures (timeouts, 429, 5xx, unreachable, rejected), then tries again
// (default 5 and 30s).
func WithBreaker(failures int, cooldown time.Duration) StageOption {
	return func(s *Stage) { s.brk.n, s.brk.cool = failures, cooldown }
}

// NewStage wraps inner, the local tag stage, with the assist of client; tax
// is the taxonomy whose topic keys the model may use.
func NewStage(inner pipeline.Stage, client *Client, tax *lexicons.Taxonomy, opts ...StageOption) (*Stage, error) {
	p, err := newTagPrompt(tax)
	if err != nil {
		return nil, err
	}
	cfg := client.Config()
	s := &Stage{inner: inner, client: client, prompt: p, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		sem: make(chan struct{}, cfg.MaxConcurrency), threshold: cfg.Threshold, budget: cfg.TokenBudget,
		brk: breaker{n: 5, cool: 30 * time.Second}, c: Counters{FellBack: map[string]int64{}}, warned: map[string]bool{}}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Counters say what the assist did in a run. Every unsure record ends in
// exactly one of Merged, FellBack and BudgetSkipped.
type Counters struct {
	Unsure        int64            `json:"unsure"`         // records the local result was unsure of
	Merged        int64            `json:"merged"`         // valid answers applied (from the endpoint or the cache)
	Changed       int64            `json:"changed"`        // of those, records whose output changed
	FellBack      map[string]int64 `json:"fell_back"`      // local result kept, by reason
	BudgetSkipped int64            `json:"budget_skipped"` // not sent: the token budget was spent
	Sent          int64            `json:"sent"`           // requests sent (records, not attempts)
	CacheHits     int64            `json:"cache_hits"`     // answers taken from the cache
	Retries       int64            `json:"retries"`        // retried attempts
	Tokens        int64            `json:"tokens"`         // tokens the endpoint counted
}

// String is the one-line summary vocal prints at the end of a run.
func (c Counters) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "llm: %d unsure record(s): %d merged (%d changed)", c.Unsure, c.Merged, c.Changed)
	var fell int64
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(c.FellBack)) {
		fell += c.FellBack[r]
		parts = append(parts, fmt.Sprintf("%s %d", r, c.FellBack[r]))
	}
	fmt.Fprintf(&b, ", %d kept the local result", fell)
	if len(parts) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, ", %d skipped by the token budget; %d request(s), %d retries, %d cache hit(s), %d tokens",
		c.BudgetSkipped, c.Sent, c.Retries, c.CacheHits, c.Tokens)
	return b.String()
}

// Counters returns a snapshot of the counters.
func (s *Stage) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.c
	c.FellBack = maps.Clone(s.c.FellBack)
	c.Tokens = s.tokens.Load()
	c.Retries = s.client.Retries()
	return c
}

// Unsure reports whether the local result of text goes to the model: the
// text is not blank, and the analysis has no topic or a sentiment confidence
// below the threshold (every text with threshold 1). A result no model
// scored (sentiment.source "lexicon": no model for the language, und text,
// --models none, a risk-only complaint) has no confidence and counts as 0,
// so it is unsure whenever the threshold is above 0.
func (s *Stage) Unsure(text string, a *pipeline.Analysis) bool {
	if strings.TrimSpace(text) == "" {
		return false
	}
	if len(a.Topics) == 0 || s.threshold >= 1 {
		return true
	}
	conf := 0.0
	if a.Sentiment.Source == sentiment.SourceModel {
		conf = a.Sentiment.Confidence
	}
	return conf < s.threshold
}

// Process implements pipeline.Stage without a context (requests are still
// bounded by the timeout and retries).
func (s *Stage) Process(r *pipeline.Record) { s.ProcessContext(context.Background(), r) }

// ProcessContext implements pipeline.ContextStage: it runs the local stage,
// then the assist when the result is unsure. It blocks on the endpoint; ctx
// cancels the request.
func (s *Stage) ProcessContext(ctx context.Context, r *pipeline.Record) {
	if cs, ok := s.inner.(pipeline.ContextStage); ok {
		cs.ProcessContext(ctx, r)
	} else {
		s.inner.Process(r)
	}
	if r.Err != nil || r.Out == nil || !s.Unsure(r.Text, r.Out) {
		return
	}
	s.add(func(c *Counters) { c.Unsure++ })
	out, changed, err := s.assist(ctx, r.Text, *r.Out)
	switch {
	case errors.Is(err, errBudget):
		s.add(func(c *Counters) { c.BudgetSkipped++ })
		s.warnOnce("budget", "llm assist: token budget spent; later unsure records keep the local result",
			"token_budget", s.budget, "record", r.ID)
	case err != nil:
		reason := ReasonOf(err)
		s.add(func(c *Counters) { c.FellBack[reason]++ })
		s.warnOnce(reason, "llm assist: keeping the local result; later failures of this kind are only counted",
			"reason", reason, "record", r.ID, "error", err.Error())
	default:
		s.add(func(c *Counters) {
			c.Merged++
			if changed {
				c.Changed++
			}
		})
		r.Out = &out
	}
}

// errBudget is assist's error for a record skipped by the token budget.
var errBudget = &Error{Reason: "budget", Err: fmt.Errorf("token budget spent")}

// assist asks the cache, then the endpoint, about text and merges a valid
// answer into local.
func (s *Stage) assist(ctx context.Context, text string, local pipeline.Analysis) (pipeline.Analysis, bool, error) {
	red := redact.Redact(text)
	key := Key(TagPromptVersion, s.client.cfg.Model, red.Text, strings.Join(s.prompt.keys, ","))
	if s.cache != nil {
		if ans, ok := s.cache.Get(key); ok {
			s.add(func(c *Counters) { c.CacheHits++ })
			v, err := s.prompt.validate(string(ans), red)
			if err != nil {
				return local, false, err
			}
			out, changed := merge(local, v, []rune(text))
			return out, changed, nil
		}
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return local, false, errorf(ReasonCanceled, "%w", ctx.Err())
	}
	defer func() { <-s.sem }()
	if s.budget > 0 && s.tokens.Load() >= s.budget {
		return local, false, errBudget
	}
	if !s.brk.allow(time.Now()) {
		return local, false, errorf(ReasonCircuitOpen, "the endpoint failed %d times in a row; not sending for %s", s.brk.n, s.brk.cool)
	}
	s.add(func(c *Counters) { c.Sent++ })
	comp, err := s.client.Complete(ctx, s.prompt.request(red.Text))
	s.tokens.Add(comp.Tokens)
	if err != nil {
		if r := ReasonOf(err); r != ReasonCanceled {
			s.brk.record(time.Now(), endpointFault(r))
		}
		return local, false, err
	}
	s.brk.record(time.Now(), false)
	v, err := s.prompt.validate(comp.Content, red)
	if err != nil {
		return local, false, err
	}
	if s.cache != nil {
		if err := s.cache.Put(key, json.RawMessage(stripFence(comp.Content))); err != nil {
			s.warnOnce("cache", "llm assist: cannot write the cache", "error", err.Error())
		}
	}
	out, changed := merge(local, v, []rune(text))
	return out, changed, nil
}

func (s *Stage) add(f func(*Counters)) {
	s.mu.Lock()
	f(&s.c)
	s.mu.Unlock()
}

func (s *Stage) warnOnce(kind, msg string, args ...any) {
	s.mu.Lock()
	seen := s.warned[kind]
	s.warned[kind] = true
	s.mu.Unlock()
	if !seen {
		s.log.Warn(msg, args...)
	}
}

// breaker stops sending for cool after n consecutive endpoint failures; then
// one more failure opens it again.
type breaker struct {
	mu    sync.Mutex
	n     int
	cool  time.Duration
	fails int
	until time.Time
}

func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n <= 0 || !now.Before(b.until)
}

func (b *breaker) record(now time.Time, failed bool) {
	if b.n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !failed {
		b.fails = 0
		return
	}
	b.fails++
	if b.fails >= b.n {
		b.until = now.Add(b.cool)
		b.fails = b.n - 1
	}
}
