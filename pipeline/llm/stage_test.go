package llm

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/topics"
)

const mixedText = "物流很快，但是客服态度太差了"

// mixedLocal is an unsure local result of mixedText: the model's confidence
// is low and the second clause's topic was missed.
func mixedLocal(string) pipeline.Analysis {
	return pipeline.Analysis{Lang: "zh",
		Sentiment: pipeline.SentimentOut{Label: "positive", Score: 0.3, Confidence: 0.55, Source: "model",
			Evidence: []pipeline.Evidence{{Text: "物流很快", Term: "物流很快", Value: 2, Start: 0, End: 4}}},
		Topics: []topics.Mention{{Topic: "logistics", Sentiment: "positive", Score: 0.459, Evidence: "物流很快", Start: 0, End: 4, Cue: "物流"}},
		Risk:   topics.Risk{Level: "none", Hits: []topics.RiskHit{}}}
}

func TestStageMerge(t *testing.T) {
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		if userText(req) != mixedText {
			fail(w, http.StatusBadRequest, "")
			return
		}
		reply(w, answerJSON(TagAnswer{Sentiment: "negative", Score: -0.6, SentimentEvidence: []string{"态度太差"},
			Topics: []TopicAnswer{
				{Topic: "logistics", Sentiment: "positive", Score: 0.5, Evidence: "物流很快"},
				// a half-width comma and a closing quote: still found
				{Topic: "service_attitude", Sentiment: "negative", Score: -0.8, Evidence: "“客服态度太差了”"},
			}}), 120)
	})
	s, _ := newTestStage(t, testConfig(f.url()), localFunc(mixedLocal))
	r := process(t, s, "a1", mixedText)
	want := pipeline.Analysis{Lang: "zh",
		Sentiment: pipeline.SentimentOut{Label: "negative", Score: -0.6, Source: "llm", Evidence: []pipeline.Evidence{
			{Text: "物流很快", Term: "物流很快", Value: 2, Start: 0, End: 4},
			{Text: "态度太差", Term: "态度太差", Start: 9, End: 13, Source: "llm"}}},
		Topics: []topics.Mention{
			{Topic: "logistics", Sentiment: "positive", Score: 0.459, Evidence: "物流很快", Start: 0, End: 4, Cue: "物流"},
			{Topic: "service_attitude", Sentiment: "negative", Score: -0.8, Evidence: "客服态度太差了", Start: 7, End: 14, Source: "llm"}},
		Risk: topics.Risk{Level: "none", Hits: []topics.RiskHit{}}}
	if !reflect.DeepEqual(*r.Out, want) {
		t.Fatalf("merged\n%s\nwant\n%s", mustJSON(t, r.Out), mustJSON(t, want))
	}
	c := s.Counters()
	if c.Unsure != 1 || c.Merged != 1 || c.Changed != 1 || c.Sent != 1 || c.Tokens != 120 || len(c.FellBack) != 0 {
		t.Errorf("counters %+v", c)
	}
}

func TestStageChangesTopicPolarityAndRaisesRisk(t *testing.T) {
	text := "充电器用了两天就冒烟了，客服还说正常"
	local := func(string) pipeline.Analysis {
		return pipeline.Analysis{Lang: "zh", Sentiment: pipeline.SentimentOut{Label: "neutral", Source: "lexicon", Evidence: []pipeline.Evidence{}},
			Topics: []topics.Mention{{Topic: "service_attitude", Sentiment: "neutral", Evidence: "客服还说正常", Start: 12, End: 18, Cue: "客服"}},
			Risk:   topics.Risk{Level: "none", Hits: []topics.RiskHit{}}}
	}
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		reply(w, answerJSON(TagAnswer{Sentiment: "negative", Score: -0.9, SentimentEvidence: []string{"冒烟了"},
			Topics: []TopicAnswer{
				{Topic: "function", Sentiment: "negative", Score: -0.9, Evidence: "充电器用了两天就冒烟了"},
				{Topic: "service_attitude", Sentiment: "negative", Score: -0.5, Evidence: "客服还说正常"},
			}, Risk: "critical", RiskCategory: "safety", RiskEvidence: "冒烟"}), 200)
	})
	s, _ := newTestStage(t, testConfig(f.url()), localFunc(local))
	r := process(t, s, "b1", text)
	want := pipeline.Analysis{Lang: "zh",
		Sentiment: pipeline.SentimentOut{Label: "negative", Score: -0.9, Source: "llm", Evidence: []pipeline.Evidence{
			{Text: "冒烟了", Term: "冒烟了", Start: 8, End: 11, Source: "llm"}}},
		Topics: []topics.Mention{
			{Topic: "function", Sentiment: "negative", Score: -0.9, Evidence: "充电器用了两天就冒烟了", Start: 0, End: 11, Source: "llm"},
			{Topic: "service_attitude", Sentiment: "negative", Score: -0.5, Evidence: "客服还说正常", Start: 12, End: 18, Cue: "客服", Source: "llm"}},
		Risk: topics.Risk{Level: "critical", Hits: []topics.RiskHit{{Term: "冒烟", Category: "safety", Level: "critical", Start: 8, End: 10, Source: "llm"}}}}
	if !reflect.DeepEqual(*r.Out, want) {
		t.Fatalf("merged\n%s\nwant\n%s", mustJSON(t, r.Out), mustJSON(t, want))
	}
}

