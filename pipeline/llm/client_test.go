package llm

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// TestRequestShape checks what goes over the wire: model, strict JSON schema
// with the taxonomy's keys as the topic enum, an explicit near-zero
// temperature, the output limit, and the redacted text as the user message.
func TestRequestShape(t *testing.T) {
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		reply(w, answerJSON(TagAnswer{Sentiment: "negative", Score: -0.5}), 10)
	})
	s, _ := newTestStage(t, testConfig(f.url()), localFunc(unsureLocal))
	process(t, s, "a1", "邮箱a@b.com，价格太贵")
	var body struct {
		Model               string   `json:"model"`
		Temperature         *float64 `json:"temperature"`
		MaxCompletionTokens int      `json:"max_completion_tokens"`
		Messages            []struct{ Role, Content string }
		ResponseFormat      struct {
			Type       string `json:"type"`
			JSONSchema struct {
				Name   string          `json:"name"`
				Strict bool            `json:"strict"`
				Schema json.RawMessage `json:"schema"`
			} `json:"json_schema"`
		} `json:"response_format"`
	}
	if err := json.Unmarshal([]byte(f.requests()[0]), &body); err != nil {
		t.Fatal(err)
	}
	if body.Model != "test-model" || body.MaxCompletionTokens != 600 {
		t.Errorf("model %q, max_completion_tokens %d", body.Model, body.MaxCompletionTokens)
	}
	if body.Temperature == nil || *body.Temperature <= 0 || *body.Temperature > 1e-40 {
		t.Errorf("temperature %v: want an explicit near-zero value", body.Temperature)
	}
	if len(body.Messages) != 2 || body.Messages[0].Role != "system" || body.Messages[1].Content != "邮箱[EMAIL]，价格太贵" {
		t.Errorf("messages %+v", body.Messages)
	}
	if rf := body.ResponseFormat; rf.Type != "json_schema" || !rf.JSONSchema.Strict || rf.JSONSchema.Name != "vocal_tag" {
		t.Errorf("response_format %+v", rf)
	}
	var schema struct {
		Required             []string `json:"required"`
		AdditionalProperties bool     `json:"additionalProperties"`
		Defs                 map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(body.ResponseFormat.JSONSchema.Schema, &schema); err != nil {
		t.Fatal(err)
	}
	if got := schema.Defs["TopicAnswer"].Properties["topic"].Enum; !slices.Equal(got, []string{"price", "function", "service_attitude", "logistics"}) {
		t.Errorf("topic enum %v", got)
	}
	slices.Sort(schema.Required)
	if want := []string{"risk", "risk_category", "risk_evidence", "score", "sentiment", "sentiment_evidence", "topics"}; !slices.Equal(schema.Required, want) || schema.AdditionalProperties {
		t.Errorf("required %v, additionalProperties %v", schema.Required, schema.AdditionalProperties)
	}
}

func TestRequestJSONMode(t *testing.T) {
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		if req.ResponseFormat == nil || req.ResponseFormat.Type != openai.ChatCompletionResponseFormatTypeJSONObject ||
			!strings.Contains(req.Messages[0].Content, `"sentiment_evidence"`) {
			fail(w, http.StatusBadRequest, "")
			return
		}
		reply(w, "```json\n"+answerJSON(TagAnswer{Sentiment: "negative", Score: -0.5})+"\n```", 10)
	})
	cfg := testConfig(f.url())
	cfg.ResponseFormat = FormatJSONObject
	s, _ := newTestStage(t, cfg, localFunc(mixedLocal))
	if r := process(t, s, "a1", mixedText); r.Out.Sentiment.Source != "llm" {
		t.Errorf("JSON mode answer (in a code fence) not merged: %+v", s.Counters())
	}
}

