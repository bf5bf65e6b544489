package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// A run of `vocal run` on a dataset directory goes through these steps:
//
//  1. BeginRun locks the directory, rolls back what a run killed before its
//     commit left (see below), rolls the state forward to the last committed
//     manifest, and writes runs/<run-id>.pending.
//  2. The DatasetSink writes the record files under hidden temporary names,
//     then renames them into place and appends to alerts.jsonl and
//     rejects.jsonl (DatasetSink.Close); the aggregate tables follow.
//  3. Commit writes runs/<run-id>.json: the commit point. Then state.json,
//     manifest.json, and the marker is removed.
//
// A run whose marker has no manifest beside it is uncommitted: its record
// files are left out by RecordFiles (so by ReadRecords, the aggregate
// tables, the index rebuild) and removed by the next BeginRun, which also
// cuts alerts.jsonl and rejects.jsonl back to their size before that run.
// Its inputs are read again by the next run from the last committed
// position, so a record is never lost and is written once.

// StateFile is the name of the state file in a dataset directory.
const StateFile = "state.json"

// pendingExt marks a run in progress in the runs directory.
const pendingExt = ".pending"

// appendFiles are the dataset files runs append to.
var appendFiles = []string{"alerts.jsonl", "rejects.jsonl"}

// ErrDatasetLocked is returned by BeginRun while another process runs on the
// same dataset directory.
var ErrDatasetLocked = errors.New("another vocal run holds the dataset's lock")

// DatasetState is the state file of a dataset: for each input file read
// into it (by absolute path), where the last run that read it stopped. It
// is derived from the committed run manifests, whose inputs carry the same
// positions, and kept beside them so that a run need not read them all.
type DatasetState struct {
	Version   int                      `json:"version"`
	RunID     string                   `json:"run_id"` // the last committed run it includes
	UpdatedAt time.Time                `json:"updated_at"`
	Inputs    map[string]*FilePosition `json:"inputs"`
}

// ReadState reads the state file of dir; a missing file is an empty state.
func ReadState(dir string) (*DatasetState, error) {
	s := &DatasetState{Version: 1, Inputs: map[string]*FilePosition{}}
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, StateFile), err)
	}
	if s.Inputs == nil {
		s.Inputs = map[string]*FilePosition{}
	}
	return s, nil
}

// apply folds in the positions of a committed run.
func (s *DatasetState) apply(m *Manifest) {
	for _, in := range m.Inputs {
		if in.Position != nil {
			p := *in.Position
			s.Inputs[p.Path] = &p
		}
	}
	s.RunID = m.RunID
	if !m.FinishedAt.IsZero() {
		s.UpdatedAt = m.FinishedAt
	}
}

func (s *DatasetState) clone() *DatasetState {
	c := *s
	c.Inputs = maps.Clone(s.Inputs)
	return &c
}

// pendingRun is the content of runs/<run-id>.pending.
type pendingRun struct {
	RunID     string           `json:"run_id"`
	PID       int              `json:"pid"`
	StartedAt time.Time        `json:"started_at"`
	Appends   map[string]int64 `json:"appends"` // size of each append file before the run; -1 when missing
}

// DatasetRun is one run on a dataset directory, from BeginRun to Commit or
// Rollback; it holds the directory's lock meanwhile.
type DatasetRun struct {
	Dir, RunID string
	State      *DatasetState // the committed state when the run began
	RolledBack []string      // runs killed before their commit, undone by BeginRun
	// OnStep, when set, is called after each step of Commit ("manifest",
	// "state"); crash tests kill the process there.
	OnStep func(step string)
	unlock func() error
	marker string
	ended  bool
}

