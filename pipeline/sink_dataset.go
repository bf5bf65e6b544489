package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/vocal-dev/vocal/lexicons"
)

// DatasetConfig configures the dataset sink of `vocal run`.
type DatasetConfig struct {
	Dir       string
	RunID     string
	TimeField string               // partition by the day of this field (default created_at)
	BatchRows int                  // rows per Arrow record batch and Parquet row group
	RunTime   time.Time            // partition day of records without a time
	Alert     func(r *Record) bool // records that go to alerts.jsonl; default risk >= medium
	Mem       memory.Allocator
}

// DatasetSink writes the dataset layout of DESIGN.md: record files under
// records/date=YYYY-MM-DD/ as Arrow IPC and Parquet, alerts.jsonl (the
// records DatasetConfig.Alert picks) and rejects.jsonl. Files are written under temporary names and
// renamed on Close, so a crash never leaves a file that looks complete; in
// vocal run, the run's manifest then commits them (see BeginRun), and the
// next run undoes a run killed before that.
type DatasetSink struct {
	cfg      DatasetConfig
	pending  []*Record
	schema   *arrow.Schema
	cols     []passColumn
	parts    map[string]*partition
	buffered int // rows appended to builders and not yet flushed, all partitions
	alerts   *spool
	rejects  *spool
	Alerts   int64
	files    []string
}

type partition struct {
	tb      *tableBuilder
	ipcFile *os.File
	pqFile  *os.File
	ipcW    *ipc.FileWriter
	pqW     *pqarrow.FileWriter
	final   [2]string // .arrow, .parquet
	rows    int64
}

// NewDatasetSink prepares dir for one run.
func NewDatasetSink(cfg DatasetConfig) (*DatasetSink, error) {
	if cfg.TimeField == "" {
		cfg.TimeField = "created_at"
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = 8192
	}
	if cfg.Mem == nil {
		cfg.Mem = memory.NewGoAllocator()
	}
	if cfg.Alert == nil {
		cfg.Alert = func(r *Record) bool {
			return lexicons.LevelRank(r.Out.Risk.Level) >= lexicons.LevelRank(lexicons.LevelMedium)
		}
	}
	if cfg.RunTime.IsZero() {
		cfg.RunTime = time.Now()
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "runs"), 0o755); err != nil {
		return nil, err
	}
	s := &DatasetSink{cfg: cfg, parts: map[string]*partition{}}
	var err error
	if s.alerts, err = newSpool(cfg.Dir, "alerts.jsonl", cfg.RunID); err != nil {
		return nil, err
	}
	if s.rejects, err = newSpool(cfg.Dir, "rejects.jsonl", cfg.RunID); err != nil {
		return nil, err
	}
	return s, nil
}

// Write implements Sink.
func (s *DatasetSink) Write(_ context.Context, r *Record) error {
	if r.Err != nil {
		return s.rejects.writeLine(MarshalReject(r))
	}
	if s.cfg.Alert(r) {
		b, err := MarshalRecord(r)
		if err != nil {
			return err
		}
		s.Alerts++
		if err := s.alerts.writeLine(b); err != nil {
			return err
		}
	}
	if s.schema == nil {
		s.pending = append(s.pending, r)
		if len(s.pending) < s.cfg.BatchRows {
			return nil
		}
		return s.startSchema()
	}
	return s.add(r)
}

func (s *DatasetSink) startSchema() error {
	s.schema, s.cols = inferSchema(s.pending)
	pending := s.pending
	s.pending = nil
	for _, r := range pending {
		if err := s.add(r); err != nil {
			return err
		}
	}
	return nil
}

// partitionDay is the day of the record's time field as written, or of the run.
func (s *DatasetSink) partitionDay(r *Record) string {
	var str string
	if v := r.Field(s.cfg.TimeField); v != nil && json.Unmarshal(v, &str) == nil {
		if t, ok := ParseTime(str); ok {
			return t.Format("2006-01-02")
		}
	}
	return s.cfg.RunTime.Format("2006-01-02")
}

func (s *DatasetSink) add(r *Record) error {
	day := s.partitionDay(r)
	p, ok := s.parts[day]
	if !ok {
		var err error
		if p, err = s.openPartition(day); err != nil {
			return err
		}
		s.parts[day] = p
	}
	p.tb.append(r)
	p.rows++
	s.buffered++
	if p.tb.rows >= s.cfg.BatchRows {
		s.buffered -= p.tb.rows
		return p.flush()
	}
	if s.buffered >= maxBufferedBatches*s.cfg.BatchRows {
		// Many partitions each holding part of a batch: flush the fullest,
		// so memory stays bounded however many days the input spans.
		var fullest *partition
		for _, q := range s.parts {
			if fullest == nil || q.tb.rows > fullest.tb.rows {
				fullest = q
			}
		}
		s.buffered -= fullest.tb.rows
		return fullest.flush()
	}
	return nil
}

