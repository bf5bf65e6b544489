package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/vocal-dev/vocal/pipeline/llm"
)

// chatServer speaks OpenAI's chat completions on loopback; answer builds
// the message content from the request. It records bodies and the
// Authorization headers.
type chatServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	auth   []string
}

func newChatServer(t *testing.T, answer func(req *openai.ChatCompletionRequest) string) *chatServer {
	t.Helper()
	s := &chatServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(body))
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.mu.Unlock()
		var req openai.ChatCompletionRequest
		if r.URL.Path != "/v1/chat/completions" || json.Unmarshal(body, &req) != nil {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(openai.ChatCompletionResponse{Object: "chat.completion",
			Choices: []openai.ChatCompletionChoice{{Message: openai.ChatCompletionMessage{Role: "assistant", Content: answer(&req)}, FinishReason: "stop"}},
			Usage:   openai.Usage{PromptTokens: 90, CompletionTokens: 10, TotalTokens: 100}})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *chatServer) requests() ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...), append([]string(nil), s.auth...)
}

func userMessage(req *openai.ChatCompletionRequest) string {
	for _, m := range req.Messages {
		if m.Role == "user" {
			return m.Content
		}
	}
	return ""
}

// negativeAnswer calls every text negative about price, quoting its first
// two characters.
func negativeAnswer(req *openai.ChatCompletionRequest) string {
	q := string([]rune(userMessage(req))[:2])
	b, _ := json.Marshal(llm.TagAnswer{Sentiment: "negative", Score: -0.7, SentimentEvidence: []string{q},
		Topics: []llm.TopicAnswer{{Topic: "price", Sentiment: "negative", Score: -0.7, Evidence: q}}, Risk: "none"})
	return string(b)
}

const llmInput = `{"id":"1","text":"这个东西还行吧，有问题打我电话13812345678"}
{"id":"2","text":"Meh. It works I guess, email me at zhang.san@example.com"}
{"id":"3","text":"物流很快，但是客服态度太差了"}
`