// BeginRun prepares the dataset dir (created when missing) for the run
// runID: it takes the lock (ErrDatasetLocked when another process holds
// it), undoes runs killed before their commit, brings the state file up to
// the last committed manifest and marks runID as in progress.
func BeginRun(dir, runID string, now time.Time) (*DatasetRun, error) {
	if err := os.MkdirAll(filepath.Join(dir, "runs"), 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	r := &DatasetRun{Dir: dir, RunID: runID, unlock: unlock, marker: filepath.Join(dir, "runs", runID+pendingExt)}
	if err := r.begin(now); err != nil {
		unlock()
		return nil, err
	}
	return r, nil
}

func (r *DatasetRun) begin(now time.Time) error {
	var err error
	if r.RolledBack, err = recoverRuns(r.Dir); err != nil {
		return fmt.Errorf("recover %s: %w", r.Dir, err)
	}
	if r.State, err = ReadState(r.Dir); err != nil {
		return err
	}
	if err := rollForward(r.Dir, r.State); err != nil {
		return fmt.Errorf("state of %s: %w", r.Dir, err)
	}
	p := pendingRun{RunID: r.RunID, PID: os.Getpid(), StartedAt: now, Appends: map[string]int64{}}
	for _, name := range appendFiles {
		p.Appends[name] = -1
		if st, err := os.Stat(filepath.Join(r.Dir, name)); err == nil {
			p.Appends[name] = st.Size()
		}
	}
	b, _ := json.Marshal(p)
	if err := WriteFileAtomic(r.marker, b); err != nil {
		return err
	}
	return syncDir(filepath.Join(r.Dir, "runs"))
}

// Commit makes the run's files part of the dataset: it writes the run's
// manifest (the commit point), the state with the manifest's input
// positions, and manifest.json. Call it once the sink is closed and the
// aggregate tables are written.
func (r *DatasetRun) Commit(m *Manifest) error {
	if r.ended {
		return errors.New("run already ended")
	}
	// The record files were renamed into place: make that durable before
	// the manifest points at them.
	dirs := map[string]bool{}
	for _, f := range m.Files {
		dirs[filepath.Dir(f)] = true
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := WriteFileAtomic(filepath.Join(r.Dir, "runs", m.RunID+".json"), b); err != nil {
		return err
	}
	if err := syncDir(filepath.Join(r.Dir, "runs")); err != nil {
		return err
	}
	r.ended = true
	r.step("manifest")
	st := r.State.clone()
	st.apply(m)
	if err := writeState(r.Dir, st); err != nil {
		return fmt.Errorf("state (the run is committed; the next run rebuilds it): %w", err)
	}
	r.step("state")
	if err := WriteFileAtomic(filepath.Join(r.Dir, "manifest.json"), b); err != nil {
		return err
	}
	if err := os.Remove(r.marker); err != nil {
		return err
	}
	return syncDir(r.Dir)
}

func (r *DatasetRun) step(name string) {
	if r.OnStep != nil {
		r.OnStep(name)
	}
}

// Rollback undoes an uncommitted run: it removes its record and scores
// files (temporary or renamed) and cuts the append files back.
func (r *DatasetRun) Rollback() error {
	if r.ended {
		return nil
	}
	r.ended = true
	return rollbackRun(r.Dir, r.RunID, r.marker)
}

// Close rolls back a run that was not committed and releases the lock.
func (r *DatasetRun) Close() error {
	return errors.Join(r.Rollback(), r.unlock())
}

func writeState(dir string, s *DatasetState) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, StateFile), append(b, '\n'))
}

// recoverRuns rolls back every run marked pending without a manifest and
// removes the markers of committed runs; it returns the runs rolled back.
func recoverRuns(dir string) ([]string, error) {
	// A run killed while writing its marker wrote nothing else.
	if tmps, err := filepath.Glob(filepath.Join(dir, "runs", ".*"+pendingExt+".tmp")); err == nil {
		for _, p := range tmps {
			os.Remove(p)
		}
	}
	markers, err := filepath.Glob(filepath.Join(dir, "runs", "*"+pendingExt))
	if err != nil {
		return nil, err
	}
	var rolled []string
	for _, mk := range markers {
		id := strings.TrimSuffix(filepath.Base(mk), pendingExt)
		if _, err := os.Stat(filepath.Join(dir, "runs", id+".json")); err == nil {
			if err := os.Remove(mk); err != nil {
				return rolled, err
			}
			continue
		}
		if err := rollbackRun(dir, id, mk); err != nil {
			return rolled, fmt.Errorf("run %s: %w", id, err)
		}
		rolled = append(rolled, id)
	}
	return rolled, nil
}

