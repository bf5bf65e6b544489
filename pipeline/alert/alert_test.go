package alert

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/topics"
)

const testTimeout = 60 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// record builds a tagged record: risk level and categories, topic mentions
// as "topic:sentiment", and passthrough fields as JSON.
func record(id, sentiment, risk string, cats []string, mentions []string, fields string) *pipeline.Record {
	r := &pipeline.Record{ID: id, Text: "text of " + id, Out: &pipeline.Analysis{Lang: "zh",
		Sentiment: pipeline.SentimentOut{Label: sentiment, Score: -0.5}, Risk: topics.Risk{Level: risk}}}
	for _, c := range cats {
		r.Out.Risk.Hits = append(r.Out.Risk.Hits, topics.RiskHit{Term: "t", Category: c, Level: risk})
	}
	for _, m := range mentions {
		topic, sent, _ := strings.Cut(m, ":")
		r.Out.Topics = append(r.Out.Topics, topics.Mention{Topic: topic, Sentiment: sent})
	}
	if fields != "" {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(fields), &raw); err != nil {
			panic(err)
		}
		for k, v := range raw {
			r.Fields = append(r.Fields, pipeline.Field{Name: k, Value: v})
		}
	}
	return r
}

func TestRuleConditions(t *testing.T) {
	fire := record("f1", "negative", "critical", []string{"safety"}, nil, `{"region":"华南"}`)
	vip := record("v1", "negative", "none", nil, nil, `{"csat":2,"customer_tier":"VIP"}`)
	vipHappy := record("v2", "positive", "none", nil, nil, `{"csat":5,"customer_tier":"VIP"}`)
	noCSAT := record("v3", "negative", "none", nil, nil, `{"customer_tier":"VIP"}`)
	east := record("e1", "negative", "none", nil, []string{"logistics:negative", "price:positive"}, `{"region":"华东"}`)
	eastPositive := record("e2", "positive", "none", nil, []string{"logistics:positive"}, `{"region":"华东"}`)
	medium := record("m1", "negative", "medium", []string{"churn"}, nil, "")
	rejected := &pipeline.Record{ID: "r1", Err: io.ErrUnexpectedEOF}
	tests := []struct {
		when string
		recs []*pipeline.Record
		want []bool
	}{
		{`risk.level == "critical"`, []*pipeline.Record{fire, medium, vip, rejected}, []bool{true, false, false, false}},
		{`csat <= 2 and customer_tier == "VIP"`, []*pipeline.Record{vip, vipHappy, noCSAT, fire}, []bool{true, false, false, false}},
		{`"logistics" in topics and sentiment.label == "negative" and region == "华东"`, []*pipeline.Record{east, eastPositive, fire}, []bool{true, false, false}},
		{`"safety" in risk.categories`, []*pipeline.Record{fire, medium}, []bool{true, false}},
		{`any(aspects, .topic == "price" and .sentiment == "positive")`, []*pipeline.Record{east, eastPositive}, []bool{true, false}},
		{`csat == 2 and id startsWith "v"`, []*pipeline.Record{vip, vipHappy}, []bool{true, false}},
		{DefaultRule.When, []*pipeline.Record{fire, medium, vip}, []bool{true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			e, err := New(Config{Rules: []RuleConfig{{Name: "r", When: tt.when}}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			for i, r := range tt.recs {
				if got := e.Match(r); got != tt.want[i] {
					t.Errorf("record %s: match %v, want %v", r.ID, got, tt.want[i])
				}
			}
		})
	}
}

func TestRuleErrorCountsAsNoMatch(t *testing.T) {
	reg := prometheus.NewRegistry()
	e, err := New(Config{Rules: []RuleConfig{{Name: "low", When: `csat <= 2`}}}, WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Match(record("x", "neutral", "none", nil, nil, `{"csat":"n/a"}`)) {
		t.Error("a string csat matched csat <= 2")
	}
	if n := testutil.ToFloat64(e.m.ruleErrors.WithLabelValues("low")); n != 1 {
		t.Errorf("rule errors %v, want 1", n)
	}
}

func TestConfigErrors(t *testing.T) {
	hook := RouteConfig{Name: "h", Type: "webhook", URL: "http://127.0.0.1:1/x", SecretEnv: "S", DeadLetter: "d"}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad expression", Config{Rules: []RuleConfig{{Name: "vip", When: `csat <=`}}}, `alerts: rule "vip": when: unexpected token EOF`},
		{"not bool", Config{Rules: []RuleConfig{{Name: "n", When: `1 + 2`}}}, `alerts: rule "n": when: expected bool, but got int`},
		{"empty when", Config{Rules: []RuleConfig{{Name: "e"}}}, `alerts: rule "e": when is empty`},
		{"unknown route", Config{Rules: []RuleConfig{{Name: "a", When: "true", Routes: []string{"pager"}}}}, `alerts: rule "a": unknown route "pager"`},
		{"duplicate rule", Config{Rules: []RuleConfig{{Name: "a", When: "true"}, {Name: "a", When: "true"}}}, `alerts: rule "a": defined twice`},
		{"bad type", Config{Routes: []RouteConfig{{Name: "x", Type: "sms"}}}, `alerts: route "x": type "sms": want webhook, nats or file`},
		{"unsigned", Config{Routes: []RouteConfig{{Name: "h", Type: "webhook", URL: "https://a.example/x", DeadLetter: "d"}}}, `alerts: route "h": secret_env is required: webhooks are signed`},
		{"bad url", Config{Routes: []RouteConfig{{Name: "h", Type: "webhook", URL: "ftp://x", SecretEnv: "S", DeadLetter: "d"}}}, `alerts: route "h": url "ftp://x": want an http or https URL`},
		{"no dead letter", Config{Routes: []RouteConfig{{Name: "n", Type: "nats", Subject: "a"}}}, `alerts: route "n": dead_letter is required`},
		{"secret not set", Config{Routes: []RouteConfig{hook}}, `alerts: route "h": secret_env S is not set`},
		{"nats without connection", Config{Routes: []RouteConfig{{Name: "n", Type: "nats", Subject: "a", DeadLetter: filepath.Join(t.TempDir(), "d")}}},
			`alerts: route "n": a nats route needs a NATS connection (--nats)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(tt.cfg)
			if err == nil {
				e.Close()
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
}

// receiver is a webhook endpoint that verifies signatures, fails its first
// `fail` calls with status, and keeps the alerts it accepted.
type receiver struct {
	secret []byte
	fail   int32
	status int
	calls  atomic.Int32
	mu     sync.Mutex
	got    []Alert
	ids    []string
	hold   chan struct{} // if set, each call waits for it
	badSig atomic.Int32
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !Verify(rc.secret, body, r.Header.Get(SignatureHeader)) {
		rc.badSig.Add(1)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rc.hold != nil {
		<-rc.hold
	}
	if n := rc.calls.Add(1); n <= rc.fail {
		http.Error(w, "try later", rc.status)
		return
	}
	var a Alert
	if err := json.Unmarshal(body, &a); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.got = append(rc.got, a)
	rc.ids = append(rc.ids, r.Header.Get(IDHeader))
	rc.mu.Unlock()
}

func webhookEngine(t *testing.T, url string, rule RuleConfig, route RouteConfig, reg prometheus.Registerer) (*Engine, string) {
	t.Helper()
	t.Setenv("VOCAL_TEST_SECRET", "s3cret")
	dl := filepath.Join(t.TempDir(), "dead.jsonl")
	route.Name, route.Type, route.URL, route.SecretEnv, route.DeadLetter = "risk", "webhook", url, "VOCAL_TEST_SECRET", dl
	if route.Backoff == 0 {
		route.Backoff = time.Millisecond
	}
	rule.Routes = []string{"risk"}
	e, err := New(Config{Rules: []RuleConfig{rule}, Routes: []RouteConfig{route}}, WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	return e, dl
}

func TestWebhookSignedRetried(t *testing.T) {
	rc := &receiver{secret: []byte("s3cret"), fail: 2, status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	reg := prometheus.NewRegistry()
	e, dl := webhookEngine(t, srv.URL, RuleConfig{Name: "critical", When: `risk.level == "critical"`}, RouteConfig{Retries: 3}, reg)
	ctx := testContext(t)
	for _, r := range []*pipeline.Record{record("a", "negative", "none", nil, nil, ""), record("b", "negative", "critical", []string{"safety"}, nil, `{"region":"华东"}`)} {
		if err := e.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := e.Commit(ctx, true); d != 2 || err != nil {
		t.Fatalf("Commit = %d, %v; want both records durable", d, err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if rc.calls.Load() != 3 || len(rc.got) != 1 || rc.badSig.Load() != 0 {
		t.Fatalf("%d calls, %d alerts, %d bad signatures; want 3 calls (2 failed) and 1 alert", rc.calls.Load(), len(rc.got), rc.badSig.Load())
	}
	a := rc.got[0]
	if a.Rule != "critical" || a.ID != AlertID("critical", "b") || rc.ids[0] != a.ID {
		t.Errorf("alert %+v, id header %s", a, rc.ids[0])
	}
	var rec map[string]any
	if err := json.Unmarshal(a.Record, &rec); err != nil || rec["id"] != "b" || rec["region"] != "华东" {
		t.Errorf("alert record %s", a.Record)
	}
	if b, _ := os.ReadFile(dl); len(b) != 0 {
		t.Errorf("dead letter written for a delivered alert: %s", b)
	}
	if got := testutil.ToFloat64(e.m.retries.WithLabelValues("risk")); got != 2 {
		t.Errorf("retries %v, want 2", got)
	}
	if got := testutil.ToFloat64(e.m.sent.WithLabelValues("risk")); got != 1 {
		t.Errorf("sent %v, want 1", got)
	}
}

func TestWebhookDeadLetter(t *testing.T) {
	for _, tt := range []struct {
		name     string
		status   int
		attempts int
	}{
		{"server errors exhaust the retries", http.StatusInternalServerError, 3},
		{"a client error is not retried", http.StatusBadRequest, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc := &receiver{secret: []byte("s3cret"), fail: 1 << 30, status: tt.status}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			e, dl := webhookEngine(t, srv.URL, RuleConfig{Name: "any", When: "true"}, RouteConfig{Retries: 2}, nil)
			ctx := testContext(t)
			if err := e.Write(ctx, record("z", "neutral", "none", nil, nil, "")); err != nil {
				t.Fatal(err)
			}
			if d, err := e.Commit(ctx, true); d != 1 || err != nil {
				t.Fatalf("Commit = %d, %v: a dead-lettered alert is durable", d, err)
			}
			e.Close()
			b, err := os.ReadFile(dl)
			if err != nil {
				t.Fatal(err)
			}
			var line deadLine
			if err := json.Unmarshal(b, &line); err != nil || line.Route != "risk" || line.Rule != "any" ||
				line.AlertID != AlertID("any", "z") || line.Attempts != tt.attempts || !strings.Contains(line.Error, http.StatusText(tt.status)) {
				t.Errorf("dead letter %s (%v)", b, err)
			}
			var a Alert
			if json.Unmarshal(line.Alert, &a) != nil || a.ID != line.AlertID {
				t.Errorf("dead letter does not hold the alert: %s", line.Alert)
			}
			if int(rc.calls.Load()) != tt.attempts {
				t.Errorf("%d calls, want %d", rc.calls.Load(), tt.attempts)
			}
		})
	}
}

// TestDurableWaitsForDelivery: a record is durable only once its alert is
// delivered; records after it wait too, records before it do not.
func TestDurableWaitsForDelivery(t *testing.T) {
	rc := &receiver{secret: []byte("s3cret"), hold: make(chan struct{})}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	e, _ := webhookEngine(t, srv.URL, RuleConfig{Name: "c", When: `risk.level == "critical"`}, RouteConfig{}, nil)
	defer e.Close()
	ctx := testContext(t)
	for _, r := range []*pipeline.Record{record("1", "neutral", "none", nil, nil, ""), record("2", "negative", "critical", nil, nil, ""), record("3", "neutral", "none", nil, nil, "")} {
		if err := e.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := e.Commit(ctx, false); d != 1 || err != nil {
		t.Fatalf("Commit = %d, %v while the alert of record 2 is in flight; want 1", d, err)
	}
	close(rc.hold)
	if d, err := e.Commit(ctx, true); d != 3 || err != nil {
		t.Fatalf("Commit(all) = %d, %v; want 3", d, err)
	}
}

func TestDedupeAndRateLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	reg := prometheus.NewRegistry()
	e, err := New(Config{
		Rules: []RuleConfig{
			{Name: "by-customer", When: `csat <= 2`, Dedupe: time.Hour, DedupeKey: "customer", Routes: []string{"f"}},
			{Name: "limited", When: `risk.level == "high"`, MaxPerMinute: 2, Routes: []string{"f"}},
		},
		Routes: []RouteConfig{{Name: "f", Type: "file", Path: path}},
	}, WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	recs := []*pipeline.Record{
		record("a", "negative", "none", nil, nil, `{"csat":1,"customer":"c1"}`),
		record("b", "negative", "none", nil, nil, `{"csat":2,"customer":"c1"}`), // same customer: dropped
		record("c", "negative", "none", nil, nil, `{"csat":2,"customer":"c2"}`),
		record("h1", "negative", "high", nil, nil, ""),
		record("h2", "negative", "high", nil, nil, ""),
		record("h3", "negative", "high", nil, nil, ""), // third in a minute: dropped
	}
	for _, r := range recs {
		if err := e.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Commit(ctx, true); err != nil {
		t.Fatal(err)
	}
	e.Close()
	b, _ := os.ReadFile(path)
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var a Alert
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		var rec struct{ ID string }
		json.Unmarshal(a.Record, &rec)
		got = append(got, a.Rule+"/"+rec.ID)
	}
	// The file route's workers deliver concurrently: compare as a set.
	want := map[string]bool{"by-customer/a": true, "by-customer/c": true, "limited/h1": true, "limited/h2": true}
	if len(got) != len(want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected alert %s", g)
		}
	}
	if n := testutil.ToFloat64(e.m.suppressed.WithLabelValues("by-customer", "dedupe")); n != 1 {
		t.Errorf("dedupe suppressed %v, want 1", n)
	}
	if n := testutil.ToFloat64(e.m.suppressed.WithLabelValues("limited", "rate")); n != 1 {
		t.Errorf("rate suppressed %v, want 1", n)
	}
}

func TestSignVerify(t *testing.T) {
	// HMAC-SHA256 of "body" under "key", computed with Python's hmac module.
	const want = "sha256=515aae133b435d4000956731f68ae5cf5eb85d4f0dc6a546d2bfcd3595ec1ae1"
	if got := Sign([]byte("key"), []byte("body")); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if !Verify([]byte("key"), []byte("body"), want) || Verify([]byte("key"), []byte("body!"), want) || Verify([]byte("other"), []byte("body"), want) {
		t.Error("Verify does not check body and key")
	}
}