// maxBufferedBatches bounds the rows held in builders across all partitions,
// in batches.
const maxBufferedBatches = 4

func (s *DatasetSink) openPartition(day string) (*partition, error) {
	dir := filepath.Join(s.cfg.Dir, "records", "date="+day)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	base := filepath.Join(dir, "part-"+s.cfg.RunID)
	p := &partition{tb: newTableBuilder(s.cfg.Mem, s.schema, s.cols), final: [2]string{base + ".arrow", base + ".parquet"}}
	var err error
	if p.ipcFile, err = os.Create(tempName(p.final[0])); err != nil {
		return nil, err
	}
	if p.pqFile, err = os.Create(tempName(p.final[1])); err != nil {
		return nil, err
	}
	if p.ipcW, err = ipc.NewFileWriter(p.ipcFile, ipc.WithSchema(s.schema), ipc.WithAllocator(s.cfg.Mem)); err != nil {
		return nil, err
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithAllocator(s.cfg.Mem))
	// The parquet writer closes a sink that is an io.Closer; hide Close so
	// that the partition syncs and closes the file itself.
	if p.pqW, err = pqarrow.NewFileWriter(s.schema, struct{ io.Writer }{p.pqFile}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(s.cfg.Mem))); err != nil {
		return nil, err
	}
	return p, nil
}

// tempName hides a file from readers' globs until it is complete.
func tempName(final string) string {
	return filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+".tmp")
}

func (p *partition) flush() error {
	rec := p.tb.flush()
	if rec == nil {
		return nil
	}
	defer rec.Release()
	if err := p.ipcW.Write(rec); err != nil {
		return fmt.Errorf("arrow write %s: %w", p.final[0], err)
	}
	if err := p.pqW.Write(rec); err != nil {
		return fmt.Errorf("parquet write %s: %w", p.final[1], err)
	}
	return nil
}

// close finishes both files, syncs and renames them into place.
func (p *partition) close() error {
	err := p.flush()
	p.tb.release()
	err = errors.Join(err, p.ipcW.Close(), p.pqW.Close())
	for _, f := range []*os.File{p.ipcFile, p.pqFile} {
		err = errors.Join(err, f.Sync(), f.Close())
	}
	if err != nil {
		return err
	}
	for _, final := range p.final {
		if err := os.Rename(tempName(final), final); err != nil {
			return err
		}
	}
	return nil
}

// Close flushes every partition and commits the files of this run. The
// manifest is written afterwards by WriteManifest.
func (s *DatasetSink) Close() error {
	if s.schema == nil && len(s.pending) > 0 {
		if err := s.startSchema(); err != nil {
			return err
		}
	}
	days := make([]string, 0, len(s.parts))
	for d := range s.parts {
		days = append(days, d)
	}
	sort.Strings(days)
	// Closing syncs every file: do it in parallel, a bounded number at a time.
	errs := make([]error, len(days))
	slots := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, d := range days {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			errs[i] = s.parts[d].close()
		}()
	}
	wg.Wait()
	for i, d := range days {
		if errs[i] == nil {
			s.files = append(s.files, s.parts[d].final[0], s.parts[d].final[1])
		}
	}
	return errors.Join(errors.Join(errs...), s.alerts.commit(), s.rejects.commit())
}

// Abort closes every file of a failed run and removes them, leaving the
// dataset as it was before the run.
func (s *DatasetSink) Abort() {
	for _, p := range s.parts {
		p.ipcFile.Close()
		p.pqFile.Close()
		p.tb.release()
		for _, final := range p.final {
			os.Remove(tempName(final))
		}
	}
	for _, sp := range []*spool{s.alerts, s.rejects} {
		sp.tmp.Close()
		os.Remove(sp.tmp.Name())
	}
}

// Files lists the record files committed by Close.
func (s *DatasetSink) Files() []string { return s.files }

// Partitions counts rows per partition day.
func (s *DatasetSink) Partitions() map[string]int64 {
	out := map[string]int64{}
	for d, p := range s.parts {
		out[d] = p.rows
	}
	return out
}

// spool collects one run's lines in a temporary file and appends them to the
// dataset's file on commit.
type spool struct {
	final string
	tmp   *os.File
	w     *bufio.Writer
}

func newSpool(dir, name, runID string) (*spool, error) {
	f, err := os.Create(filepath.Join(dir, "runs", "."+runID+"."+name+".tmp"))
	if err != nil {
		return nil, err
	}
	return &spool{final: filepath.Join(dir, name), tmp: f, w: bufio.NewWriter(f)}, nil
}

func (s *spool) writeLine(b []byte) error {
	s.w.Write(b)
	return s.w.WriteByte('\n')
}

func (s *spool) commit() error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	out, err := os.OpenFile(s.final, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, s.tmp)
	err = errors.Join(err, out.Sync(), out.Close(), s.tmp.Close())
	return errors.Join(err, os.Remove(s.tmp.Name()))
}