func TestReasoningModelSendsNoTemperature(t *testing.T) {
	cfg := testConfig("http://127.0.0.1:1/v1")
	cfg.Model = "o3-mini"
	c, err := NewClient(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if req := c.chatRequest(Request{Schema: nil}); req.Temperature != 0 {
		t.Errorf("temperature %v for a reasoning model", req.Temperature)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		reply(w, answerJSON(TagAnswer{Sentiment: "negative", Score: -0.5}), 10)
	})
	cfg := testConfig(f.url())
	cfg.RequestsPerMinute, cfg.MaxConcurrency = 600, 1 // one per 100ms after a burst of 1
	c, err := NewClient(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	p, _ := newTagPrompt(testTaxonomy())
	start := time.Now()
	for range 4 {
		if _, err := c.Complete(ctx, p.request("x")); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 280*time.Millisecond {
		t.Errorf("4 requests at 600/min took %s, want >= 300ms", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "0": 0, "-3": 0, "2": 2 * time.Second, " 10 ": 10 * time.Second, "soon": 0,
		"Sun, 01 Nov 2026 12:00:30 GMT": 30 * time.Second, "Sun, 01 Nov 2026 11:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", v, got, want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil || DefaultConfig().Enabled() {
		t.Fatalf("the default (off) must be valid: %v", err)
	}
	ok := DefaultConfig()
	ok.BaseURL, ok.Model = "https://api.openai.com/v1", "gpt-4o-mini"
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
		mod        func(*Config)
	}{
		{"scheme", "base_url", func(c *Config) { c.BaseURL = "api.openai.com" }},
		{"model", "model: required", func(c *Config) { c.Model = "" }},
		{"threshold", "threshold 1.5", func(c *Config) { c.Threshold = 1.5 }},
		{"timeout", "timeout 0s", func(c *Config) { c.Timeout = 0 }},
		{"concurrency", "max_concurrency 0", func(c *Config) { c.MaxConcurrency = 0 }},
		{"rpm", "requests_per_minute -1", func(c *Config) { c.RequestsPerMinute = -1 }},
		{"budget", "token_budget -5", func(c *Config) { c.TokenBudget = -5 }},
		{"retries", "retries 11", func(c *Config) { c.Retries = 11 }},
		{"format", "response_format \"xml\"", func(c *Config) { c.ResponseFormat = "xml" }},
	} {
		c := ok
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestCache(t *testing.T) {
	dir := t.TempDir()
	c, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Put(Key("k", string(rune('a'+i))), json.RawMessage(`{"n": `+string(rune('0'+i%10))+`}`)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	c.Put(Key("k", "a"), json.RawMessage(`{"n": "last"}`))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// A torn last line (a crash mid-write) is skipped and ended.
	fh, _ := os.OpenFile(filepath.Join(dir, CacheFile), os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString(`{"key":"torn","answer":{"n"`)
	fh.Close()
	c, err = OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 50 || c.skipped != 1 {
		t.Errorf("reopened: %d answers, %d skipped lines", c.Len(), c.skipped)
	}
	if a, ok := c.Get(Key("k", "a")); !ok || string(a) != `{"n":"last"}` {
		t.Errorf("last write did not win: %s", a)
	}
	c.Put("after", json.RawMessage(`{}`))
	c.Close()
	c, _ = OpenCache(dir)
	defer c.Close()
	if _, ok := c.Get("after"); !ok || c.Len() != 51 {
		t.Errorf("the line after a torn one was lost (%d answers)", c.Len())
	}
	if st, _ := os.Stat(filepath.Join(dir, CacheFile)); st.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode %v", st.Mode().Perm())
	}
	if Key("ab", "c") == Key("a", "bc") {
		t.Error("Key is ambiguous")
	}
	if err := c.Put("x", json.RawMessage(`{not json`)); err == nil {
		t.Error("Put accepted invalid JSON")
	}
}

func TestSample(t *testing.T) {
	var all []Snippet
	for i := range 100 {
		all = append(all, Snippet{ID: "r" + string(rune('A'+i%26)) + string(rune('a'+i/26)), Text: "t"})
	}
	a, b := Sample(all, 10, 7), Sample(slices.Clone(all), 10, 7)
	if len(a) != 10 || !slices.Equal(a, b) {
		t.Fatalf("not deterministic")
	}
	reversed := slices.Clone(all)
	slices.Reverse(reversed)
	if !slices.Equal(a, Sample(reversed, 10, 7)) {
		t.Errorf("depends on input order")
	}
	if slices.Equal(a, Sample(all, 10, 8)) {
		t.Errorf("seed has no effect")
	}
	if len(Sample(all[:3], 10, 1)) != 3 {
		t.Errorf("short input")
	}
}

func TestSummarize(t *testing.T) {
	snippets := []Snippet{{ID: "r1", Text: "快递三天还没到，太慢了"}, {ID: "r2", Text: "物流太慢，包装也破了"}, {ID: "r3", Text: "电话[PHONE]一直没人接"}}
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		var got []Snippet
		if err := json.Unmarshal([]byte(userText(req)), &got); err != nil || len(got) != 3 || req.ResponseFormat.JSONSchema.Name != "vocal_summary" {
			fail(w, http.StatusBadRequest, "")
			return
		}
		b, _ := json.Marshal(SummaryAnswer{Summary: "顾客主要抱怨配送慢。", Examples: []SummaryQuote{
			{ID: "r1", Quote: "快递三天还没到"},
			{ID: "r2", Quote: "物流太慢"},
			{ID: "r9", Quote: "物流太慢"},    // not in the sample
			{ID: "r3", Quote: "客服态度很差"},  // not what r3 says
			{ID: "r2", Quote: "“包装也破了”"}, // quotes trimmed
		}})
		reply(w, string(b), 300)
	})
	c, err := NewClient(testConfig(f.url()), "")
	if err != nil {
		t.Fatal(err)
	}
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s, err := c.Summarize(ctx, "logistics", "negative", snippets, cache)
	if err != nil {
		t.Fatal(err)
	}
	want := []SummaryQuote{{"r1", "快递三天还没到"}, {"r2", "物流太慢"}, {"r2", "包装也破了"}}
	if s.Summary != "顾客主要抱怨配送慢。" || !slices.Equal(s.Examples, want) || s.Dropped != 2 || s.Tokens != 300 || s.Cached {
		t.Errorf("summary %+v", s)
	}
	again, err := c.Summarize(ctx, "logistics", "negative", snippets, cache)
	if err != nil || !again.Cached || f.calls() != 1 || !slices.Equal(again.Examples, want) {
		t.Errorf("second summary %+v (%v), %d calls", again, err, f.calls())
	}
	if !strings.Contains(f.requests()[0], "logistics, negative mentions") {
		t.Errorf("the prompt does not name the topic")
	}
}

func TestSummarizeInvalid(t *testing.T) {
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		reply(w, `{"summary": ""`, 10)
	})
	c, _ := NewClient(testConfig(f.url()), "")
	_, err := c.Summarize(context.Background(), "price", "", []Snippet{{ID: "a", Text: "太贵"}}, nil)
	if ReasonOf(err) != ReasonInvalidJSON {
		t.Errorf("error %v", err)
	}
	if _, err := c.Summarize(context.Background(), "price", "", nil, nil); err == nil {
		t.Error("no error for no snippets")
	}
}
