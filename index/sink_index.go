package index

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/vocal-dev/vocal/pipeline"
)

// DefaultBatchSize is the number of documents per index batch.
const DefaultBatchSize = 2000

// DefaultCommitInterval is how long a partial batch waits for more records
// before Commit hands it to the index.
const DefaultCommitInterval = time.Second

// Sink upserts tagged records into an index by record id, in batches;
// rejected records are skipped. Batches are committed in background
// goroutines while the next one fills, so tagging and indexing overlap. Two
// batches are committed at once when they share no record id and the later
// one does not update the stored field kinds (so bleve's analysis of one
// overlaps the segment building of the other); otherwise the later one waits,
// so a later record with the same id wins. At most three batches are held in
// memory. A batch is durable once bleve's Batch returns (scorch waits for the
// segment to be persisted) and every earlier batch is durable.
//
// Sink is a pipeline.Committer: a batch is handed over when it is full, or by
// Commit once it is older than the commit interval, so that a stream's
// records are acknowledged within about that interval. Write, Commit and
// Close are called from one goroutine (pipeline.Sink); Close commits the last
// batch and closes the index.
type Sink struct {
	idx      bleve.Index
	size     int
	interval time.Duration

	batch   *bleve.Batch
	ids     map[string]struct{} // the record ids in batch
	started time.Time           // when the current batch got its first document
	written int64               // Write calls, skipped records included
	flushed int64               // written as of the last batch handed over

	queue    chan pending
	inflight sync.WaitGroup
	durable  atomic.Int64
	done     chan struct{}
	failed   chan struct{}
	failOnce sync.Once
	err      error // set before failed is closed; read after

	indexed int64
	closed  bool

	kinds        map[string]string // passthrough field kinds, stored under schemaKey
	kindsChanged bool
}

// pending is a batch handed to the committer (nil when only skipped records
// were written since the last one), its record ids, whether it updates the
// stored field kinds, and the write count it makes durable.
type pending struct {
	batch  *bleve.Batch
	ids    map[string]struct{}
	schema bool
	upTo   int64
}

// commitsAlongside reports whether p may be committed while prev is: they
// share no record id and p leaves the field kinds alone.
func (p pending) commitsAlongside(prev pending) bool {
	if p.schema {
		return false
	}
	small, large := p.ids, prev.ids
	if len(small) > len(large) {
		small, large = large, small
	}
	for id := range small {
		if _, ok := large[id]; ok {
			return false
		}
	}
	return true
}

// SinkOption configures NewSink.
type SinkOption func(*Sink)

// WithCommitInterval sets how old a partial batch must be before Commit hands
// it over (DefaultCommitInterval); it bounds the delay between a record's
// arrival and its acknowledgement in a stream.
func WithCommitInterval(d time.Duration) SinkOption {
	return func(s *Sink) {
		if d > 0 {
			s.interval = d
		}
	}
}