func TestStageKeepsAgreeingResult(t *testing.T) {
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		reply(w, answerJSON(TagAnswer{Sentiment: "positive", Score: 0.4, Topics: []TopicAnswer{
			{Topic: "logistics", Sentiment: "positive", Score: 0.5, Evidence: "物流很快"}}}), 50)
	})
	s, _ := newTestStage(t, testConfig(f.url()), localFunc(mixedLocal))
	r := process(t, s, "a1", mixedText)
	if !reflect.DeepEqual(*r.Out, mixedLocal("")) {
		t.Fatalf("an agreeing answer changed the result: %s", mustJSON(t, r.Out))
	}
	if c := s.Counters(); c.Merged != 1 || c.Changed != 0 {
		t.Errorf("counters %+v", c)
	}
}

// TestStageOffsetsAroundPII: the model sees placeholders; offsets are of
// the original text.
func TestStageOffsetsAroundPII(t *testing.T) {
	text := "我的电话13812345678，快递三天还没到，太慢了"
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		if got := userText(req); got != "我的电话[PHONE]，快递三天还没到，太慢了" {
			fail(w, http.StatusBadRequest, "")
			return
		}
		reply(w, answerJSON(TagAnswer{Sentiment: "negative", Score: -0.7, SentimentEvidence: []string{"太慢了"},
			Topics: []TopicAnswer{{Topic: "logistics", Sentiment: "negative", Score: -0.7, Evidence: "快递三天还没到"}}}), 90)
	})
	s, _ := newTestStage(t, testConfig(f.url()), localFunc(unsureLocal))
	r := process(t, s, "p1", text)
	rs := []rune(text)
	if len(r.Out.Topics) != 1 {
		t.Fatalf("topics %s", mustJSON(t, r.Out.Topics))
	}
	m := r.Out.Topics[0]
	if m.Start != 16 || m.End != 23 || string(rs[m.Start:m.End]) != "快递三天还没到" || m.Evidence != "快递三天还没到" || m.Source != "llm" {
		t.Errorf("mention %+v", m)
	}
	ev := r.Out.Sentiment.Evidence
	if len(ev) != 1 || ev[0].Start != 24 || ev[0].End != 27 || string(rs[24:27]) != "太慢了" {
		t.Errorf("evidence %+v", ev)
	}
	for _, b := range f.requests() {
		if strings.Contains(b, "13812345678") {
			t.Errorf("the phone number reached the server: %s", b)
		}
	}
}

