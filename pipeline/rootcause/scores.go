package rootcause

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/vocal-dev/vocal/pipeline"
)

// Scores is a scores table keyed by the join key: CSAT, NPS and CES per key,
// NaN where absent or invalid.
type Scores struct {
	Path    string // source file
	KeyName string // the join key: id or a passthrough field of the records
	Keys    []string
	Values  [][nScores]float64
	Stats   ScoreFileStats
}

// ScoreFileStats counts what a scores file held; nothing is dropped silently.
type ScoreFileStats struct {
	Rows          int64 `json:"rows"`
	MissingKey    int64 `json:"missing_key"`    // rows without a key (not used)
	DuplicateKeys int64 `json:"duplicate_keys"` // rows whose key came earlier (the later row wins)
	Invalid       int64 `json:"invalid_values"` // values not a number in the score's range (ignored)
}

// ReadScores reads a scores file (CSV with a header row, JSONL, or Parquet,
// by extension) holding the join key and any of the score fields. A
// structural fault (unreadable file, a line that is not a JSON object, a CSV
// row with the wrong column count, no key or score column) is an error naming
// the file and line; a value that is not a valid score is counted in
// Stats.Invalid and ignored.
func ReadScores(path string, cfg Config) (*Scores, error) {
	s := &Scores{Path: path, KeyName: cfg.JoinKey}
	var err error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		err = s.readCSV(path, cfg.Fields)
	case ".jsonl", ".ndjson", ".json":
		err = s.readJSONL(path, cfg.Fields)
	case ".parquet":
		err = s.readParquet(path, cfg.Fields)
	default:
		return nil, fmt.Errorf("scores %s: unknown format: want .csv, .jsonl or .parquet", path)
	}
	if err != nil {
		return nil, err
	}
	s.dedupe()
	return s, nil
}

// add appends one row; raw values are validated here.
func (s *Scores) add(key string, haveKey bool, vals [nScores]float64, present [nScores]bool) {
	s.Stats.Rows++
	if !haveKey || key == "" {
		s.Stats.MissingKey++
		return
	}
	for i := range nScores {
		if present[i] && !validScore(i, vals[i]) {
			s.Stats.Invalid++
			vals[i] = math.NaN()
		}
		if !present[i] {
			vals[i] = math.NaN()
		}
	}
	s.Keys = append(s.Keys, key)
	s.Values = append(s.Values, vals)
}

// dedupe keeps the last row of each key, in file order.
func (s *Scores) dedupe() {
	last := make(map[string]int, len(s.Keys))
	for i, k := range s.Keys {
		if _, dup := last[k]; dup {
			s.Stats.DuplicateKeys++
		}
		last[k] = i
	}
	if len(last) == len(s.Keys) {
		return
	}
	keys, vals := s.Keys[:0:0], s.Values[:0:0]
	for i, k := range s.Keys {
		if last[k] == i {
			keys = append(keys, k)
			vals = append(vals, s.Values[i])
		}
	}
	s.Keys, s.Values = keys, vals
}

func (s *Scores) readCSV(path string, f ScoreFields) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("scores: %w", err)
	}
	defer fh.Close()
	br := bufio.NewReader(fh)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("scores %s: header: %w", path, err)
	}
	keyCol := -1
	cols := [nScores]int{-1, -1, -1}
	names := f.names()
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == s.KeyName {
			keyCol = i
		}
		for j, n := range names {
			if h == n {
				cols[j] = i
			}
		}
	}
	if err := checkColumns(path, s.KeyName, keyCol >= 0, cols, names); err != nil {
		return err
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("scores %s: %w", path, err)
		}
		var vals [nScores]float64
		var present [nScores]bool
		for j, c := range cols {
			if c < 0 || strings.TrimSpace(rec[c]) == "" {
				continue
			}
			present[j] = true
			x, ok := parseNumber(rec[c])
			if !ok {
				x = math.NaN()
			}
			vals[j] = x
		}
		key := strings.TrimSpace(rec[keyCol])
		s.add(key, key != "", vals, present)
	}
}

func checkColumns(path, key string, haveKey bool, cols [nScores]int, names [nScores]string) error {
	if !haveKey {
		return fmt.Errorf("scores %s: no join key column %q", path, key)
	}
	if cols[0] < 0 && cols[1] < 0 && cols[2] < 0 {
		return fmt.Errorf("scores %s: no score column (want any of %s)", path, strings.Join(names[:], ", "))
	}
	return nil
}

func (s *Scores) readJSONL(path string, f ScoreFields) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("scores: %w", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	names := f.names()
	var seen [nScores]bool
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
		}
		if len(b) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return fmt.Errorf("scores %s:%d: not a JSON object: %w", path, line, err)
		}
		key, haveKey := jsonScalar(obj[s.KeyName])
		var vals [nScores]float64
		var present [nScores]bool
		for j, n := range names {
			v, ok := jsonScalar(obj[n])
			if !ok {
				continue
			}
			seen[j], present[j] = true, true
			x, ok := parseNumber(v)
			if !ok {
				x = math.NaN()
			}
			vals[j] = x
		}
		s.add(key, haveKey, vals, present)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("scores %s:%d: %w", path, line+1, err)
	}
	if s.Stats.Rows > 0 && !seen[0] && !seen[1] && !seen[2] {
		return fmt.Errorf("scores %s: no score field in any line (want any of %s)", path, strings.Join(names[:], ", "))
	}
	return nil
}