// NewSink returns a sink writing to idx in batches of batchSize documents
// (DefaultBatchSize when batchSize <= 0). The sink owns idx: Close closes it,
// also when NewSink fails.
func NewSink(idx bleve.Index, batchSize int, opts ...SinkOption) (*Sink, error) {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	kinds, err := readKinds(idx)
	if err != nil {
		idx.Close()
		return nil, err
	}
	s := &Sink{idx: idx, size: batchSize, interval: DefaultCommitInterval, batch: idx.NewBatch(), ids: map[string]struct{}{}, kinds: kinds,
		queue: make(chan pending), done: make(chan struct{}), failed: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	go s.commit()
	return s, nil
}

// commit starts a goroutine per pending batch, in order, with at most two
// running; each waits for the previous one to finish before it makes its
// batch durable, and also before it commits when they cannot run alongside.
func (s *Sink) commit() {
	defer close(s.done)
	var prev pending
	var prevDone, prevPrevDone chan struct{}
	for {
		if prevPrevDone != nil {
			<-prevPrevDone // before taking a third batch
		}
		p, ok := <-s.queue
		if !ok {
			break
		}
		done := make(chan struct{})
		go func(p, prev pending, prevDone chan struct{}) {
			defer close(done)
			if prevDone != nil && !p.commitsAlongside(prev) {
				<-prevDone
			}
			if p.batch != nil && !s.hasFailed() {
				if err := s.idx.Batch(p.batch); err != nil {
					s.fail(fmt.Errorf("index batch: %w", err))
				}
			}
			if prevDone != nil {
				<-prevDone
			}
			if !s.hasFailed() {
				s.durable.Store(p.upTo)
			}
			s.inflight.Done()
		}(p, prev, prevDone)
		prev, prevDone, prevPrevDone = p, done, prevDone
	}
	if prevDone != nil {
		<-prevDone
	}
}

// fail records the first commit error and stops further commits.
func (s *Sink) fail(err error) {
	s.failOnce.Do(func() {
		s.err = err
		close(s.failed)
	})
}

// hasFailed reports whether a commit has failed (then s.err is set).
func (s *Sink) hasFailed() bool {
	select {
	case <-s.failed:
		return true
	default:
		return false
	}
}

// Write adds r to the current batch and hands the batch to the committer
// when full. It returns the committer's error once a batch has failed.
func (s *Sink) Write(ctx context.Context, r *pipeline.Record) error {
	s.written++
	if r.Err != nil || r.Out == nil {
		return nil
	}
	doc := Document(r)
	if err := batchIndex(s.batch, s.idx.Mapping(), r.ID, doc); err != nil {
		return fmt.Errorf("index record %q: %w", r.ID, err)
	}
	s.ids[r.ID] = struct{}{}
	s.noteKinds(doc)
	if s.batch.Size() == 1 {
		s.started = time.Now()
	}
	s.indexed++
	if s.batch.Size() >= s.size {
		return s.flush(ctx)
	}
	return nil
}

// noteKinds records the kinds of passthrough fields seen for the first time.
func (s *Sink) noteKinds(doc map[string]any) {
	for name, v := range doc {
		if _, fixed := fixedKind(name); fixed || s.kinds[name] != "" {
			continue
		}
		if k := valueKind(v); k != "" {
			s.kinds[name] = k
			s.kindsChanged = true
		}
	}
}

// flush hands the current batch, and the skipped records written since the
// last one, to the committer.
func (s *Sink) flush(ctx context.Context) error {
	if s.written == s.flushed {
		return nil
	}
	p := pending{upTo: s.written}
	if s.kindsChanged {
		raw, err := json.Marshal(s.kinds)
		if err != nil {
			return err
		}
		s.batch.SetInternal([]byte(schemaKey), raw)
		s.kindsChanged = false
		p.schema = true
	}
	if s.batch.Size() > 0 {
		p.batch, p.ids = s.batch, s.ids
	}
	s.inflight.Add(1)
	select {
	case s.queue <- p:
	case <-s.failed:
		s.inflight.Done()
		return s.err
	case <-ctx.Done():
		s.inflight.Done()
		return ctx.Err()
	}
	s.flushed = s.written
	if p.batch != nil {
		s.batch, s.ids = s.idx.NewBatch(), map[string]struct{}{}
	}
	return nil
}

// Commit implements pipeline.Committer: it hands over the current batch when
// all is set or the batch is older than the commit interval, waits for the
// committer when all is set, and returns how many written records are in the
// index.
func (s *Sink) Commit(ctx context.Context, all bool) (int64, error) {
	var err error
	if all || s.batch.Size() == 0 || time.Since(s.started) >= s.interval {
		err = s.flush(ctx)
	}
	if all && err == nil {
		s.inflight.Wait()
	}
	if s.hasFailed() {
		err = s.err
	}
	return s.durable.Load(), err
}

// Indexed counts the records written to the sink and not skipped.
func (s *Sink) Indexed() int64 { return s.indexed }

// Close commits the last batch, waits for the committer, merges the index
// into one segment (see Compact) and closes it.
func (s *Sink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.flush(context.Background())
	close(s.queue)
	<-s.done
	if err == nil {
		err = s.err
	}
	if err == nil && s.indexed > 0 {
		err = compact(s.idx)
	}
	if cerr := s.idx.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close index: %w", cerr)
	}
	if err == nil && s.indexed > 0 && Exists(s.idx.Name()) {
		err = removeMerged(s.idx.Name())
	}
	return err
}
