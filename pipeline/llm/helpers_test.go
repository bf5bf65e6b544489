package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/topics"
)

// testTimeout bounds every wait of a test.
const testTimeout = 20 * time.Second

// fakeServer speaks the chat-completions protocol of OpenAI on loopback. Its
// script decides each answer from the call number (0-based) and the request;
// it records every request body and Authorization header.
type fakeServer struct {
	srv    *httptest.Server
	script func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request)

	mu          sync.Mutex
	bodies      []string
	auth        []string
	times       []time.Time
	inFlight    int
	maxInFlight int
}

func newFake(t *testing.T, script func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request)) *fakeServer {
	t.Helper()
	f := &fakeServer{script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
			http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		n := len(f.bodies)
		f.bodies = append(f.bodies, string(body))
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		f.times = append(f.times, time.Now())
		f.inFlight++
		f.maxInFlight = max(f.maxInFlight, f.inFlight)
		f.mu.Unlock()
		defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()
		var req openai.ChatCompletionRequest
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, `{"error":{"message":"bad json","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		f.script(n, &req, w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) url() string { return f.srv.URL + "/v1" }

func (f *fakeServer) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies)
}

func (f *fakeServer) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
}

// userText is the user message of a request: the redacted text.
func userText(req *openai.ChatCompletionRequest) string {
	for _, m := range req.Messages {
		if m.Role == openai.ChatMessageRoleUser {
			return m.Content
		}
	}
	return ""
}

// reply writes a chat completion whose message is content.
func reply(w http.ResponseWriter, content string, tokens int) {
	replyFinish(w, content, tokens, openai.FinishReasonStop)
}

func replyFinish(w http.ResponseWriter, content string, tokens int, finish openai.FinishReason) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(openai.ChatCompletionResponse{
		ID: "chatcmpl-test", Object: "chat.completion", Model: "test-model",
		Choices: []openai.ChatCompletionChoice{{Message: openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: content},
			FinishReason: finish}},
		Usage: openai.Usage{PromptTokens: tokens - 10, CompletionTokens: 10, TotalTokens: tokens},
	})
}

// fail writes an OpenAI error response.
func fail(w http.ResponseWriter, status int, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":"scripted %d","type":"test_error"}}`, status)
}

// hang blocks until the client gives up (or the test's bound).
func hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(testTimeout):
	}
}

// answerJSON encodes a TagAnswer.
func answerJSON(a TagAnswer) string {
	if a.SentimentEvidence == nil {
		a.SentimentEvidence = []string{}
	}
	if a.Topics == nil {
		a.Topics = []TopicAnswer{}
	}
	if a.Risk == "" {
		a.Risk = "none"
	}
	b, _ := json.Marshal(a)
	return string(b)
}

func testTaxonomy() *lexicons.Taxonomy {
	return &lexicons.Taxonomy{Version: 1, Topics: []lexicons.Topic{
		{Key: "price", Label: map[string]string{"zh": "价格", "en": "Price"}, Cues: []string{"价格"}},
		{Key: "function", Label: map[string]string{"zh": "功能", "en": "Function"}, Cues: []string{"功能"}},
		{Key: "service_attitude", Label: map[string]string{"zh": "服务态度", "en": "Service attitude"}, Cues: []string{"客服"}},
		{Key: "logistics", Label: map[string]string{"zh": "物流", "en": "Logistics"}, Cues: []string{"物流"}},
	}}
}

func testConfig(url string) Config {
	c := DefaultConfig()
	c.BaseURL, c.Model = url, "test-model"
	c.Timeout = 2 * time.Second
	c.RequestsPerMinute = 0
	c.Retries = 2
	return c
}

// localFunc is a local tag stage returning a fixed analysis per text.
type localFunc func(text string) pipeline.Analysis

func (f localFunc) Process(r *pipeline.Record) {
	if r.Err != nil {
		return
	}
	a := f(r.Text)
	r.Out = &a
}

// unsureLocal is a lexicon-only result (no confidence) without topics.
func unsureLocal(string) pipeline.Analysis {
	return pipeline.Analysis{Lang: "zh", Sentiment: pipeline.SentimentOut{Label: "neutral", Source: "lexicon", Evidence: []pipeline.Evidence{}},
		Topics: nil, Risk: topics.Risk{Level: "none", Hits: []topics.RiskHit{}}}
}

// newTestStage builds a client for the fake server and a stage over local.
func newTestStage(t *testing.T, cfg Config, local pipeline.Stage, opts ...StageOption) (*Stage, *bytes.Buffer) {
	t.Helper()
	client, err := NewClient(cfg, "sk-test-SECRET-key", WithBackoff(5*time.Millisecond, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	opts = append([]StageOption{WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}, opts...)
	s, err := NewStage(local, client, testTaxonomy(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s, &logs
}

// process runs one record through the stage within the test bound.
func process(t *testing.T, s pipeline.ContextStage, id, text string) *pipeline.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	r := &pipeline.Record{ID: id, Text: text}
	done := make(chan struct{})
	go func() { s.ProcessContext(ctx, r); close(done) }()
	select {
	case <-done:
	case <-time.After(testTimeout + time.Second):
		t.Fatalf("record %s: the stage did not return within %s", id, testTimeout)
	}
	return r
}

// closedPort returns a loopback URL on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/v1"
}

// sliceSource and collectSink run records through pipeline.Run.
type sliceSource struct {
	recs []*pipeline.Record
	i    int
}

func (s *sliceSource) Next(ctx context.Context) (*pipeline.Record, error) {
	if s.i >= len(s.recs) {
		return nil, io.EOF
	}
	s.i++
	return s.recs[s.i-1], nil
}

func (s *sliceSource) Close() error { return nil }

type collectSink struct{ recs []*pipeline.Record }

func (c *collectSink) Write(_ context.Context, r *pipeline.Record) error {
	c.recs = append(c.recs, r)
	return nil
}
func (c *collectSink) Close() error { return nil }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
