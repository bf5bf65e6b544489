package natsio

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/alert"
	"github.com/vocal-dev/vocal/topics"
)

// testTimeout bounds every wait; it is not a performance bound.
const testTimeout = 60 * time.Second

func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	tb.Cleanup(cancel)
	return ctx
}

// startServer runs a real NATS server with JetStream on a temporary
// directory, on a free loopback port.
func startServer(tb testing.TB) string {
	tb.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: tb.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats server not ready")
	}
	tb.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL()
}

// connect opens a connection and its JetStream context.
func connect(tb testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024))
	if err != nil {
		tb.Fatal(err)
	}
	return nc, js
}

// setupStreams creates the input, output and dead-letter streams.
func setupStreams(tb testing.TB, js jetstream.JetStream) {
	tb.Helper()
	ctx := testContext(tb)
	for name, subj := range map[string]string{"FEEDBACK": "feedback.in", "TAGGED": "feedback.tagged", "DEAD": "feedback.dead", "ALERTS": "alerts.>"} {
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subj}}); err != nil {
			tb.Fatal(err)
		}
	}
}

// publish sends records r%05d for i in [from, to); every tenth is a fire,
// the others take texts in turn (物流很快 when none are given).
func publish(tb testing.TB, js jetstream.JetStream, from, to int, texts ...string) {
	tb.Helper()
	ctx := testContext(tb)
	for i := from; i < to; i++ {
		text := "物流很快"
		if len(texts) > 0 {
			text = texts[i%len(texts)]
		}
		if i%10 == 3 {
			text = "充电器起火了"
		}
		b, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("r%05d", i), "text": text, "sent_ns": time.Now().UnixNano()})
		if _, err := js.PublishAsync("feedback.in", b); err != nil {
			tb.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		tb.Fatal("publish not acked")
	}
}

// fireStage flags texts with 起火 as critical safety risks and holds each
// record for delay.
type fireStage struct{ delay time.Duration }

func (s fireStage) Process(r *pipeline.Record) {
	if r.Err != nil {
		return
	}
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	out := &pipeline.Analysis{Lang: "zh", Sentiment: pipeline.SentimentOut{Label: "neutral", Evidence: []pipeline.Evidence{}},
		Risk: topics.Risk{Level: "none", Hits: []topics.RiskHit{}}}
	if i := strings.Index(r.Text, "起火"); i >= 0 {
		out.Sentiment.Label = "negative"
		out.Risk = topics.Risk{Level: "critical", Hits: []topics.RiskHit{{Term: "起火", Category: "safety", Level: "critical", Start: 3, End: 5}}}
	}
	r.Out = out
}

// hookReceiver is a webhook endpoint that verifies signatures, fails its
// first `fail` calls, and records the record ids of the alerts it accepted
// with their arrival time.
type hookReceiver struct {
	secret []byte
	mu     sync.Mutex
	fail   int
	calls  int
	got    map[string]int
	bad    int
	onHit  func(a alert.Alert, at time.Time)
}

func newHookReceiver(fail int) *hookReceiver {
	return &hookReceiver{secret: []byte("hook-secret"), fail: fail, got: map[string]int{}}
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	var body []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Body.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			break
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !alert.Verify(h.secret, body, r.Header.Get(alert.SignatureHeader)) {
		h.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	h.calls++
	if h.calls <= h.fail {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	var a alert.Alert
	json.Unmarshal(body, &a)
	var rec struct{ ID string }
	json.Unmarshal(a.Record, &rec)
	h.got[rec.ID]++
	if h.onHit != nil {
		h.onHit(a, at)
	}
}

func (h *hookReceiver) ids() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.got))
	for k, v := range h.got {
		out[k] = v
	}
	return out
}

// alertEngine routes critical records to the receiver's webhook.
func alertEngine(tb testing.TB, url string, dead string) *alert.Engine {
	tb.Helper()
	e, err := alert.New(alert.Config{
		Rules: []alert.RuleConfig{{Name: "critical", When: `risk.level == "critical"`, Routes: []string{"hook"}}},
		Routes: []alert.RouteConfig{{Name: "hook", Type: "webhook", URL: url, SecretEnv: "VOCAL_NATSIO_TEST_SECRET",
			Retries: 5, Backoff: 5 * time.Millisecond, DeadLetter: dead, Workers: 8}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func newHookServer(tb testing.TB, h *hookReceiver) *httptest.Server {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}

// outputIDs reads the output stream and counts messages per record id.
func outputIDs(tb testing.TB, js jetstream.JetStream) (map[string]int, int) {
	tb.Helper()
	ctx := testContext(tb)
	st, err := js.Stream(ctx, "TAGGED")
	if err != nil {
		tb.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	ids := map[string]int{}
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			tb.Fatal(err)
		}
		var rec struct{ ID string }
		json.Unmarshal(m.Data, &rec)
		ids[rec.ID]++
	}
	return ids, int(info.State.Msgs)
}

// deadLines returns the dead-letter stream's messages.
func deadLines(tb testing.TB, js jetstream.JetStream) []pipeline.RejectLine {
	tb.Helper()
	ctx := testContext(tb)
	st, err := js.Stream(ctx, "DEAD")
	if err != nil {
		tb.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var out []pipeline.RejectLine
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			tb.Fatal(err)
		}
		var l pipeline.RejectLine
		if err := json.Unmarshal(m.Data, &l); err != nil {
			tb.Fatalf("dead letter %q: %v", m.Data, err)
		}
		out = append(out, l)
	}
	return out
}

// waitFor polls cond until it holds, failing the test after testTimeout.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
