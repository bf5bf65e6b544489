package natsio

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/alert"
)

// worker is one `vocal stream` process: its own connection, source, alert
// engine and sinks.
type worker struct {
	nc      *nats.Conn
	stop    context.CancelFunc // graceful: stop reading, drain, ack
	abort   context.CancelFunc
	done    chan error
	written atomic.Int64
}

type workerConfig struct {
	url, hookURL, hookDead string
	stage                  pipeline.Stage
	failOn                 string // a sink error on this record id
	fetch, maxInFlight     int
	workers                int
}

func startWorker(tb testing.TB, c workerConfig) *worker {
	tb.Helper()
	nc, js := connect(tb, c.url)
	runCtx, abort := context.WithCancel(context.Background())
	stopCtx, stop := context.WithCancel(context.Background())
	w := &worker{nc: nc, stop: stop, abort: abort, done: make(chan error, 1)}
	dl := DeadLetter{JS: js, Subject: "feedback.dead"}
	src, err := OpenSource(testContext(tb), js, SourceConfig{Stream: "FEEDBACK", Consumer: "vocal", AckWait: 2 * time.Second,
		MaxDeliveries: 3, NakDelay: 10 * time.Millisecond, Fetch: c.fetch, Input: pipeline.DefaultInputConfig(), DeadLetter: dl})
	if err != nil {
		tb.Fatal(err)
	}
	sinks := []pipeline.Sink{NewSink(js, "feedback.tagged"), pipeline.RejectSink{DL: dl}}
	if c.hookURL != "" {
		sinks = append([]pipeline.Sink{alertEngine(tb, c.hookURL, c.hookDead)}, sinks...)
	}
	if c.failOn != "" {
		sinks = append([]pipeline.Sink{failSink(c.failOn)}, sinks...)
	}
	sink := pipeline.Tee(sinks...)
	go func() {
		_, err := pipeline.Run(runCtx, pipeline.Until(src, stopCtx), c.stage, sink, pipeline.RunOptions{
			Workers: c.workers, MaxInFlight: c.maxInFlight,
			OnWritten: func(*pipeline.Record, time.Duration) { w.written.Add(1) },
		})
		err = errors.Join(err, sink.Close())
		src.Close()
		// The process ends here: its connection goes, and with it the
		// pull requests the server would otherwise keep routing to it.
		nc.Close()
		w.done <- err
	}()
	return w
}

// wait returns the worker's Run error.
func (w *worker) wait(tb testing.TB) error {
	tb.Helper()
	select {
	case err := <-w.done:
		return err
	case <-time.After(testTimeout):
		tb.Fatal("worker did not stop")
		return nil
	}
}

// kill is a crash: the connection goes without acking anything in flight.
func (w *worker) kill(tb testing.TB) {
	w.nc.Close()
	w.abort()
	w.wait(tb)
}

// failSink fails the write of one record id, as a sink that cannot store it.
type failSink string

func (f failSink) Write(_ context.Context, r *pipeline.Record) error {
	if r.ID == string(f) {
		return fmt.Errorf("cannot store %s", r.ID)
	}
	return nil
}

func (failSink) Close() error { return nil }

