package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// genSource yields n records; every rejectEvery-th one (if > 0) is rejected.
// It counts Next calls and can fail with fault after failAfter records.
type genSource struct {
	n           int
	rejectEvery int
	failAfter   int // 0 = never
	fault       error
	onNext      func(i int) // called before record i is returned
	next        atomic.Int64
	closed      atomic.Bool
}

func (s *genSource) Next(ctx context.Context) (*Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	i := int(s.next.Load())
	if s.failAfter > 0 && i == s.failAfter {
		return nil, s.fault
	}
	if i >= s.n {
		return nil, io.EOF
	}
	if s.onNext != nil {
		s.onNext(i)
	}
	s.next.Add(1)
	r := &Record{Source: "gen", Line: i + 1, ID: fmt.Sprintf("r%06d", i), Text: fmt.Sprintf("text %d", i)}
	if s.rejectEvery > 0 && i%s.rejectEvery == 0 {
		r.Err = reject("gen", i+1, "text", "rejected for the test")
	}
	return r, nil
}

func (s *genSource) Close() error { s.closed.Store(true); return nil }

// recSink collects records; fail (if set) decides per record whether Write
// fails; block (if set) is received from before each Write returns.
type recSink struct {
	recs   []*Record
	fail   func(r *Record) error
	before func(r *Record)
	writes atomic.Int64
}

func (s *recSink) Write(_ context.Context, r *Record) error {
	if s.before != nil {
		s.before(r)
	}
	if s.fail != nil {
		if err := s.fail(r); err != nil {
			return err
		}
	}
	s.recs = append(s.recs, r)
	s.writes.Add(1)
	return nil
}

func (s *recSink) Close() error { return nil }

// runBounded runs Run in a goroutine and waits for it at most testTimeout.
func runBounded(t *testing.T, ctx context.Context, src Source, stage Stage, sink Sink, opt RunOptions) (Counts, error) {
	t.Helper()
	type result struct {
		c   Counts
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := Run(ctx, src, stage, sink, opt)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		return r.c, r.err
	case <-time.After(testTimeout):
		t.Fatal("Run did not return: deadlock?")
		return Counts{}, nil
	}
}

// jitterStage finishes records out of order: it yields a pseudo-random number
// of times before setting the analysis.
var jitterStage = stageFunc(func(r *Record) {
	for i := 0; i < int(r.Seq*7919%13); i++ {
		runtime.Gosched()
	}
	if r.Seq%17 == 0 {
		time.Sleep(50 * time.Microsecond)
	}
	fakeStage(r)
})

func TestRunOrderAndCounts(t *testing.T) {
	tests := []struct {
		name string
		n    int
		rej  int
		opt  RunOptions
	}{
		{name: "empty", n: 0, opt: RunOptions{Workers: 4}},
		{name: "one worker", n: 500, rej: 7, opt: RunOptions{Workers: 1}},
		{name: "many workers", n: 5000, rej: 7, opt: RunOptions{Workers: 32}},
		{name: "in flight of one", n: 300, rej: 5, opt: RunOptions{Workers: 8, MaxInFlight: 1}},
		{name: "in flight below workers", n: 2000, opt: RunOptions{Workers: 16, MaxInFlight: 3}},
		{name: "defaults", n: 2000, rej: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &genSource{n: tt.n, rejectEvery: tt.rej}
			var processed atomic.Int64
			stage := stageFunc(func(r *Record) { processed.Add(1); jitterStage(r) })
			sink := &recSink{}
			c, err := runBounded(t, testContext(t), src, stage, sink, tt.opt)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			var wantRej int64
			for i, r := range sink.recs {
				if r.Seq != int64(i) || r.ID != fmt.Sprintf("r%06d", i) {
					t.Fatalf("record %d has seq %d id %s: out of order", i, r.Seq, r.ID)
				}
				if r.Err != nil {
					wantRej++
					if r.Out != nil {
						t.Errorf("record %d: rejected but analysed", i)
					}
				} else if r.Out == nil {
					t.Errorf("record %d: not analysed", i)
				}
			}
			want := Counts{Read: int64(tt.n), Written: int64(tt.n) - wantRej, Rejected: wantRej}
			if c != want || int64(len(sink.recs)) != c.Read || c.Read != c.Written+c.Rejected {
				t.Errorf("counts %+v, want %+v (sink got %d)", c, want, len(sink.recs))
			}
			if processed.Load() != int64(tt.n) {
				t.Errorf("stage saw %d records, want %d (rejects flow through it too)", processed.Load(), tt.n)
			}
		})
	}
}

