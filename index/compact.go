package index

import (
	"context"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
)

// compact merges every segment of idx into one and waits until the merged
// segment is the persisted state. A batch of documents becomes a segment,
// and scorch keeps about ten segments per size tier; each search then repeats
// its term lookups and bitmap work per segment. Over 100,000 records in 15
// segments, one segment took the median of a faceted query from 6.3 to
// 3.4 ms. Merging 100,000 records takes about 2 s; at the end of a run it
// rewrites the whole index once.
func compact(idx bleve.Index) error {
	s, ok := scorchOf(idx)
	if !ok {
		return nil
	}
	opts := mergeplan.SingleSegmentMergePlanOptions
	opts.SegmentsPerMergeTask = 1 << 10 // all at once
	if err := s.ForceMerge(context.Background(), &opts); err != nil {
		return fmt.Errorf("compact index: %w", err)
	}
	// Scorch persists the merged snapshot in the background, and a Close
	// before that would drop it.
	return waitStats(s, "persist the merged index", func(st map[string]any) bool {
		return stat(st, "LastPersistedEpoch") >= stat(st, "CurRootEpoch")
	})
}

// removeMerged deletes the segment files a merge replaced. Scorch deletes
// them in the background once a writer has persisted the snapshot that
// replaced them and found nothing more to persist, which may come after
// Close; a fresh writer does that first thing.
func removeMerged(dir string) error {
	idx, err := Open(dir)
	if err != nil {
		return err
	}
	if s, ok := scorchOf(idx); ok {
		err = waitStats(s, "remove merged segments", func(st map[string]any) bool {
			return stat(st, "TotPersistLoopWait") > 0
		})
	}
	if cerr := idx.Close(); err == nil {
		err = cerr
	}
	return err
}

func scorchOf(idx bleve.Index) (*scorch.Scorch, bool) {
	adv, err := idx.Advanced()
	if err != nil {
		return nil, false
	}
	s, ok := adv.(*scorch.Scorch)
	return s, ok
}

// stat reads one counter of scorch's statistics, 0 when absent.
func stat(st map[string]any, name string) uint64 {
	v, _ := st[name].(uint64)
	return v
}

// waitStats polls the index statistics until done holds, for up to a minute.
func waitStats(s *scorch.Scorch, what string, done func(map[string]any) bool) error {
	deadline := time.Now().Add(time.Minute)
	for {
		if st := s.StatsMap(); st != nil && done(st) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("index: timed out waiting for scorch to %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