// TestKillWorkerMidStream: a worker dies with records in flight, two others
// share the consumer afterwards; every record is processed at least once,
// every alert is delivered (through a webhook that fails its first calls),
// and a graceful stop leaves nothing unacked.
func TestKillWorkerMidStream(t *testing.T) {
	url := startServer(t)
	_, js := connect(t, url)
	setupStreams(t, js)
	const n = 300
	publish(t, js, 0, n)
	t.Setenv("VOCAL_NATSIO_TEST_SECRET", "hook-secret")
	hook := newHookReceiver(3)
	srv := newHookServer(t, hook)
	dead := filepath.Join(t.TempDir(), "alerts.dead.jsonl")
	cfg := workerConfig{url: url, hookURL: srv.URL, hookDead: dead, stage: fireStage{delay: 2 * time.Millisecond}, fetch: 32, maxInFlight: 16, workers: 2}

	w1 := startWorker(t, cfg)
	waitFor(t, "the first worker to write 100 records", func() bool { return w1.written.Load() >= 100 })
	w1.kill(t)
	killedAt := w1.written.Load()

	w2, w3 := startWorker(t, cfg), startWorker(t, cfg)
	waitFor(t, "every record in the output", func() bool { ids, _ := outputIDs(t, js); return len(ids) == n })
	waitFor(t, "every alert at the webhook", func() bool { return len(hook.ids()) == n/10 })
	w2.stop()
	w3.stop()
	if err := errors.Join(w2.wait(t), w3.wait(t)); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	ids, msgs := outputIDs(t, js)
	for i := 0; i < n; i++ {
		if ids[fmt.Sprintf("r%05d", i)] == 0 {
			t.Errorf("record r%05d never reached the output", i)
		}
	}
	got := hook.ids()
	for i := 3; i < n; i += 10 {
		if got[fmt.Sprintf("r%05d", i)] == 0 {
			t.Errorf("alert of r%05d never delivered", i)
		}
	}
	if hook.bad != 0 {
		t.Errorf("%d webhook calls with a bad signature", hook.bad)
	}
	if w2.written.Load() == 0 || w3.written.Load() == 0 {
		t.Errorf("workers sharing the consumer wrote %d and %d records: want both busy", w2.written.Load(), w3.written.Load())
	}
	info, err := js.Consumer(testContext(t), "FEEDBACK", "vocal")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := info.Info(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if ci.NumAckPending != 0 || ci.NumPending != 0 {
		t.Errorf("after a graceful stop: %d unacked, %d undelivered; want 0 and 0", ci.NumAckPending, ci.NumPending)
	}
	if d := deadLines(t, js); len(d) != 0 {
		t.Errorf("dead letters %+v for good records", d)
	}
	t.Logf("first worker killed after %d records; output holds %d messages for %d records (duplicates dropped by message id); alerts %d", killedAt, msgs, len(ids), len(got))
}

// TestPoisonMessages: an unparseable message goes to the dead letter at
// once; a message whose record a sink cannot store stops each worker that
// takes it, until its deliveries run out and it goes to the dead letter. The
// good message behind it, delivered to the stopped worker too, goes back
// first and is processed by the next worker, not dead-lettered with it.
func TestPoisonMessages(t *testing.T) {
	url := startServer(t)
	_, js := connect(t, url)
	setupStreams(t, js)
	ctx := testContext(t)
	for _, m := range []string{`{"id":"good1","text":"好"}`, `not json`, `{"id":"boom","text":"坏"}`, `{"id":"good2","text":"好"}`} {
		if _, err := js.Publish(ctx, "feedback.in", []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := workerConfig{url: url, stage: fireStage{}, failOn: "boom", workers: 1, maxInFlight: 1}
	runs := 0
	for ; runs < 10; runs++ {
		w := startWorker(t, cfg)
		stopped := make(chan error, 1)
		go func() { stopped <- w.wait(t) }()
		deadline := time.After(testTimeout)
	poll:
		for {
			select {
			case err := <-stopped:
				if err == nil || !strings.Contains(err.Error(), "cannot store boom") {
					t.Fatalf("run %d ended with %v, want the sink's error", runs+1, err)
				}
				break poll
			case <-time.After(20 * time.Millisecond):
				if len(uniqueDead(t, js)) >= 2 {
					w.stop()
					if err := <-stopped; err != nil {
						t.Fatalf("graceful stop: %v", err)
					}
					break poll
				}
			case <-deadline:
				t.Fatal("worker neither failed nor finished")
			}
		}
		if len(uniqueDead(t, js)) >= 2 {
			break
		}
	}
	byLine := uniqueDead(t, js)
	if len(byLine) != 2 {
		t.Fatalf("dead letters %+v after %d runs", byLine, runs+1)
	}
	if d := byLine[2]; d.Source != "nats:FEEDBACK" || d.Raw != "not json" || !strings.HasPrefix(d.Reason, "not JSON: ") {
		t.Errorf("unparseable message: %+v", d)
	}
	if d := byLine[3]; d.Raw != `{"id":"boom","text":"坏"}` || d.Reason != "not acknowledged after 3 deliveries (subject feedback.in)" {
		t.Errorf("repeatedly failing message: %+v", d)
	}
	ids, _ := outputIDs(t, js)
	if ids["good1"] == 0 || ids["good2"] == 0 || ids["boom"] != 0 {
		t.Errorf("output ids %v", ids)
	}
	if runs+1 != 4 {
		t.Errorf("%d runs, want 3 failing on the poison message (its deliveries) and 1 that dead-letters it", runs+1)
	}
}

// uniqueDead returns the dead letters by stream sequence: a message may be
// dead-lettered twice (at least once) when a worker stops before acking it.
func uniqueDead(t *testing.T, js jetstream.JetStream) map[int]pipeline.RejectLine {
	out := map[int]pipeline.RejectLine{}
	for _, d := range deadLines(t, js) {
		out[d.Line] = d
	}
	return out
}

// TestSinkRejectsUnstoredSubject: an output subject no stream stores is an
// error at start-up, not a silent loss.
func TestCheckSubject(t *testing.T) {
	url := startServer(t)
	_, js := connect(t, url)
	setupStreams(t, js)
	if err := CheckSubject(testContext(t), js, "feedback.tagged"); err != nil {
		t.Errorf("stored subject: %v", err)
	}
	err := CheckSubject(testContext(t), js, "nowhere")
	if err == nil || !strings.HasPrefix(err.Error(), `nats subject "nowhere": no JetStream stream stores it (add one)`) {
		t.Errorf("unstored subject: %v", err)
	}
}

// TestAlertNATSRoute: alerts published to a subject, once per alert id.
func TestAlertNATSRoute(t *testing.T) {
	url := startServer(t)
	_, js := connect(t, url)
	setupStreams(t, js)
	e, err := alert.New(alert.Config{
		Rules:  []alert.RuleConfig{{Name: "critical", When: `risk.level == "critical"`, Routes: []string{"ops"}}},
		Routes: []alert.RouteConfig{{Name: "ops", Type: "nats", Subject: "alerts.critical", DeadLetter: filepath.Join(t.TempDir(), "d")}},
	}, alert.WithPublish(Publish(js)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	r := &pipeline.Record{ID: "x1", Text: "充电器起火了"}
	fireStage{}.Process(r)
	for i := 0; i < 2; i++ { // a replay publishes the same alert id again
		if err := e.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
		r = &pipeline.Record{ID: "x1", Text: "充电器起火了"}
		fireStage{}.Process(r)
	}
	if _, err := e.Commit(ctx, true); err != nil {
		t.Fatal(err)
	}
	e.Close()
	st, _ := js.Stream(ctx, "ALERTS")
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Errorf("%d alert messages, want 1 (the replay dropped by its message id)", info.State.Msgs)
	}
	m, err := st.GetMsg(ctx, 1)
	if err != nil || !strings.Contains(string(m.Data), `"alert_id":"`+alert.AlertID("critical", "x1")+`"`) {
		t.Errorf("alert message %s, %v", m.Data, err)
	}
}