func TestStageFallback(t *testing.T) {
	good := TagAnswer{Sentiment: "negative", Score: -0.6, Topics: []TopicAnswer{{Topic: "service_attitude", Sentiment: "negative", Score: -0.8, Evidence: "客服态度太差了"}}}
	mod := func(f func(*TagAnswer)) string {
		a := good
		a.Topics = append([]TopicAnswer(nil), good.Topics...)
		f(&a)
		return answerJSON(a)
	}
	for _, tc := range []struct {
		name, reason string
		script       func(w http.ResponseWriter)
	}{
		{"malformed JSON", ReasonInvalidJSON, func(w http.ResponseWriter) { reply(w, `{"sentiment": "negative", "topics": [`, 40) }},
		{"prose", ReasonInvalidJSON, func(w http.ResponseWriter) { reply(w, "The sentiment is negative.", 40) }},
		{"wrong sentiment label", ReasonLabel, func(w http.ResponseWriter) { reply(w, mod(func(a *TagAnswer) { a.Sentiment = "angry" }), 40) }},
		{"topic outside the taxonomy", ReasonLabel, func(w http.ResponseWriter) {
			reply(w, mod(func(a *TagAnswer) { a.Topics[0].Topic = "customer_service" }), 40)
		}},
		{"wrong risk level", ReasonLabel, func(w http.ResponseWriter) { reply(w, mod(func(a *TagAnswer) { a.Risk = "severe" }), 40) }},
		{"risk without category", ReasonLabel, func(w http.ResponseWriter) {
			reply(w, mod(func(a *TagAnswer) { a.Risk, a.RiskEvidence = "high", "态度太差" }), 40)
		}},
		{"score against label", ReasonLabel, func(w http.ResponseWriter) { reply(w, mod(func(a *TagAnswer) { a.Score = 0.8 }), 40) }},
		{"hallucinated topic evidence", ReasonEvidence, func(w http.ResponseWriter) {
			reply(w, mod(func(a *TagAnswer) { a.Topics[0].Evidence = "客服态度非常恶劣" }), 40)
		}},
		{"hallucinated sentiment evidence", ReasonEvidence, func(w http.ResponseWriter) {
			reply(w, mod(func(a *TagAnswer) { a.SentimentEvidence = []string{"太差劲"} }), 40)
		}},
		{"missing field", ReasonSchema, func(w http.ResponseWriter) { reply(w, `{"sentiment":"negative","score":-0.5,"topics":[]}`, 40) }},
		{"wrong type", ReasonSchema, func(w http.ResponseWriter) { reply(w, `{"sentiment":"negative","score":"-0.5"}`, 40) }},
		{"truncated", ReasonTruncated, func(w http.ResponseWriter) { replyFinish(w, `{"sentiment":"neg`, 600, openai.FinishReasonLength) }},
		{"empty answer", ReasonBadResponse, func(w http.ResponseWriter) { reply(w, "", 40) }},
		{"not a completion", ReasonBadResponse, func(w http.ResponseWriter) { w.Write([]byte("<html>gateway</html>")) }},
		{"bad request", ReasonRejected, func(w http.ResponseWriter) { fail(w, http.StatusBadRequest, "") }},
		{"bad key", ReasonRejected, func(w http.ResponseWriter) { fail(w, http.StatusUnauthorized, "") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) { tc.script(w) })
			s, logs := newTestStage(t, testConfig(f.url()), localFunc(mixedLocal))
			r := process(t, s, "a1", mixedText)
			if r.Err != nil {
				t.Fatalf("record error %v: an LLM failure must not be a record error", r.Err)
			}
			if !reflect.DeepEqual(*r.Out, mixedLocal("")) {
				t.Fatalf("the local result changed: %s", mustJSON(t, r.Out))
			}
			c := s.Counters()
			if c.FellBack[tc.reason] != 1 || c.Merged != 0 || c.Unsure != 1 {
				t.Errorf("counters %+v, want fell_back[%s] = 1", c, tc.reason)
			}
			if f.calls() != 1 {
				t.Errorf("%d requests, want 1 (not retried)", f.calls())
			}
			if !strings.Contains(logs.String(), "reason="+tc.reason) {
				t.Errorf("no message naming the reason: %s", logs)
			}
		})
	}
}