func TestLLMTag(t *testing.T) {
	t.Parallel()
	srv := newChatServer(t, negativeAnswer)
	cache := t.TempDir()
	env := []string{llm.APIKeyEnv + "=sk-test-SECRET"}
	args := []string{"tag", "--llm-base-url", srv.URL + "/v1", "--llm-model", "test-model", "--llm-cache", cache, "--llm-threshold", "1"}
	res := vocalEnv(t, env, llmInput, args...)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	recs := lines(res.stdout)
	if len(recs) != 3 {
		t.Fatalf("%d records: %s", len(recs), res.stdout)
	}
	for _, line := range recs {
		var rec struct {
			Text      string `json:"text"`
			Sentiment struct {
				Label, Source string
				Evidence      []struct {
					Text, Source string
					Start, End   int
				}
			}
			Topics []struct {
				Topic, Sentiment, Evidence, Source string
				Start, End                         int
			}
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		rs := []rune(rec.Text)
		if rec.Sentiment.Label != "negative" {
			t.Errorf("%s: label %s", rec.Text, rec.Sentiment.Label)
		}
		llmTopic := false
		for _, m := range rec.Topics {
			if string(rs[m.Start:m.End]) != m.Evidence {
				t.Errorf("%s: topic evidence %q at %d-%d", rec.Text, m.Evidence, m.Start, m.End)
			}
			if m.Source == "llm" && m.Topic == "price" && m.Start == 0 && m.End == 2 {
				llmTopic = true
			}
		}
		if !llmTopic {
			t.Errorf("%s: no price mention from the LLM: %s", rec.Text, line)
		}
		for _, e := range rec.Sentiment.Evidence {
			if string(rs[e.Start:e.End]) != e.Text {
				t.Errorf("%s: evidence %q at %d-%d", rec.Text, e.Text, e.Start, e.End)
			}
		}
	}
	if !strings.Contains(res.stderr, "vocal llm: 3 unsure record(s): 3 merged") {
		t.Errorf("no counters line: %s", res.stderr)
	}
	bodies, auth := srv.requests()
	if len(bodies) != 3 {
		t.Fatalf("%d requests", len(bodies))
	}
	for i, b := range bodies {
		if strings.Contains(b, "13812345678") || strings.Contains(b, "zhang.san@example.com") {
			t.Errorf("personal data reached the server: %s", b)
		}
		if auth[i] != "Bearer sk-test-SECRET" {
			t.Errorf("Authorization %q", auth[i])
		}
	}
	if strings.Contains(res.stdout+res.stderr, "SECRET") {
		t.Errorf("the API key leaked into an output")
	}
	// A re-run is answered from the cache.
	again := vocalEnv(t, env, llmInput, args...)
	if again.code != 0 || again.stdout != res.stdout || !strings.Contains(again.stderr, "0 request(s), 0 retries, 3 cache hit(s)") {
		t.Errorf("re-run: exit %d, same output %v, stderr %s", again.code, again.stdout == res.stdout, again.stderr)
	}
	if b, _ := srv.requests(); len(b) != 3 {
		t.Errorf("the re-run sent %d requests", len(b)-3)
	}
}

// TestLLMUnreachable: with the endpoint down the run succeeds with the
// local results, the same as without the assist.
func TestLLMUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/v1"
	l.Close()
	cfg := filepath.Join(t.TempDir(), "vocal.yaml")
	os.WriteFile(cfg, []byte("llm:\n  base_url: "+url+"\n  model: m\n  retries: 0\n  threshold: 1\n  cache_dir: \"off\"\n"), 0o644)
	plain := vocal(t, llmInput, "tag")
	res := vocal(t, llmInput, "tag", "--config", cfg)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if res.stdout != plain.stdout {
		t.Errorf("output differs from the local result:\n%s\n%s", res.stdout, plain.stdout)
	}
	if !strings.Contains(res.stderr, "reason=unreachable") || !strings.Contains(res.stderr, "3 kept the local result (unreachable 3)") {
		t.Errorf("stderr %s", res.stderr)
	}
}

func TestLLMConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tag", "--llm-base-url", "localhost:8000", "--llm-model", "m"}, "base_url"},
		{[]string{"tag", "--llm-base-url", "http://localhost:8000/v1"}, "model: required"},
		{[]string{"tag", "--llm-base-url", "http://localhost:8000/v1", "--llm-model", "m", "--llm-threshold", "2"}, "threshold 2"},
	} {
		res := vocal(t, "", tc.args...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %s (want %q)", tc.args, res.code, res.stderr, tc.want)
		}
	}
}

