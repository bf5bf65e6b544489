package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// SeenIndex is what a dataset already holds: its record ids, each with a
// hash of its text (the text of the latest run's row for the id), and the
// rejects in rejects.jsonl (by source, line and raw text). Ids and texts are
// kept as 64-bit hashes (16 bytes and a map slot an id): two ids sharing a
// hash can only make a record be written again, never skipped, unless
// their texts' hashes collide as well. Hashes are seeded per process, so an
// index is not saved. Not safe for concurrent use.
type SeenIndex struct {
	seed    maphash.Seed
	ids     map[uint64]uint64
	rejects map[uint64]bool
}

// NewSeenIndex returns an empty index.
func NewSeenIndex() *SeenIndex {
	return &SeenIndex{seed: maphash.MakeSeed(), ids: map[uint64]uint64{}, rejects: map[uint64]bool{}}
}

// LoadSeenIndex reads the id and text columns of the committed record files
// of the dataset dir (RecordFiles), oldest run first, and its rejects.jsonl.
func LoadSeenIndex(ctx context.Context, dir string) (*SeenIndex, error) {
	x := NewSeenIndex()
	paths, err := RecordFiles(dir)
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		if err := x.loadFile(ctx, p); err != nil {
			return nil, fmt.Errorf("records %s: %w", p, err)
		}
	}
	if err := x.loadRejects(filepath.Join(dir, "rejects.jsonl")); err != nil {
		return nil, err
	}
	return x, nil
}

// loadRejects reads the rejects already logged; a line that does not parse
// is ignored (its record is logged again if read again).
func (x *SeenIndex) loadRejects(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rl RejectLine
		if json.Unmarshal(sc.Bytes(), &rl) == nil {
			x.rejects[x.rejectKey(rl.Source, rl.Line, rl.Raw)] = true
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func (x *SeenIndex) rejectKey(source string, line int, raw string) uint64 {
	return x.hash(source + "\x00" + strconv.Itoa(line) + "\x00" + raw)
}

func (x *SeenIndex) loadFile(ctx context.Context, path string) error {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return err
	}
	defer pf.Close()
	sc := pf.MetaData().Schema
	idCol, textCol := sc.ColumnIndexByName("id"), sc.ColumnIndexByName("text")
	if idCol < 0 || textCol < 0 {
		return fmt.Errorf("no id or text column")
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 8192}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	rr, err := fr.GetRecordReader(ctx, []int{idCol, textCol}, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	id, text := rr.Schema().FieldIndices("id"), rr.Schema().FieldIndices("text")
	for rr.Next() {
		b := rr.RecordBatch()
		ids, ok1 := b.Column(id[0]).(*array.String)
		texts, ok2 := b.Column(text[0]).(*array.String)
		if !ok1 || !ok2 {
			return fmt.Errorf("id or text column is not a string column")
		}
		for i := range ids.Len() {
			if ids.IsNull(i) {
				continue
			}
			x.ids[x.hash(ids.Value(i))] = x.hash(texts.Value(i))
		}
	}
	return rr.Err()
}

func (x *SeenIndex) hash(s string) uint64 { return maphash.String(x.seed, s) }

// Len is the number of ids.
func (x *SeenIndex) Len() int { return len(x.ids) }

// Has reports whether the index holds id with this text.
func (x *SeenIndex) Has(id, text string) bool {
	h, ok := x.ids[x.hash(id)]
	return ok && h == x.hash(text)
}

// Put records id with text.
func (x *SeenIndex) Put(id, text string) { x.ids[x.hash(id)] = x.hash(text) }

// SkipUnchanged returns a skip function for WithSkip: it skips a record
// whose id the dataset index ix holds with the same text, a rejected record
// whose source, line and raw text are already in the rejects (textOf maps
// an input text to the text the dataset stores, e.g. redacted; nil for the
// text as read), and a record whose id and text an earlier record of the
// same run had. A record whose text changed passes: it is written again
// and the latest run's row wins. With ix nil only repeats within the run
// are skipped (vocal run --full).
func SkipUnchanged(ix *SeenIndex, textOf func(string) string) func(*Record) bool {
	run := NewSeenIndex()
	stored := func(s string) string {
		if textOf != nil {
			return textOf(s)
		}
		return s
	}
	return func(r *Record) bool {
		if r.Err != nil {
			return ix != nil && ix.rejects[ix.rejectKey(r.Source, r.Line, stored(r.Raw))]
		}
		if run.Has(r.ID, r.Text) {
			return true
		}
		_, seen := run.ids[run.hash(r.ID)]
		run.Put(r.ID, r.Text)
		if seen || ix == nil {
			return false // changed within the run, or nothing to compare with
		}
		if _, ok := ix.ids[ix.hash(r.ID)]; !ok {
			return false
		}
		return ix.Has(r.ID, stored(r.Text))
	}
}
