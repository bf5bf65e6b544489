package pipeline

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
)

// Stage processes one record in place: it sets Out, or Err for a per-record
// failure. It must be safe for concurrent use and must not block on I/O.
type Stage interface {
	Process(r *Record)
}

// Sink receives records in input order, rejected ones (Err set) included.
// Write is called from one goroutine; an error stops the run. Close flushes
// and makes the outputs durable.
type Sink interface {
	Write(ctx context.Context, r *Record) error
	Close() error
}

// RunOptions bounds the concurrency of Run.
type RunOptions struct {
	Workers     int // tagging goroutines; default GOMAXPROCS
	MaxInFlight int // records read but not yet written; default 64 per worker
}

// Counts reconcile: Read = Written + Rejected.
type Counts struct {
	Read     int64 `json:"read"`
	Written  int64 `json:"written"`
	Rejected int64 `json:"rejected"`
}

// Run reads src to the end, processes records on a bounded worker pool and
// writes them to sink in input order. It returns the counts and the first
// source, sink or context error; the sink is not closed.
func Run(ctx context.Context, src Source, stage Stage, sink Sink, opt RunOptions) (Counts, error) {
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.MaxInFlight <= 0 {
		opt.MaxInFlight = 64 * opt.Workers
	}
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
			select {
			case in <- rec:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < opt.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rec := range in {
				stage.Process(rec)
				out <- rec
			}
		}()
	}
	go func() { wg.Wait(); close(out) }()

	var c Counts
	var sinkErr error
	pending := map[int64]*Record{}
	var next int64
	for rec := range out {
		pending[rec.Seq] = rec
		for r, ok := pending[next]; ok; r, ok = pending[next] {
			delete(pending, next)
			next++
			if sinkErr == nil {
				c.Read++
				if r.Err != nil {
					c.Rejected++
				} else {
					c.Written++
				}
				if err := sink.Write(ctx, r); err != nil {
					sinkErr = err
					cancel()
				}
			}
			// Free the slot only once the record is written, so that at
			// most MaxInFlight records are read and not yet written.
			<-slots
		}
	}
	switch {
	case sinkErr != nil:
		return c, sinkErr
	case readErr != nil:
		return c, readErr
	}
	return c, ctx.Err()
}