func TestRunBoundsInFlight(t *testing.T) {
	for _, max := range []int{1, 4, 16} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			var sink recSink
			var violations atomic.Int64
			// Every Next happens while at most max-1 other records are read
			// and not yet written.
			src := &genSource{n: 400}
			src.onNext = func(i int) {
				if inFlight := int64(i) - sink.writes.Load(); inFlight >= int64(max) {
					violations.Add(1)
				}
			}
			// The sink holds the first write until the reader has had every
			// chance to run ahead.
			release := make(chan struct{})
			sink.before = func(r *Record) {
				if r.Seq != 0 {
					return
				}
				select {
				case <-release:
				case <-time.After(testTimeout):
					t.Error("release never came")
				}
			}
			go func() {
				defer close(release)
				deadline := time.After(testTimeout)
				for src.next.Load() < int64(max) {
					select {
					case <-deadline:
						t.Error("the reader never filled the window")
						return
					default:
						runtime.Gosched()
					}
				}
				// Let the reader try to go past the window.
				for i := 0; i < 1000; i++ {
					runtime.Gosched()
				}
				if n := src.next.Load(); n != int64(max) {
					t.Errorf("%d records read while the first write is blocked, want exactly MaxInFlight=%d", n, max)
				}
			}()
			// Enough workers that the channels between them do not bound the
			// reader first.
			c, err := runBounded(t, testContext(t), src, stageFunc(jitterStage), &sink, RunOptions{Workers: 2*max + 2, MaxInFlight: max})
			if err != nil || c.Read != 400 {
				t.Fatalf("Run = %+v, %v", c, err)
			}
			if v := violations.Load(); v > 0 {
				t.Errorf("%d reads beyond MaxInFlight=%d", v, max)
			}
		})
	}
}

func TestRunSinkErrorStops(t *testing.T) {
	boom := errors.New("disk full")
	src := &genSource{n: 100000}
	sink := &recSink{fail: func(r *Record) error {
		if r.Seq == 10 {
			return fmt.Errorf("write %s: %w", r.ID, boom)
		}
		return nil
	}}
	const maxInFlight = 32
	var after atomic.Int64
	stage := stageFunc(func(r *Record) {
		if r.Seq > 10 {
			after.Add(1)
		}
		fakeStage(r)
	})
	c, err := runBounded(t, testContext(t), src, stage, sink, RunOptions{Workers: 4, MaxInFlight: maxInFlight})
	if !errors.Is(err, boom) {
		t.Fatalf("Run error %v, want the sink's", err)
	}
	if len(sink.recs) != 10 {
		t.Errorf("sink kept %d records, want the 10 before the failure", len(sink.recs))
	}
	if n := src.next.Load(); n > 11+maxInFlight {
		t.Errorf("source read %d records after a sink error at record 10, want at most %d", n, 11+maxInFlight)
	}
	if c.Read != c.Written+c.Rejected || c.Read > 11 {
		t.Errorf("counts %+v after a failure at the 11th record", c)
	}
	if src.closed.Load() {
		t.Error("Run closed the source; closing is the caller's")
	}
}

func TestRunSourceFault(t *testing.T) {
	fault := errors.New("input.jsonl: read: connection reset")
	src := &genSource{n: 1000, failAfter: 50, fault: fault}
	sink := &recSink{}
	c, err := runBounded(t, testContext(t), src, fakeStage, sink, RunOptions{Workers: 4})
	if !errors.Is(err, fault) {
		t.Fatalf("Run error %v, want the source's", err)
	}
	// Everything read before the fault is still written, in order.
	if len(sink.recs) != 50 || c.Read != 50 || c.Written != 50 {
		t.Errorf("wrote %d records, counts %+v; want the 50 read before the fault", len(sink.recs), c)
	}
	for i, r := range sink.recs {
		if r.Seq != int64(i) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
	}
}

func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	src := &genSource{n: 1 << 30}
	var once sync.Once
	sink := &recSink{before: func(r *Record) {
		if r.Seq == 100 {
			once.Do(cancel)
		}
	}}
	c, err := runBounded(t, ctx, src, fakeStage, sink, RunOptions{Workers: 4, MaxInFlight: 16})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error %v, want context.Canceled", err)
	}
	if c.Read < 101 || c.Read != c.Written+c.Rejected || src.next.Load() > c.Read+16 {
		t.Errorf("counts %+v, %d read from the source", c, src.next.Load())
	}
}

func TestRunCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := &genSource{n: 10}
	c, err := runBounded(t, ctx, src, fakeStage, &recSink{}, RunOptions{})
	if !errors.Is(err, context.Canceled) || c.Read != 0 {
		t.Fatalf("Run = %+v, %v; want nothing read and context.Canceled", c, err)
	}
}

// TestRunRealSources runs the runner over the fixtures through Inputs: the
// counts of the run, of the inputs and of the sink reconcile.
func TestRunRealSources(t *testing.T) {
	paths := []string{fixture("feedback.jsonl"), fixture("bad.jsonl"), fixture("feedback.csv"), fixture("bad.csv")}
	in := openInputs(t, DefaultInputConfig(), paths...)
	sink := &recSink{}
	c, err := runBounded(t, testContext(t), in, jitterStage, sink, RunOptions{Workers: 8, MaxInFlight: 4})
	if err != nil {
		t.Fatal(err)
	}
	var read, rejected int64
	for _, st := range in.Stats {
		read += st.Read
		rejected += st.Rejected
	}
	if c.Read != read || c.Rejected != rejected || c.Read != c.Written+c.Rejected || c.Read != int64(len(sink.recs)) {
		t.Errorf("run counts %+v, inputs read %d rejected %d, sink %d", c, read, rejected, len(sink.recs))
	}
	if want := (Counts{Read: 36, Written: 17, Rejected: 19}); c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
}
