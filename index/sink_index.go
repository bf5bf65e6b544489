package index

import (
	"context"
	"fmt"

	"github.com/blevesearch/bleve/v2"

	"github.com/vocal-dev/vocal/pipeline"
)

// DefaultBatchSize is the number of documents per index batch.
const DefaultBatchSize = 2000

// Sink upserts tagged records into an index by record id, in batches;
// rejected records are skipped. A batch is committed by one background
// goroutine while the next one fills, so tagging and indexing overlap; at
// most two batches are held in memory. Batches are committed in order, so a
// later record with the same id wins. Write and Close are called from one
// goroutine (pipeline.Sink); Close commits the last batch and closes the
// index, which makes everything durable.
type Sink struct {
	idx     bleve.Index
	size    int
	batch   *bleve.Batch
	queue   chan *bleve.Batch
	done    chan struct{}
	err     error // set by the committer before done is closed, or on a failed send
	failed  chan struct{}
	indexed int64
	closed  bool
}

// NewSink returns a sink writing to idx in batches of batchSize documents
// (DefaultBatchSize when batchSize <= 0). The sink owns idx: Close closes it.
func NewSink(idx bleve.Index, batchSize int) *Sink {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	s := &Sink{idx: idx, size: batchSize, batch: idx.NewBatch(), queue: make(chan *bleve.Batch),
		done: make(chan struct{}), failed: make(chan struct{})}
	go s.commit()
	return s
}

func (s *Sink) commit() {
	defer close(s.done)
	for b := range s.queue {
		if s.err != nil {
			continue // drain after a failure
		}
		if err := s.idx.Batch(b); err != nil {
			s.err = fmt.Errorf("index batch: %w", err)
			close(s.failed)
		}
	}
}

// Write adds r to the current batch and hands the batch to the committer
// when full. It returns the committer's error once a batch has failed.
func (s *Sink) Write(ctx context.Context, r *pipeline.Record) error {
	if r.Err != nil || r.Out == nil {
		return nil
	}
	if err := s.batch.Index(r.ID, Document(r)); err != nil {
		return fmt.Errorf("index record %q: %w", r.ID, err)
	}
	s.indexed++
	if s.batch.Size() >= s.size {
		return s.flush(ctx)
	}
	return nil
}

func (s *Sink) flush(ctx context.Context) error {
	if s.batch.Size() == 0 {
		return nil
	}
	select {
	case s.queue <- s.batch:
	case <-s.failed:
		<-s.done
		return s.err
	case <-ctx.Done():
		return ctx.Err()
	}
	s.batch = s.idx.NewBatch()
	return nil
}

// Indexed counts the records written to the sink and not skipped.
func (s *Sink) Indexed() int64 { return s.indexed }

// Close commits the last batch, waits for the committer and closes the index.
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
	if cerr := s.idx.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close index: %w", cerr)
	}
	return err
}
