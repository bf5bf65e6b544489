package index_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/vocal-dev/vocal/index"
	"github.com/vocal-dev/vocal/pipeline"
)

// TestSinkCommit checks the Committer contract: a partial batch is handed
// over only once older than the commit interval (or with all), the durable
// count covers skipped records too, and what is durable is searchable.
func TestSinkCommit(t *testing.T) {
	recs := readOutput(t, filepath.Join("..", "testdata", "index", "zh_words", "docs.jsonl"))
	idx, err := index.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sink := newSink(t, idx, 100, index.WithCommitInterval(time.Hour))
	defer sink.Close()
	ctx := context.Background()
	write := func(r *pipeline.Record) {
		t.Helper()
		if err := sink.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	write(recs[0])
	write(&pipeline.Record{ID: "bad", Err: errors.New("rejected")})
	write(recs[1])
	if n, err := sink.Commit(ctx, false); err != nil || n != 0 {
		t.Fatalf("Commit(false) on a young batch = %d, %v; want 0", n, err)
	}
	if n, err := sink.Commit(ctx, true); err != nil || n != 3 {
		t.Fatalf("Commit(true) = %d, %v; want 3 (the rejected record included)", n, err)
	}
	if c, err := idx.DocCount(); err != nil || c != 2 {
		t.Fatalf("DocCount = %d, %v; want 2", c, err)
	}
	write(&pipeline.Record{ID: "bad2", Err: errors.New("rejected")})
	waitDurable(t, sink, 4) // a skipped record needs no batch

	write(recs[0]) // upsert: the same id again
	if n, err := sink.Commit(ctx, true); err != nil || n != 5 {
		t.Fatalf("Commit(true) = %d, %v; want 5", n, err)
	}
	if c, _ := idx.DocCount(); c != 2 {
		t.Errorf("DocCount after an upsert = %d, want 2", c)
	}
}

func TestSinkCommitsOldBatch(t *testing.T) {
	recs := readOutput(t, filepath.Join("..", "testdata", "index", "zh_words", "docs.jsonl"))
	idx, err := index.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sink := newSink(t, idx, 100, index.WithCommitInterval(time.Millisecond))
	defer sink.Close()
	ctx := context.Background()
	if err := sink.Write(ctx, recs[0]); err != nil {
		t.Fatal(err)
	}
	waitDurable(t, sink, 1)
}

// waitDurable polls Commit(false), as the runner does while idle, until want
// records are durable; it fails after 10 s.
func waitDurable(t *testing.T, sink *index.Sink, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := sink.Commit(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("durable %d, want %d", n, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLocked checks that a second opener fails with ErrLocked after the lock
// timeout instead of blocking forever, and that the index opens once free.
func TestLocked(t *testing.T) {
	dir := t.TempDir()
	w, err := index.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func() error{
		"writer": func() error { _, err := index.Open(dir, index.WithLockTimeout(50*time.Millisecond)); return err },
		"reader": func() error {
			_, err := index.OpenReadOnly(dir, index.WithLockTimeout(50*time.Millisecond))
			return err
		},
	} {
		if err := open(); !errors.Is(err, index.ErrLocked) {
			t.Errorf("%s while a writer holds the index: %v, want ErrLocked", name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := index.OpenReadOnly(dir)
	if err != nil {
		t.Fatalf("after the writer closed: %v", err)
	}
	r.Close()
}

// TestSinkLaterWriteWins writes many small batches whose ids repeat in the
// next batch, and batches that alone can run alongside: each id must end with
// its last version, and the count of documents must be the number of ids.
func TestSinkLaterWriteWins(t *testing.T) {
	base := readOutput(t, filepath.Join("..", "testdata", "index", "zh_words", "docs.jsonl"))[0]
	dir := t.TempDir()
	idx, err := index.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sink := newSink(t, idx, 7)
	const writes, distinct = 400, 30
	last := map[string]string{}
	for i := range writes {
		r := *base
		r.ID = fmt.Sprintf("r%02d", (i/2)%distinct) // in pairs: the same id often spans two batches
		if i%50 == 49 {
			r.ID = fmt.Sprintf("solo%03d", i)
		}
		r.Text = fmt.Sprintf("version%d", i)
		last[r.ID] = r.Text
		if err := sink.Write(context.Background(), &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	idx, err = index.OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 2*len(last), 0, false)
	req.Fields = []string{index.FieldText}
	res, err := idx.Search(req)
	if err != nil {
		t.Fatal(err)
	}
	if int(res.Total) != len(last) {
		t.Errorf("%d documents, want %d", res.Total, len(last))
	}
	for _, h := range res.Hits {
		if got := h.Fields[index.FieldText]; got != last[h.ID] {
			t.Errorf("%s has %v, want the last write %s", h.ID, got, last[h.ID])
		}
	}
}