func TestRedactFlag(t *testing.T) {
	t.Parallel()
	in := `{"id":"1","text":"快递三天还没到，打13812345678没人接，太差了"}` + "\n"
	res := vocal(t, in, "tag", "--redact")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if strings.Contains(res.stdout, "13812345678") || !strings.Contains(res.stdout, `"text":"快递三天还没到，打[PHONE]没人接，太差了"`) {
		t.Fatalf("not redacted: %s", res.stdout)
	}
	var rec struct {
		Text      string
		Sentiment struct {
			Evidence []struct {
				Text       string
				Start, End int
			}
		}
		Topics []struct {
			Evidence   string
			Start, End int
		}
	}
	json.Unmarshal([]byte(res.stdout), &rec)
	rs := []rune(rec.Text)
	for _, e := range rec.Sentiment.Evidence {
		if string(rs[e.Start:e.End]) != e.Text {
			t.Errorf("evidence %q at %d-%d of the redacted text", e.Text, e.Start, e.End)
		}
	}
	for _, m := range rec.Topics {
		if string(rs[m.Start:m.End]) != m.Evidence {
			t.Errorf("topic evidence %q at %d-%d of the redacted text", m.Evidence, m.Start, m.End)
		}
	}
	if len(rec.Topics) == 0 || len(rec.Sentiment.Evidence) == 0 {
		t.Errorf("nothing tagged: %s", res.stdout)
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if res := vocal(t, "", "run", "--input", filepath.Join("..", "..", "testdata", "sample", "feedback.jsonl"), "--out", dir); res.code != 0 {
		t.Fatalf("run: exit %d: %s", res.code, res.stderr)
	}
	var mu sync.Mutex
	var sent []llm.Snippet
	srv := newChatServer(t, func(req *openai.ChatCompletionRequest) string {
		mu.Lock()
		defer mu.Unlock()
		json.Unmarshal([]byte(userMessage(req)), &sent)
		first := sent[0]
		b, _ := json.Marshal(llm.SummaryAnswer{Summary: "Deliveries are slow.", Examples: []llm.SummaryQuote{
			{ID: first.ID, Quote: string([]rune(first.Text)[:3])},
			{ID: "no-such-id", Quote: "x"},
		}})
		return string(b)
	})
	args := []string{"summarize", "--run", dir, "--topic", "logistics", "--sentiment", "negative", "--sample", "5",
		"--llm-base-url", srv.URL + "/v1", "--llm-model", "test-model", "--llm-cache", "off"}
	res := vocal(t, "", args...)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) == 0 || len(sent) > 5 {
		t.Fatalf("%d snippets sent", len(sent))
	}
	want := `"` + string([]rune(sent[0].Text)[:3]) + `" (record ` + sent[0].ID + ")"
	for _, s := range []string{"logistics, negative: ", "Deliveries are slow.", want, "1 example(s) dropped"} {
		if !strings.Contains(res.stdout, s) {
			t.Errorf("output lacks %q:\n%s", s, res.stdout)
		}
	}
	// The same sample for the same seed.
	mu.Unlock()
	again := vocal(t, "", append(args, "--json")...)
	mu.Lock()
	var out struct {
		Matched, Sampled int
		Examples         []llm.SummaryQuote
	}
	if err := json.Unmarshal([]byte(again.stdout), &out); err != nil || out.Sampled != len(sent) || out.Matched < out.Sampled || len(out.Examples) != 1 {
		t.Errorf("--json: %v %s", err, again.stdout)
	}
	if res := vocal(t, "", "summarize", "--run", dir, "--topic", "nonexistent", "--llm-base-url", srv.URL+"/v1", "--llm-model", "m"); res.code != 2 ||
		!strings.Contains(res.stderr, "logistics") {
		t.Errorf("unknown topic: exit %d, %s", res.code, res.stderr)
	}
}

func TestSummarizeNeedsLLM(t *testing.T) {
	t.Parallel()
	res := vocal(t, "", "summarize", "--run", t.TempDir(), "--topic", "logistics")
	if res.code != 2 || !strings.Contains(res.stderr, "summarize needs an LLM endpoint") {
		t.Errorf("exit %d, %s", res.code, res.stderr)
	}
	if res := vocal(t, "", "summarize", "--topic", "logistics"); res.code != 2 {
		t.Errorf("no --run: exit %d", res.code)
	}
}

// TestLLMRunManifest: vocal run records the assist's counters in the
// manifest, and every unsure record is counted once.
func TestLLMRunManifest(t *testing.T) {
	t.Parallel()
	srv := newChatServer(t, negativeAnswer)
	out := t.TempDir()
	res := vocalEnv(t, []string{llm.APIKeyEnv + "=sk-test"}, llmInput, "run", "--input", "-", "--out", out,
		"--llm-base-url", srv.URL+"/v1", "--llm-model", "test-model", "--llm-cache", "off", "--llm-threshold", "1")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ LLM *llm.Counters }
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.LLM == nil {
		t.Fatalf("no llm counters in the manifest: %s", raw)
	}
	var fell int64
	for _, n := range m.LLM.FellBack {
		fell += n
	}
	if c := m.LLM; c.Unsure != 3 || c.Merged != 3 || c.Sent != 3 || c.Tokens != 300 || c.Merged+fell+c.BudgetSkipped != c.Unsure {
		t.Errorf("counters %+v", *c)
	}
}
