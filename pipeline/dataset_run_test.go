package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vocal-dev/vocal/lexicons"
)

// runStage says how far testRun goes.
type runStage int

const (
	killedBeforeClose runStage = iota // temporary files only
	killedAfterClose                  // files renamed, alerts and rejects appended, no manifest
	committed
)

// testRun writes records r<from>..r<to-1> (plus one reject) as run id into
// dir and stops at stage; a killed run leaves its lock released and nothing
// undone, as SIGKILL would.
func testRun(t *testing.T, dir, id string, from, to int, stage runStage) *DatasetRun {
	t.Helper()
	r, err := BeginRun(dir, id, datasetRunTime)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := NewDatasetSink(DatasetConfig{Dir: dir, RunID: id, BatchRows: 2, RunTime: datasetRunTime})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	var c Counts
	for i := from; i < to; i++ {
		rec := memRecord(t, i, fmt.Sprintf(`{"id":"r%d","text":"text %d","created_at":"2026-03-0%dT10:00:00Z"}`, i, i, 1+i%3))
		rec.Out = fakeAnalysis("negative", -0.5, lexicons.LevelHigh)
		if err := sink.Write(ctx, rec); err != nil {
			t.Fatal(err)
		}
		c.Read++
		c.Written++
	}
	if err := sink.Write(ctx, memRecord(t, to, `not json`)); err != nil {
		t.Fatal(err)
	}
	c.Read++
	c.Rejected++
	if stage == killedBeforeClose {
		r.unlock()
		return r
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if stage == killedAfterClose {
		r.unlock()
		return r
	}
	pos := &FilePosition{Path: "/in.jsonl", Format: "jsonl", Encoding: "utf-8", Size: int64(to), Offset: int64(to), Line: to}
	m := &Manifest{RunID: id, FinishedAt: datasetRunTime, Counts: c, Alerts: sink.Alerts, Partitions: sink.Partitions(), Files: sink.Files(),
		Inputs: []*InputStat{{Path: "/in.jsonl", Read: c.Read, Rejected: 1, Position: pos}}}
	if err := r.Commit(m); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return r
}

// datasetIDs reads the ids of the dataset's committed records, in order.
func datasetIDs(t *testing.T, dir string) []string {
	t.Helper()
	var ids []string
	if err := ReadRecords(testContext(t), dir, func(r *Record) error { ids = append(ids, r.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

func idRange(from, to int) []string {
	var ids []string
	for i := from; i < to; i++ {
		ids = append(ids, fmt.Sprintf("r%d", i))
	}
	slices.Sort(ids)
	return ids
}

func TestDatasetRunCommit(t *testing.T) {
	dir := t.TempDir()
	testRun(t, dir, "run1", 0, 5, committed)
	if got := listFiles(t, dir); slices.ContainsFunc(got, func(f string) bool {
		return strings.Contains(f, "/.") || strings.HasPrefix(f, ".") || strings.HasSuffix(f, pendingExt)
	}) {
		t.Errorf("temporary files or markers left: %v", got)
	}
	st, err := ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.RunID != "run1" || st.Inputs["/in.jsonl"] == nil || st.Inputs["/in.jsonl"].Line != 5 {
		t.Errorf("state %+v", st)
	}
	run, _ := os.ReadFile(filepath.Join(dir, "runs", "run1.json"))
	latest, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if len(run) == 0 || string(run) != string(latest) {
		t.Error("manifest.json is not runs/run1.json")
	}
	if got := datasetIDs(t, dir); !reflect.DeepEqual(got, idRange(0, 5)) {
		t.Errorf("ids %v", got)
	}
}

func TestDatasetRunRecoversKilledRuns(t *testing.T) {
	for name, stage := range map[string]runStage{"before close": killedBeforeClose, "after close": killedAfterClose} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			testRun(t, dir, "run1", 0, 5, committed)
			before := listFiles(t, dir)
			alerts, rejects := readLines(t, filepath.Join(dir, "alerts.jsonl")), readLines(t, filepath.Join(dir, "rejects.jsonl"))
			testRun(t, dir, "run2", 5, 9, stage)

			// Readers leave the killed run out before anyone cleans up.
			files, err := RecordFiles(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if PartRunID(f) != "run1" {
					t.Errorf("RecordFiles lists %s of the killed run", f)
				}
			}
			if got := datasetIDs(t, dir); !reflect.DeepEqual(got, idRange(0, 5)) {
				t.Errorf("ids read before recovery %v", got)
			}
			if stage == killedAfterClose {
				if n := len(readLines(t, filepath.Join(dir, "alerts.jsonl"))); n != len(alerts)+4 {
					t.Fatalf("%d alerts after the killed run, want it to have appended 4 to %d", n, len(alerts))
				}
			}

			// The next run undoes it.
			r, err := BeginRun(dir, "run3", datasetRunTime)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.RolledBack, []string{"run2"}) || r.State.RunID != "run1" {
				t.Errorf("rolled back %v, state of %s", r.RolledBack, r.State.RunID)
			}
			after := slices.DeleteFunc(listFiles(t, dir), func(f string) bool { return f == "runs/run3"+pendingExt })
			if !reflect.DeepEqual(after, before) {
				t.Errorf("files after recovery\n got %v\nwant %v", after, before)
			}
			if n := len(readLines(t, filepath.Join(dir, "alerts.jsonl"))); n != len(alerts) {
				t.Errorf("%d alerts after recovery, want %d", n, len(alerts))
			}
			if n := len(readLines(t, filepath.Join(dir, "rejects.jsonl"))); n != len(rejects) {
				t.Errorf("%d rejects after recovery, want %d", n, len(rejects))
			}
			r.Close()
			if _, err := os.Stat(filepath.Join(dir, "runs", "run3"+pendingExt)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Close without Commit left the marker: %v", err)
			}
			// Records of the killed run, written again by a later run, appear once.
			testRun(t, dir, "run4", 5, 9, committed)
			if got := datasetIDs(t, dir); !reflect.DeepEqual(got, idRange(0, 9)) {
				t.Errorf("ids %v", got)
			}
		})
	}
}

func TestDatasetRunRollsForward(t *testing.T) {
	dir := t.TempDir()
	testRun(t, dir, "run1", 0, 5, committed)
	// run2 was killed right after its manifest: the state and manifest.json
	// still describe run1.
	state, _ := os.ReadFile(filepath.Join(dir, StateFile))
	latest, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	testRun(t, dir, "run2", 5, 9, committed)
	if err := os.WriteFile(filepath.Join(dir, StateFile), state, 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "manifest.json"), latest, 0o644)
	os.WriteFile(filepath.Join(dir, "runs", "run2"+pendingExt), []byte(`{"run_id":"run2"}`), 0o644)

	r, err := BeginRun(dir, "run3", datasetRunTime)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(r.RolledBack) != 0 || r.State.RunID != "run2" || r.State.Inputs["/in.jsonl"].Line != 9 {
		t.Errorf("rolled back %v, state %+v", r.RolledBack, r.State)
	}
	var m Manifest
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if json.Unmarshal(b, &m); m.RunID != "run2" {
		t.Errorf("manifest.json of %s, want run2", m.RunID)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "run2"+pendingExt)); !errors.Is(err, os.ErrNotExist) {
		t.Error("the committed run's marker was kept")
	}
}