// rollbackRun removes what the uncommitted run id wrote and then its marker.
func rollbackRun(dir, id, marker string) error {
	var patterns []string
	for _, sub := range []string{filepath.Join("records", "*"), "scores"} {
		patterns = append(patterns,
			filepath.Join(dir, sub, "part-"+id+".*"),
			filepath.Join(dir, sub, ".part-"+id+".*.tmp"))
	}
	patterns = append(patterns, filepath.Join(dir, "runs", "."+id+".*.tmp"))
	dirs := map[string]bool{}
	for _, pat := range patterns {
		paths, err := filepath.Glob(pat)
		if err != nil {
			return err
		}
		for _, p := range paths {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			dirs[filepath.Dir(p)] = true
		}
	}
	var p pendingRun
	if b, err := os.ReadFile(marker); err == nil {
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("%s: %w", marker, err)
		}
	}
	for name, size := range p.Appends {
		path := filepath.Join(dir, name)
		st, err := os.Stat(path)
		switch {
		case err != nil:
		case size < 0:
			err = os.Remove(path)
		case st.Size() > size:
			err = os.Truncate(path, size)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for d := range dirs {
		if strings.HasPrefix(filepath.Base(d), "date=") {
			os.Remove(d) // only when empty: the run created it
		}
		if err := syncDir(filepath.Dir(d)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Remove(marker); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Join(dir, "runs"))
}

// committedRuns lists the run ids with a manifest in runs/, oldest first.
func committedRuns(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "runs", "*.json"))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(paths))
	for _, p := range paths {
		if b := filepath.Base(p); !strings.HasPrefix(b, ".") {
			ids = append(ids, strings.TrimSuffix(b, ".json"))
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// rollForward folds into st the manifests committed after st.RunID (a run
// killed between its manifest and its state file) and writes the state,
// and manifest.json when it lags behind the newest committed manifest.
func rollForward(dir string, st *DatasetState) error {
	ids, err := committedRuns(dir)
	if err != nil || len(ids) == 0 {
		return err
	}
	changed := false
	for _, id := range ids {
		if id <= st.RunID {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "runs", id+".json"))
		if err != nil {
			return err
		}
		var m Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("runs/%s.json: %w", id, err)
		}
		st.apply(&m)
		changed = true
	}
	if changed {
		if err := writeState(dir, st); err != nil {
			return err
		}
	}
	newest := ids[len(ids)-1]
	var cur struct {
		RunID string `json:"run_id"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil {
		json.Unmarshal(b, &cur)
	}
	if cur.RunID >= newest {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "runs", newest+".json"))
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, "manifest.json"), b)
}

// UncommittedRuns returns the ids of the runs of dir that are in progress
// or were killed before their commit (a runs/<id>.pending marker without
// runs/<id>.json), except the run except.
func UncommittedRuns(dir, except string) (map[string]bool, error) {
	markers, err := filepath.Glob(filepath.Join(dir, "runs", "*"+pendingExt))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, mk := range markers {
		id := strings.TrimSuffix(filepath.Base(mk), pendingExt)
		if id == except {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "runs", id+".json")); errors.Is(err, fs.ErrNotExist) {
			out[id] = true
		}
	}
	return out, nil
}

// PartRunID returns the run id in the name of a part file
// (part-<run-id>.parquet), or "".
func PartRunID(path string) string {
	b := filepath.Base(path)
	if !strings.HasPrefix(b, "part-") {
		return ""
	}
	return strings.TrimSuffix(strings.TrimPrefix(b, "part-"), filepath.Ext(b))
}
