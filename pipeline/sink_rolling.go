package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RollingConfig configures a RollingSink.
type RollingConfig struct {
	Dataset  DatasetConfig // Dataset.RunID prefixes the part ids
	MaxBytes int64         // start a new part after this many bytes of record text and fields; default 64 MiB
	MaxAge   time.Duration // start a new part this long after a part's first record; default 1m
	Source   string        // input name in each part's manifest
	Versions Versions      // written in each part's manifest
	Config   any           // written in each part's manifest
}

// RollingSink writes a stream into the dataset layout of DESIGN.md as a
// series of parts: each part is one DatasetSink run whose files (Arrow,
// Parquet, alerts and rejects lines) and manifest appear when the part is
// committed, complete and readable. A part is committed when it reaches
// MaxBytes or MaxAge, or when all is asked; the batch layout of `vocal run`
// is a single part. RollingSink is a Committer: a record is durable once its
// part is committed. Not safe for concurrent use.
type RollingSink struct {
	cfg       RollingConfig
	cur       *DatasetSink
	id        string
	started   time.Time
	bytes     int64
	counts    Counts
	seq       int
	written   int64
	committed int64
	now       func() time.Time
}

// NewRollingSink prepares the dataset directory; parts are opened on the
// first record after a commit.
func NewRollingSink(cfg RollingConfig) (*RollingSink, error) {
	if cfg.Dataset.Dir == "" || cfg.Dataset.RunID == "" {
		return nil, errors.New("rolling dataset: directory and run id are required")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 64 << 20
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = time.Minute
	}
	return &RollingSink{cfg: cfg, now: time.Now}, nil
}

// Write implements Sink.
func (s *RollingSink) Write(ctx context.Context, r *Record) error {
	if s.cur == nil {
		s.seq++
		s.id = fmt.Sprintf("%s-%06d", s.cfg.Dataset.RunID, s.seq)
		s.started = s.now().UTC()
		dc := s.cfg.Dataset
		dc.RunID, dc.RunTime = s.id, s.started
		cur, err := NewDatasetSink(dc)
		if err != nil {
			return err
		}
		s.cur, s.bytes, s.counts = cur, 0, Counts{}
	}
	if err := s.cur.Write(ctx, r); err != nil {
		return err
	}
	s.written++
	s.counts.Read++
	if r.Err != nil {
		s.counts.Rejected++
		s.bytes += int64(len(r.Raw))
		return nil
	}
	s.counts.Written++
	s.bytes += int64(len(r.Text))
	for _, f := range r.Fields {
		s.bytes += int64(len(f.Name) + len(f.Value))
	}
	return nil
}

// Commit implements Committer: it commits the current part when it is full
// or old enough, or when all is set.
func (s *RollingSink) Commit(_ context.Context, all bool) (int64, error) {
	if s.cur != nil && (all || s.bytes >= s.cfg.MaxBytes || s.now().Sub(s.started) >= s.cfg.MaxAge) {
		if err := s.commitPart(); err != nil {
			return s.committed, err
		}
	}
	return s.committed, nil
}

func (s *RollingSink) commitPart() error {
	cur := s.cur
	s.cur = nil
	if err := cur.Close(); err != nil {
		cur.Abort()
		return fmt.Errorf("commit part %s: %w", s.id, err)
	}
	finished := s.now().UTC()
	m := &Manifest{
		RunID: s.id, StartedAt: s.started, FinishedAt: finished, DurationMS: finished.Sub(s.started).Milliseconds(),
		Inputs: []*InputStat{{Path: s.cfg.Source, Format: "jsonl", Encoding: "utf-8", Read: s.counts.Read, Rejected: s.counts.Rejected}},
		Counts: s.counts, Alerts: cur.Alerts, Partitions: cur.Partitions(), Files: cur.Files(),
		Versions: s.cfg.Versions, Config: s.cfg.Config,
	}
	if err := WriteManifest(s.cfg.Dataset.Dir, m); err != nil {
		return fmt.Errorf("manifest of part %s: %w", s.id, err)
	}
	s.committed = s.written
	return nil
}

// Close commits the current part.
func (s *RollingSink) Close() error {
	if s.cur == nil {
		return nil
	}
	return s.commitPart()
}
