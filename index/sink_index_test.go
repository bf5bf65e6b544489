package index_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

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