func TestStageRetries(t *testing.T) {
	good := answerJSON(TagAnswer{Sentiment: "negative", Score: -0.6})
	t.Run("429 with Retry-After, then success", func(t *testing.T) {
		f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
			if n == 0 {
				fail(w, http.StatusTooManyRequests, "1")
				return
			}
			reply(w, good, 30)
		})
		s, _ := newTestStage(t, testConfig(f.url()), localFunc(mixedLocal))
		r := process(t, s, "a1", mixedText)
		if r.Out.Sentiment.Source != "llm" {
			t.Fatalf("not merged after the retry: %s", mustJSON(t, r.Out))
		}
		if gap := f.times[1].Sub(f.times[0]); gap < 900*time.Millisecond {
			t.Errorf("retried after %s, want the 1s of Retry-After", gap)
		}
		if c := s.Counters(); c.Retries != 1 || c.Sent != 1 || c.Merged != 1 {
			t.Errorf("counters %+v", c)
		}
	})
	t.Run("500s then success", func(t *testing.T) {
		f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
			if n < 2 {
				fail(w, http.StatusInternalServerError+n*2, "") // 500, 502
				return
			}
			reply(w, good, 30)
		})
		s, _ := newTestStage(t, testConfig(f.url()), localFunc(mixedLocal))
		if r := process(t, s, "a1", mixedText); r.Out.Sentiment.Source != "llm" {
			t.Fatalf("not merged: %s", mustJSON(t, r.Out))
		}
		if c := s.Counters(); c.Retries != 2 || f.calls() != 3 {
			t.Errorf("counters %+v, %d calls", c, f.calls())
		}
	})
	t.Run("500s exhaust the retries", func(t *testing.T) {
		f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
			fail(w, http.StatusServiceUnavailable, "")
		})
		s, _ := newTestStage(t, testConfig(f.url()), localFunc(mixedLocal))
		r := process(t, s, "a1", mixedText)
		if !reflect.DeepEqual(*r.Out, mixedLocal("")) {
			t.Fatalf("local result changed")
		}
		if c := s.Counters(); c.FellBack[ReasonServer] != 1 || f.calls() != 3 {
			t.Errorf("counters %+v, %d calls (want 1 + 2 retries)", c, f.calls())
		}
	})
	t.Run("Retry-After beyond the limit", func(t *testing.T) {
		f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
			fail(w, http.StatusTooManyRequests, "3600")
		})
		s, _ := newTestStage(t, testConfig(f.url()), localFunc(mixedLocal))
		start := time.Now()
		process(t, s, "a1", mixedText)
		if c := s.Counters(); c.FellBack[ReasonRateLimited] != 1 || f.calls() != 1 || time.Since(start) > 5*time.Second {
			t.Errorf("counters %+v, %d calls in %s", c, f.calls(), time.Since(start))
		}
	})
	t.Run("a hang beyond the timeout", func(t *testing.T) {
		f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) { hang(r) })
		cfg := testConfig(f.url())
		cfg.Timeout, cfg.Retries = 200*time.Millisecond, 1
		s, logs := newTestStage(t, cfg, localFunc(mixedLocal))
		start := time.Now()
		r := process(t, s, "a1", mixedText)
		if !reflect.DeepEqual(*r.Out, mixedLocal("")) {
			t.Fatalf("local result changed")
		}
		if c := s.Counters(); c.FellBack[ReasonTimeout] != 1 || f.calls() != 2 {
			t.Errorf("counters %+v, %d calls", c, f.calls())
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %s with a 200ms timeout and 1 retry", d)
		}
		if !strings.Contains(logs.String(), "reason=timeout") {
			t.Errorf("log %s", logs)
		}
	})
}

// TestRunUnreachable: a closed port on loopback; the run completes with the
// local results, and the breaker stops the retries after a few records.
func TestRunUnreachable(t *testing.T) {
	cfg := testConfig(closedPort(t))
	cfg.Retries = 1
	s, logs := newTestStage(t, cfg, localFunc(mixedLocal), WithBreaker(3, time.Minute))
	src := &sliceSource{}
	for i := range 8 {
		src.recs = append(src.recs, &pipeline.Record{ID: string(rune('a' + i)), Text: mixedText})
	}
	sink := &collectSink{}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	counts, err := pipeline.Run(ctx, src, s, sink, pipeline.RunOptions{Workers: 1})
	if err != nil {
		t.Fatalf("run failed: %v", err)
	}
	if counts.Written != 8 || len(sink.recs) != 8 {
		t.Fatalf("counts %+v", counts)
	}
	for _, r := range sink.recs {
		if r.Err != nil || !reflect.DeepEqual(*r.Out, mixedLocal("")) {
			t.Fatalf("record %s: %v %s", r.ID, r.Err, mustJSON(t, r.Out))
		}
	}
	c := s.Counters()
	if c.FellBack[ReasonUnreachable] != 3 || c.FellBack[ReasonCircuitOpen] != 5 || c.Sent != 3 {
		t.Errorf("counters %+v", c)
	}
	if !strings.Contains(logs.String(), "reason=unreachable") || !strings.Contains(logs.String(), "connection refused") {
		t.Errorf("log %s", logs)
	}
}