func TestDatasetRunLock(t *testing.T) {
	dir := t.TempDir()
	r, err := BeginRun(dir, "run1", datasetRunTime)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := BeginRun(dir, "run2", datasetRunTime); !errors.Is(err, ErrDatasetLocked) {
		t.Errorf("second BeginRun: %v, want ErrDatasetLocked", err)
	}
	// The second attempt must not have touched the first run's marker.
	if _, err := os.Stat(filepath.Join(dir, "runs", "run1"+pendingExt)); err != nil {
		t.Error(err)
	}
	r.Close()
	r2, err := BeginRun(dir, "run2", datasetRunTime)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	r2.Close()
}

func TestLoadSeenIndex(t *testing.T) {
	dir := t.TempDir()
	testRun(t, dir, "run1", 0, 5, committed)
	testRun(t, dir, "run2", 5, 7, killedAfterClose) // not committed: not in the index
	r, err := BeginRun(dir, "run3", datasetRunTime)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ix, err := LoadSeenIndex(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 5 || !ix.Has("r3", "text 3") || ix.Has("r3", "text 4") || ix.Has("r5", "text 5") {
		t.Errorf("index of %d ids", ix.Len())
	}
	// run1's reject (line 5) is logged; run2's (line 7) was undone.
	skip := SkipUnchanged(ix, nil)
	for line, want := range map[int]bool{5: true, 7: false} {
		r := &Record{Source: "mem.jsonl", Line: line, Raw: "not json", Err: errors.New("not JSON")}
		if got := skip(r); got != want {
			t.Errorf("reject at line %d: skip = %v, want %v", line, got, want)
		}
	}
}

// BenchmarkLoadSeenIndex measures reading the id and text columns of a
// dataset of 50,000 records in 10 runs (vocal run's cost of skipping
// unchanged records).
func BenchmarkLoadSeenIndex(b *testing.B) {
	dir := b.TempDir()
	ctx := context.Background()
	for run := range 10 {
		sink, err := NewDatasetSink(DatasetConfig{Dir: dir, RunID: fmt.Sprintf("run%02d", run), RunTime: datasetRunTime})
		if err != nil {
			b.Fatal(err)
		}
		for i := range 5000 {
			n := run*5000 + i
			rec := memRecord(b, n, fmt.Sprintf(`{"id":"syn-%d","text":"物流很快，但是客服态度太差了，第%d条反馈 the courier was late again","created_at":"2026-0%d-1%dT10:00:00Z"}`, n, n, 1+n%9, n%10))
			rec.Out = fakeAnalysis("negative", -0.5, lexicons.LevelNone)
			if err := sink.Write(ctx, rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := sink.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		ix, err := LoadSeenIndex(ctx, dir)
		if err != nil || ix.Len() != 50000 {
			b.Fatalf("%v, %d ids", err, ix.Len())
		}
	}
	b.ReportMetric(float64(50000*b.N)/time.Since(start).Seconds(), "ids/s")
}