func (s *Scores) readParquet(path string, f ScoreFields) error {
	tbl, err := readParquetColumns(path, func(name string) bool {
		return name == s.KeyName || name == f.CSAT || name == f.NPS || name == f.CES
	})
	if err != nil {
		return fmt.Errorf("scores %s: %w", path, err)
	}
	defer tbl.Release()
	names := f.names()
	keyCol := fieldIndex(tbl.Schema(), s.KeyName)
	var cols [nScores]int
	for j, n := range names {
		cols[j] = fieldIndex(tbl.Schema(), n)
	}
	if err := checkColumns(path, s.KeyName, keyCol >= 0, cols, names); err != nil {
		return err
	}
	tr := array.NewTableReader(tbl, 8192)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		for i := range int(rec.NumRows()) {
			key, haveKey := cellString(rec.Column(keyCol), i)
			var vals [nScores]float64
			var present [nScores]bool
			for j, c := range cols {
				if c < 0 || rec.Column(c).IsNull(i) {
					continue
				}
				present[j] = true
				x, ok := cellNumber(rec.Column(c), i)
				if !ok {
					x = math.NaN()
				}
				vals[j] = x
			}
			s.add(key, haveKey, vals, present)
		}
	}
	return tr.Err()
}

func fieldIndex(sc *arrow.Schema, name string) int {
	if idx := sc.FieldIndices(name); len(idx) > 0 {
		return idx[0]
	}
	return -1
}

// readParquetColumns reads the top-level columns of a Parquet file that keep
// says to keep (every leaf of a nested one).
func readParquetColumns(path string, keep func(string) bool) (arrow.Table, error) {
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, err
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 8192}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	sc := rdr.MetaData().Schema
	var leaves []int
	for i := range sc.NumColumns() {
		if keep(topName(sc.Column(i).ColumnPath().String())) {
			leaves = append(leaves, i)
		}
	}
	if len(leaves) == 0 {
		return nil, errors.New("none of the wanted columns")
	}
	groups := make([]int, rdr.NumRowGroups())
	for i := range groups {
		groups[i] = i
	}
	return fr.ReadRowGroups(context.Background(), leaves, groups)
}

// topName is the top-level field of a dotted leaf path.
func topName(path string) string {
	if i := strings.IndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return path
}

// scoresSchema is the schema of the scores parts persisted in the dataset.
func scoresSchema(key string) *arrow.Schema {
	fields := []arrow.Field{{Name: key, Type: arrow.BinaryTypes.String}}
	for _, n := range scoreNames {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// ScoresDir is the dataset folder holding the scores of each run that had a
// scores file: scores/part-<run-id>.parquet, columns <join key>, csat, nps,
// ces. Later runs win for a key.
const ScoresDir = "scores"

// persist writes the scores as DIR/scores/part-<run-id>.parquet, atomically.
func (s *Scores) persist(dir, runID string) (string, error) {
	sc := scoresSchema(s.KeyName)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for i, k := range s.Keys {
		b.Field(0).(*array.StringBuilder).Append(k)
		for j := range nScores {
			appendFloat(b.Field(j+1).(*array.Float64Builder), s.Values[i][j])
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	if err := writeParquet(&buf, rec); err != nil {
		return "", err
	}
	path := filepath.Join(dir, ScoresDir, "part-"+runID+".parquet")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return path, pipeline.WriteFileAtomic(path, buf.Bytes())
}

// loadScoreParts reads every persisted scores part of a committed run or of
// the run runID, oldest run first.
func loadScoreParts(dir, runID string, f ScoreFields) ([]*Scores, error) {
	paths, err := filepath.Glob(filepath.Join(dir, ScoresDir, "part-*.parquet"))
	if err != nil {
		return nil, err
	}
	skip, err := pipeline.UncommittedRuns(dir, runID)
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []*Scores
	for _, p := range paths {
		if skip[pipeline.PartRunID(p)] {
			continue
		}
		rdr, err := file.OpenParquetFile(p, false)
		if err != nil {
			return nil, fmt.Errorf("scores %s: %w", p, err)
		}
		key := rdr.MetaData().Schema.Column(0).ColumnPath().String()
		rdr.Close()
		s := &Scores{Path: p, KeyName: key}
		if err := s.readParquet(p, ScoreFields{CSAT: "csat", NPS: "nps", CES: "ces"}); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func appendFloat(b *array.Float64Builder, x float64) {
	if math.IsNaN(x) {
		b.AppendNull()
	} else {
		b.Append(x)
	}
}

// writeParquet writes one record batch as a Snappy-compressed Parquet file.
func writeParquet(w io.Writer, rec arrow.RecordBatch) error {
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy))
	pw, err := pqarrow.NewFileWriter(rec.Schema(), w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	if err := pw.Write(rec); err != nil {
		pw.Close()
		return err
	}
	return pw.Close()
}