func TestStageCache(t *testing.T) {
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		reply(w, answerJSON(TagAnswer{Sentiment: "negative", Score: -0.6, Topics: []TopicAnswer{
			{Topic: "service_attitude", Sentiment: "negative", Score: -0.8, Evidence: "客服态度太差了"}}}), 100)
	})
	dir := t.TempDir()
	run := func(model string) (*pipeline.Record, Counters) {
		cache, err := OpenCache(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer cache.Close()
		cfg := testConfig(f.url())
		cfg.Model = model
		s, _ := newTestStage(t, cfg, localFunc(mixedLocal), WithCache(cache))
		r := process(t, s, "a1", mixedText)
		return r, s.Counters()
	}
	first, c1 := run("test-model")
	if c1.Sent != 1 || c1.CacheHits != 0 || f.calls() != 1 {
		t.Fatalf("first run: %+v, %d calls", c1, f.calls())
	}
	// A new process: the cache is read back from disk.
	second, c2 := run("test-model")
	if c2.Sent != 0 || c2.CacheHits != 1 || c2.Merged != 1 || f.calls() != 1 {
		t.Fatalf("second run: %+v, %d calls", c2, f.calls())
	}
	if !reflect.DeepEqual(first.Out, second.Out) {
		t.Errorf("cached result differs:\n%s\n%s", mustJSON(t, first.Out), mustJSON(t, second.Out))
	}
	// Another model is another key.
	if _, c3 := run("other-model"); c3.Sent != 1 || c3.CacheHits != 0 || f.calls() != 2 {
		t.Errorf("other model: %+v, %d calls", c3, f.calls())
	}
}

func TestStageBudget(t *testing.T) {
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		reply(w, answerJSON(TagAnswer{Sentiment: "negative", Score: -0.5}), 60)
	})
	cfg := testConfig(f.url())
	cfg.TokenBudget, cfg.MaxConcurrency = 100, 1
	s, logs := newTestStage(t, cfg, localFunc(mixedLocal))
	for i := range 4 {
		r := process(t, s, string(rune('a'+i)), mixedText+strings.Repeat("!", i))
		if i >= 2 && r.Out.Sentiment.Source == "llm" {
			t.Errorf("record %d merged after the budget was spent", i)
		}
	}
	c := s.Counters()
	if c.Sent != 2 || c.BudgetSkipped != 2 || c.Tokens != 120 || f.calls() != 2 {
		t.Errorf("counters %+v, %d calls", c, f.calls())
	}
	if c.Unsure != c.Merged+c.BudgetSkipped {
		t.Errorf("counters do not reconcile: %+v", c)
	}
	if !strings.Contains(logs.String(), "token budget spent") {
		t.Errorf("log %s", logs)
	}
}

// TestNoPIIReachesServer: every request body the server received is free of
// the personal data in the records.
func TestNoPIIReachesServer(t *testing.T) {
	pii := []string{"13812345678", "186 1234 5678", "11010519491231002X", "6222021234567890128", "4111 1111 1111 1111",
		"zhang.san@example.com", "建国路88号", "221 Baker Street"}
	texts := []string{
		"客服电话13812345678打不通，我的号是186 1234 5678",
		"身份证11010519491231002X被泄露了",
		"退款到卡号6222021234567890128还没到账，另一张4111 1111 1111 1111也是",
		"请回复到zhang.san@example.com",
		"寄到北京市朝阳区建国路88号3栋2单元501室，快递说找不到",
		"deliver to 221 Baker Street, London please, the courier was rude",
	}
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		reply(w, answerJSON(TagAnswer{Sentiment: "negative", Score: -0.5}), 50)
	})
	s, _ := newTestStage(t, testConfig(f.url()), localFunc(unsureLocal))
	for i, text := range texts {
		process(t, s, string(rune('a'+i)), text)
	}
	bodies := f.requests()
	if len(bodies) != len(texts) {
		t.Fatalf("%d requests, want %d", len(bodies), len(texts))
	}
	joined := strings.Join(bodies, "\n")
	for _, p := range pii {
		if strings.Contains(joined, p) {
			t.Errorf("%q reached the server", p)
		}
	}
	for _, ph := range []string{"[PHONE]", "[ID_CARD]", "[BANK_CARD]", "[EMAIL]", "[ADDRESS]"} {
		if !strings.Contains(joined, ph) {
			t.Errorf("no %s placeholder in the requests", ph)
		}
	}
}

