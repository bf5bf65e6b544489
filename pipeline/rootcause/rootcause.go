package rootcause

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"time"
)

// Summary is what the run manifest records of the aggregates (its
// `aggregates` field): what was read, joined and written.
type Summary struct {
	Records       int64            `json:"records"`       // distinct record ids in the dataset
	RecordFiles   int              `json:"record_files"`  // Parquet record files read
	DuplicateIDs  int64            `json:"duplicate_ids"` // records replaced by a later one with the same id
	Window        string           `json:"window,omitempty"`
	InWindow      int64            `json:"in_window"`      // records the tables cover
	WithoutTime   int64            `json:"without_time"`   // of those, records without a time (not in trends)
	WithScore     map[string]int64 `json:"with_score"`     // of those, records with each score
	InvalidInline int64            `json:"invalid_inline"` // inline score values not a number in range (ignored)
	Scores        *JoinStats       `json:"scores,omitempty"`
	ScoreParts    int              `json:"score_parts"`          // persisted scores tables joined
	Unmatched     int64            `json:"unmatched_score_keys"` // keys of all score parts that no record has
	Rows          map[string]int   `json:"rows"`                 // rows per table
	Files         []string         `json:"files,omitempty"`
}

// Update runs at the end of `vocal run`: it persists this run's scores table
// (when scores is not nil) as DIR/scores/part-<run-id>.parquet, recomputes
// the tables over the whole dataset and writes them atomically. The summary
// counts the scores keys no record matched, both for this run's file and
// for every part.
func Update(ctx context.Context, dir, runID string, scores *Scores, cfg Config) (*Summary, error) {
	current := ""
	if scores != nil {
		p, err := scores.persist(dir, runID)
		if err != nil {
			return nil, fmt.Errorf("scores: %w", err)
		}
		current = p
	}
	t, sum, err := compute(ctx, dir, cfg, runID, current)
	if err != nil {
		return nil, err
	}
	if sum.Scores != nil {
		sum.Scores.File = scores.Path
	}
	if sum.Files, err = WriteTables(dir, t); err != nil {
		return sum, err
	}
	return sum, nil
}

// Compute reads the dataset in dir (records and persisted scores) and
// computes the tables without writing them.
func Compute(ctx context.Context, dir string, cfg Config) (*Tables, *Summary, error) {
	return compute(ctx, dir, cfg, "", "")
}

// compute reads the committed runs of the dataset and the run runID, in
// progress ("" for none).
func compute(ctx context.Context, dir string, cfg Config, runID, currentPart string) (*Tables, *Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	window, _ := ParseWindow(cfg.Window)
	parts, err := loadScoreParts(dir, runID, cfg.Fields)
	if err != nil {
		return nil, nil, err
	}
	keyNames := []string{cfg.JoinKey}
	for _, p := range parts {
		keyNames = append(keyNames, p.KeyName)
	}
	d := newDataset(cfg, keyNames)
	if err := d.load(ctx, dir, runID); err != nil {
		return nil, nil, err
	}
	sum := &Summary{Records: int64(len(d.rows)), RecordFiles: d.files, DuplicateIDs: d.dupIDs, Window: cfg.Window,
		InvalidInline: d.invalid, ScoreParts: len(parts), WithScore: map[string]int64{}, Rows: map[string]int{}}
	for _, p := range parts {
		js := d.applyScores(p)
		sum.Unmatched += js.Unmatched
		if currentPart != "" && filepath.Clean(p.Path) == filepath.Clean(currentPart) {
			sum.Scores = &js
		}
	}
	if window > 0 {
		d.applyWindow(window)
	}
	sum.InWindow = int64(len(d.rows))
	for i := range d.rows {
		r := &d.rows[i]
		if !r.hasT {
			sum.WithoutTime++
		}
		for s, x := range r.scores {
			if !math.IsNaN(x) {
				sum.WithScore[scoreNames[s]]++
			}
		}
	}
	t := &Tables{Dims: cfg.By, Drivers: d.drivers(), Trends: d.trends(), KeyDrivers: d.keyDrivers()}
	sum.Rows[DriversTable], sum.Rows[TrendsTable], sum.Rows[KeyDriversTable] = len(t.Drivers), len(t.Trends), len(t.KeyDrivers)
	return t, sum, nil
}

// applyWindow keeps the rows with a time no older than window before the
// latest one.
func (d *dataset) applyWindow(window time.Duration) {
	latest := int64(math.MinInt64)
	for i := range d.rows {
		if d.rows[i].hasT {
			latest = max(latest, d.rows[i].ms)
		}
	}
	kept := d.rows[:0]
	for _, r := range d.rows {
		if r.hasT && r.ms >= latest-window.Milliseconds() {
			kept = append(kept, r)
		}
	}
	d.rows = kept
}
