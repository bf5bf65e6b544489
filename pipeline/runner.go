package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"
)

// Stage processes one record in place: it sets Out, or Err for a per-record
// failure. It must be safe for concurrent use and must not block on I/O.
type Stage interface {
	Process(r *Record)
}

// ContextStage is a Stage that may block on I/O (a remote model, see package
// llm): Run calls ProcessContext with the run's context, cancelled when the
// run stops, instead of Process.
type ContextStage interface {
	Stage
	ProcessContext(ctx context.Context, r *Record)
}

// Sink receives records in input order, rejected ones (Err set) included.
// Write is called from one goroutine; an error stops the run. Close flushes
// and makes the outputs durable.
type Sink interface {
	Write(ctx context.Context, r *Record) error
	Close() error
}

// Committer is implemented by sinks that buffer records and make them durable
// in batches (an index with batched commits, rolling files, asynchronous
// deliveries). Commit makes durable what the sink's own policy says is due, or
// everything written so far when all is set, and returns how many of the
// records written so far are durable: a count that never decreases, all of
// them after a successful Commit with all set; with an error, it still returns
// how many are durable. Run calls it from the goroutine
// that calls Write: after writes, every RunOptions.CommitPoll while no record
// arrives, and with all set at the end of the run. It acks a record (Record.Ack)
// only once the record is durable. A sink that is not a Committer makes each
// record durable before Write returns.
type Committer interface {
	Commit(ctx context.Context, all bool) (durable int64, err error)
}

// RunOptions bounds the concurrency of Run.
type RunOptions struct {
	Workers     int           // tagging goroutines; default GOMAXPROCS
	MaxInFlight int           // records read but not yet written; default 64 per worker
	CommitPoll  time.Duration // how often an idle run asks a Committer sink to commit; default 100ms

	// OnWritten, if set, is called after each record is written, from the
	// writing goroutine, with the time since the record was read.
	OnWritten func(r *Record, latency time.Duration)
}

// Counts reconcile: Read = Written + Rejected.
type Counts struct {
	Read     int64 `json:"read"`
	Written  int64 `json:"written"`
	Rejected int64 `json:"rejected"`
}

// ErrNotDurable is passed to Record.Ack, wrapping the run's error if any, for
// a record that was not at fault but whose outputs were not durable when the
// run stopped. The record whose write failed gets the sink's error alone.
var ErrNotDurable = errors.New("run stopped before the record's outputs were durable")

// Run reads src to the end, processes records on a bounded worker pool and
// writes them to sink in input order. It returns the counts and the first
// source, sink or context error; the sink is not closed. Records carrying an
// Ack are acked once durable (see Committer) and nacked with the error when
// the run stops before that.
func Run(ctx context.Context, src Source, stage Stage, sink Sink, opt RunOptions) (Counts, error) {
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.MaxInFlight <= 0 {
		opt.MaxInFlight = 64 * opt.Workers
	}
	if opt.CommitPoll <= 0 {
		opt.CommitPoll = 100 * time.Millisecond
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	slots := make(chan struct{}, opt.MaxInFlight)
	in := make(chan *Record)
	out := make(chan *Record)
	var readErr error
	go func() {
		defer close(in)
		for seq := int64(0); ; seq++ {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			rec, err := src.Next(ctx)
			if err != nil {
				if err != io.EOF && !errors.Is(err, context.Canceled) {
					readErr = err
				}
				return
			}
			rec.Seq = seq
			if opt.OnWritten != nil {
				rec.readAt = time.Now()
			}
			select {
			case in <- rec:
			case <-ctx.Done():
				nack(rec, notDurable(ctx.Err()))
				return
			}
		}
	}()
	var wg sync.WaitGroup
	cstage, _ := stage.(ContextStage)
	for i := 0; i < opt.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rec := range in {
				if cstage != nil {
					cstage.ProcessContext(ctx, rec)
				} else {
					stage.Process(rec)
				}
				out <- rec
			}
		}()
	}
	go func() { wg.Wait(); close(out) }()

	w := writer{ctx: ctx, sink: sink, opt: opt}
	w.committer, _ = sink.(Committer)
	var tick <-chan time.Time
	if w.committer != nil {
		t := time.NewTicker(opt.CommitPoll)
		defer t.Stop()
		tick = t.C
	}
	pending := map[int64]*Record{}
	var next int64
loop:
	for {
		select {
		case rec, ok := <-out:
			if !ok {
				break loop
			}
			pending[rec.Seq] = rec
			for r, ok := pending[next]; ok; r, ok = pending[next] {
				delete(pending, next)
				next++
				if w.err == nil {
					w.write(r)
				} else {
					nack(r, notDurable(w.err))
				}
				// Free the slot only once the record is written, so that at
				// most MaxInFlight records are read and not yet written.
				<-slots
			}
			if w.err == nil {
				w.commit(ctx, false)
			}
		case <-tick:
			if w.err == nil {
				w.commit(ctx, false)
			}
		}
		if w.err != nil {
			cancel()
		}
	}
	// Even after a sink error, what was written may still be made durable
	// (and acked instead of redelivered); only an abort of the caller's
	// context cuts this short.
	w.commit(parent, true)
	err := w.err
	switch {
	case err != nil:
	case readErr != nil:
		err = readErr
	default:
		err = ctx.Err()
	}
	nackErr := notDurable(err)
	for _, a := range w.acks {
		a.ack(nackErr)
	}
	return w.c, err
}

// writer is the writing end of Run: counts, acks waiting for a commit, and
// the first sink error.
type writer struct {
	ctx       context.Context
	sink      Sink
	committer Committer
	opt       RunOptions
	c         Counts
	written   int64 // successful writes
	acks      []pendingAck
	err       error
}

// pendingAck is the ack of the record that was the n-th successful write.
type pendingAck struct {
	n   int64
	ack func(error)
}

func (w *writer) write(r *Record) {
	w.c.Read++
	if r.Err != nil {
		w.c.Rejected++
	} else {
		w.c.Written++
	}
	if err := w.sink.Write(w.ctx, r); err != nil {
		w.err = err
		nack(r, err)
		return
	}
	w.written++
	if w.opt.OnWritten != nil {
		w.opt.OnWritten(r, time.Since(r.readAt))
	}
	if r.Ack != nil {
		w.acks = append(w.acks, pendingAck{w.written, r.Ack})
	}
}

// commit asks a Committer sink to commit (everything, with all) and acks the
// records that are now durable; without a Committer every write is durable.
func (w *writer) commit(ctx context.Context, all bool) {
	durable := w.written
	if w.committer != nil && (all || w.written > 0) {
		d, err := w.committer.Commit(ctx, all)
		if err != nil && w.err == nil {
			w.err = err
		}
		durable = d
	}
	i := 0
	for ; i < len(w.acks) && w.acks[i].n <= durable; i++ {
		w.acks[i].ack(nil)
	}
	w.acks = w.acks[i:]
}

// notDurable is the error of a record nacked because the run stopped with
// err, nil at the end of the input.
func notDurable(err error) error {
	if err == nil {
		return ErrNotDurable
	}
	return fmt.Errorf("%w: %w", ErrNotDurable, err)
}

func nack(r *Record, err error) {
	if r.Ack != nil {
		r.Ack(err)
	}
}