func TestAPIKey(t *testing.T) {
	var auth []string
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			reply(w, answerJSON(TagAnswer{Sentiment: "negative", Score: -0.5}), 50)
			return
		}
		// a server that echoes the key it got
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"message":"Incorrect API key provided: ` + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + `","type":"invalid_request_error"}}`))
	})
	s, logs := newTestStage(t, testConfig(f.url()), localFunc(mixedLocal))
	r1 := process(t, s, "a1", mixedText)
	r2 := process(t, s, "a2", mixedText+"。")
	f.mu.Lock()
	auth = append(auth, f.auth...)
	f.mu.Unlock()
	for _, a := range auth {
		if a != "Bearer sk-test-SECRET-key" {
			t.Errorf("Authorization %q", a)
		}
	}
	out := mustJSON(t, r1.Out) + mustJSON(t, r2.Out) + s.Counters().String() + mustJSON(t, s.Counters()) + logs.String()
	if strings.Contains(out, "SECRET") {
		t.Errorf("the API key leaked into an output: %s", out)
	}
	if !strings.Contains(logs.String(), APIKeyEnv) || !strings.Contains(logs.String(), "Incorrect API key provided: [API_KEY]") {
		t.Errorf("a 401 should name %s: %s", APIKeyEnv, logs)
	}
}

func TestUnsure(t *testing.T) {
	s := &Stage{threshold: 0.7}
	withTopic := []topics.Mention{{Topic: "price"}}
	for _, tc := range []struct {
		name      string
		text      string
		a         pipeline.Analysis
		threshold float64
		want      bool
	}{
		{"confident model with topic", "x", pipeline.Analysis{Sentiment: pipeline.SentimentOut{Source: "model", Confidence: 0.9}, Topics: withTopic}, 0.7, false},
		{"at the threshold", "x", pipeline.Analysis{Sentiment: pipeline.SentimentOut{Source: "model", Confidence: 0.7}, Topics: withTopic}, 0.7, false},
		{"below the threshold", "x", pipeline.Analysis{Sentiment: pipeline.SentimentOut{Source: "model", Confidence: 0.69}, Topics: withTopic}, 0.7, true},
		{"no topic", "x", pipeline.Analysis{Sentiment: pipeline.SentimentOut{Source: "model", Confidence: 0.99}}, 0.7, true},
		{"lexicon only counts as 0", "x", pipeline.Analysis{Sentiment: pipeline.SentimentOut{Source: "lexicon"}, Topics: withTopic}, 0.7, true},
		{"lexicon only, threshold 0", "x", pipeline.Analysis{Sentiment: pipeline.SentimentOut{Source: "lexicon"}, Topics: withTopic}, 0, false},
		{"threshold 1 sends all", "x", pipeline.Analysis{Sentiment: pipeline.SentimentOut{Source: "model", Confidence: 1}, Topics: withTopic}, 1, true},
		{"blank text", " \n", pipeline.Analysis{}, 1, false},
	} {
		s.threshold = tc.threshold
		if got := s.Unsure(tc.text, &tc.a); got != tc.want {
			t.Errorf("%s: Unsure = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestStageConfidentNotSent(t *testing.T) {
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		fail(w, 500, "")
	})
	confident := func(string) pipeline.Analysis {
		a := mixedLocal("")
		a.Sentiment.Confidence = 0.95
		return a
	}
	s, _ := newTestStage(t, testConfig(f.url()), localFunc(confident))
	r := process(t, s, "a1", mixedText)
	if !reflect.DeepEqual(*r.Out, confident("")) || f.calls() != 0 || s.Counters().Unsure != 0 {
		t.Errorf("a confident record was sent: %d calls, %+v", f.calls(), s.Counters())
	}
	rej := &pipeline.Record{ID: "bad", Err: &pipeline.RejectError{Reason: "invalid"}}
	s.ProcessContext(context.Background(), rej)
	if rej.Out != nil || f.calls() != 0 {
		t.Errorf("a rejected record was tagged or sent")
	}
}

// TestConcurrencyBound: with many workers, at most max_concurrency requests
// are in flight.
func TestConcurrencyBound(t *testing.T) {
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
		reply(w, answerJSON(TagAnswer{Sentiment: "negative", Score: -0.5}), 10)
	})
	cfg := testConfig(f.url())
	cfg.MaxConcurrency = 2
	s, _ := newTestStage(t, cfg, localFunc(mixedLocal))
	src := &sliceSource{}
	for i := range 12 {
		src.recs = append(src.recs, &pipeline.Record{ID: string(rune('a' + i)), Text: mixedText + strings.Repeat("。", i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	sink := &collectSink{}
	if _, err := pipeline.Run(ctx, src, s, sink, pipeline.RunOptions{Workers: 8}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	peak := f.maxInFlight
	f.mu.Unlock()
	if peak > 2 || peak < 1 || f.calls() != 12 {
		t.Errorf("peak in flight %d (want <= 2), %d calls", peak, f.calls())
	}
	for i, r := range sink.recs {
		if r.ID != string(rune('a'+i)) || r.Out.Sentiment.Source != "llm" {
			t.Errorf("record %d: %s %s", i, r.ID, mustJSON(t, r.Out))
		}
	}
}

// TestRunCancel: cancelling the run stops a hanging request.
func TestRunCancel(t *testing.T) {
	f := newFake(t, func(n int, req *openai.ChatCompletionRequest, w http.ResponseWriter, r *http.Request) { hang(r) })
	cfg := testConfig(f.url())
	cfg.Timeout = 10 * time.Second
	s, _ := newTestStage(t, cfg, localFunc(mixedLocal))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	r := process(t, ctx2stage{s, ctx}, "a1", mixedText)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %s", d)
	}
	if !reflect.DeepEqual(*r.Out, mixedLocal("")) || s.Counters().FellBack[ReasonCanceled] != 1 {
		t.Errorf("%s %+v", mustJSON(t, r.Out), s.Counters())
	}
}

// ctx2stage processes with a fixed context.
type ctx2stage struct {
	s   *Stage
	ctx context.Context
}

func (c ctx2stage) Process(r *pipeline.Record) { c.s.ProcessContext(c.ctx, r) }
func (c ctx2stage) ProcessContext(_ context.Context, r *pipeline.Record) {
	c.s.ProcessContext(c.ctx, r)
}

func TestCountersJSON(t *testing.T) {
	c := Counters{Unsure: 3, Merged: 1, FellBack: map[string]int64{"timeout": 2}}
	var back map[string]any
	if err := json.Unmarshal([]byte(mustJSON(t, c)), &back); err != nil || back["fell_back"].(map[string]any)["timeout"] != 2.0 {
		t.Errorf("%v %v", back, err)
	}
	if got := c.String(); !strings.Contains(got, "3 unsure") || !strings.Contains(got, "(timeout 2)") {
		t.Errorf("%s", got)
	}
}

func BenchmarkStageConfident(b *testing.B) {
	client, err := NewClient(testConfig("http://127.0.0.1:1/v1"), "")
	if err != nil {
		b.Fatal(err)
	}
	confident := mixedLocal("")
	confident.Sentiment.Confidence = 0.95
	local := localFunc(func(string) pipeline.Analysis { return confident })
	s, err := NewStage(local, client, testTaxonomy())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("local", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			local.Process(&pipeline.Record{Text: mixedText})
		}
	})
	b.Run("decorated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Process(&pipeline.Record{Text: mixedText})
		}
	})
}
