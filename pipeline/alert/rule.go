package alert

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"golang.org/x/time/rate"

	"github.com/vocal-dev/vocal/pipeline"
)

// rule is a compiled RuleConfig with its deduplication and rate state. The
// state is used from the one goroutine that writes to the sink.
type rule struct {
	cfg     RuleConfig
	when    *vm.Program
	key     *vm.Program // nil: the record id
	seen    map[string]time.Time
	swept   time.Time
	limiter *rate.Limiter
}

// compileEnv declares the names every record has, with their types; the
// passthrough fields are not known in advance, so undefined names are
// allowed (and are nil when a record lacks them).
var compileEnv = map[string]any{
	"id": "", "text": "", "lang": "",
	"sentiment": map[string]any{}, "topics": []string{}, "aspects": []any{}, "risk": map[string]any{},
}

func compileRule(c RuleConfig) (*rule, error) {
	if c.When == "" {
		return nil, fmt.Errorf("alerts: rule %q: when is empty", c.Name)
	}
	when, err := expr.Compile(c.When, expr.Env(compileEnv), expr.AllowUndefinedVariables(), expr.AsBool())
	if err != nil {
		return nil, fmt.Errorf("alerts: rule %q: when: %w", c.Name, err)
	}
	r := &rule{cfg: c, when: when, seen: map[string]time.Time{}}
	if c.DedupeKey != "" {
		if r.key, err = expr.Compile(c.DedupeKey, expr.Env(compileEnv), expr.AllowUndefinedVariables()); err != nil {
			return nil, fmt.Errorf("alerts: rule %q: dedupe_key: %w", c.Name, err)
		}
	}
	if c.MaxPerMinute > 0 {
		r.limiter = rate.NewLimiter(rate.Limit(float64(c.MaxPerMinute)/60), c.MaxPerMinute)
	}
	return r, nil
}

// Env is what a condition sees of a record: the output record with topics
// as a list of keys, aspects, risk categories, and every passthrough field
// decoded from JSON (numbers as float64). Output names win over passthrough
// fields of the same name.
func Env(r *pipeline.Record) map[string]any {
	env := make(map[string]any, 8+len(r.Fields))
	for _, f := range r.Fields {
		var v any
		if json.Unmarshal(f.Value, &v) == nil {
			env[f.Name] = v
		}
	}
	env["id"], env["text"] = r.ID, r.Text
	if r.Out == nil {
		return env
	}
	out := r.Out
	env["lang"] = out.Lang
	env["sentiment"] = map[string]any{"label": out.Sentiment.Label, "score": out.Sentiment.Score}
	keys := make([]string, 0, len(out.Topics))
	aspects := make([]any, 0, len(out.Topics))
	for _, m := range out.Topics {
		if !contains(keys, m.Topic) {
			keys = append(keys, m.Topic)
		}
		aspects = append(aspects, map[string]any{"topic": m.Topic, "sentiment": m.Sentiment, "score": m.Score,
			"evidence": m.Evidence, "start": m.Start, "end": m.End})
	}
	env["topics"], env["aspects"] = keys, aspects
	cats := []string{}
	hits := make([]any, 0, len(out.Risk.Hits))
	for _, h := range out.Risk.Hits {
		if !contains(cats, h.Category) {
			cats = append(cats, h.Category)
		}
		hits = append(hits, map[string]any{"term": h.Term, "category": h.Category, "level": h.Level, "start": h.Start, "end": h.End})
	}
	env["risk"] = map[string]any{"level": out.Risk.Level, "categories": cats, "hits": hits}
	return env
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// match evaluates the condition; an evaluation error (a passthrough field
// of an unexpected type, say) is returned and counts as no match.
func (r *rule) match(m *vm.VM, env map[string]any) (bool, error) {
	v, err := m.Run(r.when, env)
	if err != nil {
		return false, err
	}
	b, _ := v.(bool)
	return b, nil
}

// admit applies the deduplication window and the rate limit; it returns the
// reason an alert is suppressed, or "".
func (r *rule) admit(m *vm.VM, env map[string]any, id string, now time.Time) string {
	if r.cfg.Dedupe > 0 {
		key := id
		if r.key != nil {
			if v, err := m.Run(r.key, env); err == nil && v != nil {
				key = fmt.Sprint(v)
			}
		}
		if last, ok := r.seen[key]; ok && now.Sub(last) < r.cfg.Dedupe {
			return "dedupe"
		}
		if now.Sub(r.swept) >= r.cfg.Dedupe {
			for k, t := range r.seen {
				if now.Sub(t) >= r.cfg.Dedupe {
					delete(r.seen, k)
				}
			}
			r.swept = now
		}
		r.seen[key] = now
	}
	if r.limiter != nil && !r.limiter.AllowN(now, 1) {
		return "rate"
	}
	return ""
}
