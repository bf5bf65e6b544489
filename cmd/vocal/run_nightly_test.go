package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vocal-dev/vocal/pipeline"
)

var (
	genOnce sync.Once
	genBin  string
	genErr  error
)

// genLines returns the first n lines of cmd/vocal-gen's output for seed 1
// (built on first use beside the vocal binary): feedback records with
// unique ids, created_at over 90 days, passthrough fields.
func genLines(t *testing.T, n int) []string {
	t.Helper()
	genOnce.Do(func() {
		genBin = filepath.Join(filepath.Dir(vocalBin), "vocal-gen")
		if out, err := exec.Command("go", "build", "-o", genBin, "../vocal-gen").CombinedOutput(); err != nil {
			genErr = fmt.Errorf("go build vocal-gen: %v\n%s", err, out)
		}
	})
	if genErr != nil {
		t.Fatal(genErr)
	}
	out, err := exec.Command(genBin, "-mb", strconv.Itoa(n/4000+1), "-seed", "1").Output()
	if err != nil {
		t.Fatalf("vocal-gen: %v", err)
	}
	lines := lines(string(out))
	if len(lines) < n {
		t.Fatalf("vocal-gen wrote %d lines, want %d", len(lines), n)
	}
	return lines[:n]
}

func appendLines(t *testing.T, path string, ls []string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) > 0 {
		f.WriteString(strings.Join(ls, "\n") + "\n")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// recordFiles maps the record files of the dataset (relative paths) to
// their content.
func recordFiles(t *testing.T, out string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, f := range listFiles(t, out) {
		if strings.HasPrefix(f, "records/") {
			b, err := os.ReadFile(filepath.Join(out, f))
			if err != nil {
				t.Fatal(err)
			}
			files[f] = string(b)
		}
	}
	return files
}

// datasetTexts reads the dataset's records: the text of each id (the last
// row of an id wins) and how many rows each id has.
func datasetTexts(t *testing.T, out string) (texts map[string]string, rows map[string]int) {
	t.Helper()
	texts, rows = map[string]string{}, map[string]int{}
	err := pipeline.ReadRecords(context.Background(), out, func(r *pipeline.Record) error {
		texts[r.ID] = r.Text
		rows[r.ID]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return texts, rows
}

func TestRunIncremental(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "ds")
	all := genLines(t, 600)
	run := func(args ...string) pipeline.Manifest {
		t.Helper()
		r := vocal(t, "", append([]string{"run", "--input", in, "--out", out, "--workers", "2"}, args...)...)
		if r.code != 0 {
			t.Fatalf("run %v: exit %d: %s", args, r.code, r.stderr)
		}
		return readManifest(t, filepath.Join(out, "manifest.json"))
	}

	appendLines(t, in, all[:400])
	m := run()
	if m.Counts.Read != 400 || m.Inputs[0].Position.Mode != pipeline.ModeNew {
		t.Fatalf("first run: counts %+v, inputs %+v", m.Counts, m.Inputs[0])
	}
	files := recordFiles(t, out)

	// The same input again: nothing read, the record files untouched.
	m = run()
	if m.Counts != (pipeline.Counts{}) || m.Incremental.Unchanged != 0 || m.Inputs[0].Position.Mode != pipeline.ModeUnchanged || m.Incremental.DatasetIDs != 400 {
		t.Errorf("second run: counts %+v, incremental %+v, input %+v", m.Counts, m.Incremental, m.Inputs[0].Position)
	}
	if got := recordFiles(t, out); !reflect.DeepEqual(got, files) {
		t.Error("a run over the same input changed the record files")
	}

	// A grown input: only the new records, numbered on.
	appendLines(t, in, all[400:])
	m = run()
	p := m.Inputs[0].Position
	if m.Counts.Read != 200 || p.Mode != pipeline.ModeResumed || p.FromLine != 400 || p.Line != 600 {
		t.Errorf("grown input: counts %+v, position %+v", m.Counts, p)
	}
	after := recordFiles(t, out)
	for f, b := range files {
		if after[f] != b {
			t.Errorf("%s changed", f)
		}
	}
	for f := range after {
		if _, old := files[f]; !old && pipeline.PartRunID(f) != m.RunID {
			t.Errorf("%s is new but not of run %s", f, m.RunID)
		}
	}
	texts, rows := datasetTexts(t, out)
	if len(texts) != 600 {
		t.Errorf("%d ids in the dataset, want 600", len(texts))
	}
	for id, n := range rows {
		if n != 1 {
			t.Errorf("id %s has %d rows", id, n)
		}
	}

	// An id seen again with changed text replaces the old tags (the latest
	// run wins); seen again with the same text it is skipped.
	var changed, same map[string]any
	json.Unmarshal([]byte(all[10]), &changed)
	json.Unmarshal([]byte(all[11]), &same)
	changed["text"] = "物流太慢了，等了两个星期，客服也不回复"
	b, _ := json.Marshal(changed)
	appendLines(t, in, []string{string(b), all[11]})
	m = run()
	if m.Counts.Read != 1 || m.Incremental.Unchanged != 1 {
		t.Errorf("changed and repeated: counts %+v, unchanged %d", m.Counts, m.Incremental.Unchanged)
	}
	texts, rows = datasetTexts(t, out)
	id := changed["id"].(string)
	if texts[id] != changed["text"] || rows[id] != 2 || rows[same["id"].(string)] != 1 || len(texts) != 600 {
		t.Errorf("id %s: text %q in %d rows; %d ids", id, texts[id], rows[id], len(texts))
	}

	// A replaced file (same records, other order) is read from the start;
	// every record is already in the dataset.
	rev := append([]string(nil), all...)
	sort.Sort(sort.Reverse(sort.StringSlice(rev)))
	if err := os.WriteFile(in, []byte(strings.Join(rev, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m = run()
	if m.Counts.Read != 1 || m.Incremental.Unchanged != 599 || m.Inputs[0].Position.Mode != pipeline.ModeChanged {
		// The record changed above is read with its first text again: a change.
		t.Errorf("replaced file: counts %+v, unchanged %d, mode %s", m.Counts, m.Incremental.Unchanged, m.Inputs[0].Position.Mode)
	}

	// --full reads and writes everything again.
	m = run("--full")
	if m.Counts.Read != 600 || m.Counts.Written != 600 || m.Inputs[0].Position.Mode != pipeline.ModeFull || !m.Incremental.Full {
		t.Errorf("--full: counts %+v, incremental %+v", m.Counts, m.Incremental)
	}

	// stdin cannot be read on by offset, but records already in the dataset
	// are skipped.
	r := vocal(t, strings.Join(all[:50], "\n")+"\n", "run", "--input", "-", "--out", out)
	m = readManifest(t, filepath.Join(out, "manifest.json"))
	if r.code != 0 || m.Counts.Read != 0 || m.Incremental.Unchanged != 50 || m.Inputs[0].Position != nil {
		t.Errorf("stdin: exit %d, counts %+v, incremental %+v: %s", r.code, m.Counts, m.Incremental, r.stderr)
	}
	st, err := pipeline.ReadState(out)
	if err != nil || st.RunID != m.RunID || len(st.Inputs) != 1 {
		t.Errorf("state %+v, %v", st, err)
	}
}

func TestRunMaxRejectRate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "ds")
	good := genLines(t, 7)
	appendLines(t, in, append(good, "not json", `{"id":"x"}`, `{"text":1}`))
	r := vocal(t, "", "run", "--input", in, "--out", out, "--max-reject-rate", "0.2")
	last := lines(r.stderr)[len(lines(r.stderr))-1]
	want := fmt.Sprintf("vocal: rejected 30.0%% of 10 records (> 20%%, --max-reject-rate); see %s", filepath.Join(out, "rejects.jsonl"))
	if r.code != 1 || last != want {
		t.Errorf("exit %d, last line %q; want exit 1 and %q", r.code, last, want)
	}
	// The run is committed all the same: nothing is lost.
	m := readManifest(t, filepath.Join(out, "manifest.json"))
	if m.Counts != (pipeline.Counts{Read: 10, Written: 7, Rejected: 3}) || countLines(t, filepath.Join(out, "rejects.jsonl")) != 3 {
		t.Errorf("manifest counts %+v", m.Counts)
	}
	if r := vocal(t, "", "run", "--input", in, "--out", out, "--max-reject-rate", "0.2", "--progress", "none"); r.code != 0 || strings.Contains(r.stderr, "msg=") {
		t.Errorf("a run with nothing new, --progress none: exit %d: %s", r.code, r.stderr)
	}
	for _, bad := range [][]string{{"--max-reject-rate", "1.5"}, {"--progress", "fancy"}, {"--progress-every", "0s"}} {
		if r := vocal(t, "", append([]string{"run", "--input", in, "--out", out}, bad...)...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, r.code)
		}
	}
}

func TestRunProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	appendLines(t, in, genLines(t, 3000))
	r := vocal(t, "", "run", "--input", in, "--out", filepath.Join(dir, "log"), "--progress-every", "20ms", "--workers", "1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// Not a terminal: log lines, with the total and the rate.
	for _, want := range []string{"msg=reading bytes=", "msg=progress read=", "records_per_second=", "mb_total=", "msg=committing", "msg=tables"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	r = vocal(t, "", "run", "--input", in, "--out", filepath.Join(dir, "bar"), "--progress", "bar", "--workers", "1")
	if r.code != 0 || !strings.Contains(r.stderr, "records") || strings.Contains(r.stderr, "msg=progress") {
		t.Errorf("--progress bar: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestCheckRun(t *testing.T) {
	o := nightlyOptions{maxRejectRate: 0.05}
	manifest := func(read, written, rejected, inRead, rows int64) *pipeline.Manifest {
		return &pipeline.Manifest{RunID: "r", Counts: pipeline.Counts{Read: read, Written: written, Rejected: rejected},
			Inputs: []*pipeline.InputStat{{Read: inRead, Rejected: rejected}}, Partitions: map[string]int64{"2026-11-25": rows}}
	}
	tests := []struct {
		name string
		m    *pipeline.Manifest
		want string // "" for no error
	}{
		{"nothing read", manifest(0, 0, 0, 0, 0), ""},
		{"at the limit", manifest(100, 95, 5, 100, 95), ""},
		{"above", manifest(1000, 939, 61, 1000, 939), "vocal run: rejected 6.1% of 1000 records (> 5%, --max-reject-rate); see out/rejects.jsonl"},
		{"tiny share", manifest(100000, 99993, 7, 100000, 99993), ""},
		{"a record unaccounted for", manifest(10, 8, 1, 10, 8), "counts do not reconcile"},
		{"rows lost", manifest(10, 9, 1, 10, 8), "records may be lost"},
		{"inputs disagree", manifest(10, 9, 1, 11, 9), "inputs read 11"},
	}
	for _, tt := range tests {
		err := o.checkRun("out", tt.m)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains("vocal run: "+err.Error(), tt.want)):
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	strict := nightlyOptions{maxRejectRate: 0.00001}
	if err := strict.checkRun("out", manifest(100000, 99993, 7, 100000, 99993)); err == nil || !strings.HasPrefix(err.Error(), "rejected 0.007% of 100000 records (> 0.001%") {
		t.Errorf("small shares: %v", err)
	}
}

// killRecords is the size of the crash test's input: 50,000 records, 6,000
// under the race detector (the package's other tests run beside it on the
// same cores), 4,000 with -short; VOCAL_KILL_RECORDS sets it.
func killRecords(t *testing.T) int {
	if s := os.Getenv("VOCAL_KILL_RECORDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 {
			t.Fatalf("VOCAL_KILL_RECORDS=%q: want a number of at least 100", s)
		}
		return n
	}
	switch {
	case testing.Short():
		return 4000
	case raceEnabled:
		return 6000
	}
	return 50000
}

// killInput is the crash test's input: vocal-gen lines with one line in 997
// malformed, so that rejects are checked too.
func killInput(t *testing.T, n int) []string {
	ls := genLines(t, n)
	for i := 500; i < n; i += 997 {
		ls[i] = fmt.Sprintf(`{"id":"bad-%d","text":`, i)
	}
	return ls
}

// checkDataset checks the invariants of a dataset written from input (the
// lines of the one input file in) by runs that may have been killed, after
// a run that completed: every record of the input is in the record files
// exactly once with its text, each reject once in rejects.jsonl, each alert
// once in alerts.jsonl; no temporary file or marker is left; every record
// file has its twin and belongs to a committed run; manifests parse and
// reconcile; the state points at the end of the input.
func checkDataset(t *testing.T, out, in string, input []string) {
	t.Helper()
	want := map[string]string{}
	bad := 0
	for _, l := range input {
		var r struct{ ID, Text string }
		if json.Unmarshal([]byte(l), &r) != nil {
			bad++
			continue
		}
		want[r.ID] = r.Text
	}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") || strings.HasSuffix(d.Name(), ".pending") {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	parquet, _ := filepath.Glob(filepath.Join(out, "records", "*", "part-*.parquet"))
	arrow, _ := filepath.Glob(filepath.Join(out, "records", "*", "part-*.arrow"))
	committed, err := pipeline.RecordFiles(out)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(parquet)
	sort.Strings(committed)
	if !reflect.DeepEqual(parquet, committed) {
		t.Errorf("visible record files %d, of committed runs %d", len(parquet), len(committed))
	}
	if len(arrow) != len(parquet) {
		t.Errorf("%d Arrow files for %d Parquet files", len(arrow), len(parquet))
	}
	for _, p := range parquet {
		if _, err := os.Stat(strings.TrimSuffix(p, ".parquet") + ".arrow"); err != nil {
			t.Errorf("no Arrow twin: %v", err)
		}
	}

	texts, rows := datasetTexts(t, out)
	missing, twice, wrong := 0, 0, 0
	for id, text := range want {
		switch n := rows[id]; {
		case n == 0:
			missing++
		case n > 1:
			twice++
		case texts[id] != text:
			wrong++
		}
	}
	if missing+twice+wrong > 0 || len(rows) != len(want) {
		t.Errorf("of %d input records: %d missing, %d twice, %d with another text; %d ids in the dataset", len(want), missing, twice, wrong, len(rows))
	}

	runs, _ := filepath.Glob(filepath.Join(out, "runs", "*.json"))
	sort.Strings(runs)
	var written, rejected, alerts int64
	for _, p := range runs {
		m := readManifest(t, p)
		var partRows int64
		for _, n := range m.Partitions {
			partRows += n
		}
		if c := m.Counts; c.Read != c.Written+c.Rejected || partRows != c.Written {
			t.Errorf("%s: counts %+v, %d partition rows", filepath.Base(p), c, partRows)
		}
		written += m.Counts.Written
		rejected += m.Counts.Rejected
		alerts += m.Alerts
	}
	if written != int64(len(want)) || rejected != int64(bad) {
		t.Errorf("manifests count %d written, %d rejected; the input has %d records, %d bad lines", written, rejected, len(want), bad)
	}
	if n := countLines(t, filepath.Join(out, "rejects.jsonl")); n != bad {
		t.Errorf("%d lines in rejects.jsonl, want %d", n, bad)
	}
	if n := countLines(t, filepath.Join(out, "alerts.jsonl")); int64(n) != alerts {
		t.Errorf("%d lines in alerts.jsonl, manifests count %d", n, alerts)
	}
	if len(runs) > 0 {
		latest, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
		newest, _ := os.ReadFile(runs[len(runs)-1])
		if !bytes.Equal(latest, newest) {
			t.Error("manifest.json is not the newest run's manifest")
		}
	}
	st, err := pipeline.ReadState(out)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(in)
	fi, _ := os.Stat(in)
	if p := st.Inputs[abs]; p == nil || p.Size != fi.Size() || p.Offset != fi.Size() || p.Line != len(input) {
		t.Errorf("state of %s: %+v, want the end of its %d bytes, %d lines", in, p, fi.Size(), len(input))
	}
}

// killTrigger says when killed kills the run.
type killTrigger struct {
	step  string        // VOCAL_TEST_KILL_AT: the run kills itself after this step
	phase string        // else after this progress phase appears on stderr ("" from the start)
	read  int64         // and, for phase "progress", once this many records are read
	delay time.Duration // then after this delay
}

func (k killTrigger) String() string {
	switch {
	case k.step != "":
		return "after step " + k.step
	case k.phase == "progress":
		return fmt.Sprintf("after %d records read", k.read)
	case k.phase != "":
		return fmt.Sprintf("%v into %s", k.delay.Round(time.Millisecond), k.phase)
	}
	return fmt.Sprintf("%v after the start", k.delay.Round(time.Millisecond))
}

var (
	phaseRE = regexp.MustCompile(`msg=("[^"]*"|\S+)`)
	readRE  = regexp.MustCompile(` read=(\d+) `)
)

// killed runs vocal with args (and --progress log) and kills it with
// SIGKILL when k says. It returns the stderr, the phase the run was in
// when killed, and whether it completed first.
func killed(t *testing.T, k killTrigger, args ...string) (stderr, phase string, completed bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, vocalBin, args...)
	if k.step != "" {
		cmd.Env = append(os.Environ(), "VOCAL_TEST_KILL_AT="+k.step)
	}
	pr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var errb strings.Builder
	phase = "start-up"
	trigger := make(chan struct{})
	fire := sync.OnceFunc(func() { close(trigger) })
	if k.step == "" && k.phase == "" {
		fire()
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			errb.WriteString(line + "\n")
			if m := phaseRE.FindStringSubmatch(line); m != nil {
				phase = strings.Trim(m[1], `"`)
			}
			if strings.HasPrefix(line, "vocal run 2") {
				phase = "completed"
			}
			mu.Unlock()
			if k.phase != "" && (strings.Contains(line, "msg="+k.phase) || strings.Contains(line, `msg="`+k.phase)) {
				if m := readRE.FindStringSubmatch(line); k.phase != "progress" || (m != nil && atoi(m[1]) >= k.read) {
					fire()
				}
			}
		}
	}()
	done := make(chan error, 1)
	go func() { <-scanned; done <- cmd.Wait() }()
	if k.step == "" {
		select {
		case err = <-done:
		case <-trigger:
			select {
			case err = <-done:
			case <-time.After(k.delay):
				cmd.Process.Kill()
				err = <-done
			}
		}
	} else {
		err = <-done
	}
	if ctx.Err() != nil {
		t.Fatalf("vocal %v did not finish within %s", args, cmdTimeout)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return errb.String(), phase, err == nil
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// checkReaders checks what readers see of a dataset whose last run may
// have been killed: the record files of committed runs only, holding the
// ids of want exactly once.
func checkReaders(t *testing.T, out string, want int) {
	t.Helper()
	_, rows := datasetTexts(t, out)
	twice := 0
	for _, n := range rows {
		if n != 1 {
			twice++
		}
	}
	if len(rows) != want || twice > 0 {
		t.Errorf("readers see %d ids (%d more than once), want the %d committed", len(rows), twice, want)
	}
}

// TestRunKilled kills vocal run (SIGKILL) after each step of its commit,
// over small increments of a nightly input, then at random moments (while
// reading and tagging, committing, computing the tables, loading ids) of a
// run over the rest of the input, most of it, several times in a row; after
// each kill readers see only committed runs, and after a run that completes
// checkDataset's invariants hold.
func TestRunKilled(t *testing.T) {
	t.Parallel()
	n := killRecords(t)
	input := killInput(t, n)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "feedback.jsonl"), filepath.Join(dir, "ds")
	args := []string{"run", "--input", in, "--out", out, "--workers", "2", "--progress", "log", "--progress-every", "100ms", "--by", "region"}
	rerun := func(what string) pipeline.Manifest {
		t.Helper()
		r := vocal(t, "", args...)
		if r.code != 0 {
			t.Fatalf("%s: re-run: exit %d: %s", what, r.code, r.stderr)
		}
		return readManifest(t, filepath.Join(out, "manifest.json"))
	}
	valid := func(lines []string) int {
		n := 0
		for _, l := range lines {
			if json.Valid([]byte(l)) {
				n++
			}
		}
		return n
	}

	// Each step of the commit, on an increment of n/50 records: each run
	// undoes or completes the one killed before it, and is killed in turn.
	small := n / 50
	to, committedTo := 0, 0
	undo := false // the last run was killed before its commit
	for _, step := range []string{"tagged", "closed", "tables", "manifest", "state"} {
		from := to
		to += small
		appendLines(t, in, input[from:to])
		stderr, phase, completed := killed(t, killTrigger{step: step}, args...)
		if completed {
			t.Fatalf("%s: the run was not killed", step)
		}
		if undid := strings.Contains(stderr, "vocal run: undid run "); undid != undo {
			t.Errorf("killed after step %s: the run undid the one before: %v, want %v:\n%s", step, undid, undo, stderr)
		}
		undo = step == "tagged" || step == "closed" || step == "tables"
		if !undo {
			committedTo = to
		}
		t.Logf("killed after step %s (%s)", step, phase)
		checkReaders(t, out, valid(input[:committedTo]))
		if t.Failed() {
			t.FailNow()
		}
	}
	m := rerun("steps")
	if len(m.Incremental.RolledBack) != 0 || m.Counts.Read != 0 {
		t.Errorf("the run after the last step undid %v and read %d records, want nothing: the killed run was committed", m.Incremental.RolledBack, m.Counts.Read)
	}
	checkDataset(t, out, in, input[:to])
	if t.Failed() {
		t.FailNow()
	}

	// The rest at once, killed at random moments, one run after the other.
	rest := n - to
	appendLines(t, in, input[to:])
	before := valid(input[:to])
	// VOCAL_KILL_SEED=s takes seeds s+1..s+4 instead of 1..4.
	base, _ := strconv.ParseUint(os.Getenv("VOCAL_KILL_SEED"), 10, 64)
	for seed := base + 1; seed <= base+4; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		var k killTrigger
		switch seed % 4 {
		case 1:
			k = killTrigger{phase: "progress", read: int64(float64(rest) * (0.05 + 0.9*rng.Float64()))}
		case 2:
			k = killTrigger{phase: "committing", delay: time.Duration(rng.Float64() * float64(400*time.Millisecond))}
		case 3:
			k = killTrigger{phase: "tables", delay: time.Duration(rng.Float64() * float64(300*time.Millisecond))}
		case 0:
			k = killTrigger{phase: "loading the dataset's record ids", delay: time.Duration(rng.Float64() * float64(200*time.Millisecond))}
		}
		runsBefore, _ := filepath.Glob(filepath.Join(out, "runs", "*.json"))
		_, phase, completed := killed(t, k, args...)
		runsAfter, _ := filepath.Glob(filepath.Join(out, "runs", "*.json"))
		t.Logf("seed %d: %d records, killed %v: in %s", seed, rest, k, phase)
		if completed || len(runsAfter) > len(runsBefore) {
			// Killed too late: the run committed. Nothing is left to kill.
			t.Logf("seed %d: the run committed before the kill", seed)
			checkReaders(t, out, valid(input))
			break
		}
		checkReaders(t, out, before)
	}
	m = rerun("random kills")
	t.Logf("the run after the random kills undid %v, read %d, took %d ms", m.Incremental.RolledBack, m.Counts.Read, m.DurationMS)
	checkDataset(t, out, in, input)

	// Once more over the same input: nothing is read, nothing changes.
	files := recordFiles(t, out)
	if m = rerun("same input"); m.Counts != (pipeline.Counts{}) || m.Incremental.Unchanged != 0 {
		t.Errorf("a run over the same input: counts %+v, unchanged %d", m.Counts, m.Incremental.Unchanged)
	}
	if !reflect.DeepEqual(recordFiles(t, out), files) {
		t.Error("a run over the same input changed the record files")
	}
}

// TestRunKilledIndex checks that the Bleve index converges to the dataset
// after a run that indexed records but was killed before its commit, and
// its input was corrected before the next run.
func TestRunKilledIndex(t *testing.T) {
	t.Parallel()
	input := killInput(t, 1200)
	dir := t.TempDir()
	in, out, idx := filepath.Join(dir, "feedback.jsonl"), filepath.Join(dir, "ds"), filepath.Join(dir, "idx")
	args := []string{"run", "--input", in, "--out", out, "--index", idx, "--workers", "2"}
	appendLines(t, in, input[:600])
	if r := vocal(t, "", args...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	appendLines(t, in, input[600:])
	if _, _, completed := killed(t, killTrigger{step: "closed"}, args...); completed {
		t.Fatal("not killed")
	}
	// The source corrects the last record before the next run: the file's
	// end changed, so it is read again from the start.
	var last map[string]any
	json.Unmarshal([]byte(input[len(input)-1]), &last)
	last["text"] = "更正：物流很快，客服态度很好"
	b, _ := json.Marshal(last)
	input[len(input)-1] = string(b)
	os.WriteFile(in, []byte(strings.Join(input, "\n")+"\n"), 0o644)
	if r := vocal(t, "", args...); r.code != 0 {
		t.Fatalf("re-run: exit %d: %s", r.code, r.stderr)
	}
	checkDataset(t, out, in, input)
	texts, _ := datasetTexts(t, out)
	res := searchJSON(t, "--index", idx, "--size", "5000")
	if res.Total != uint64(len(texts)) || len(res.Hits) != len(texts) {
		t.Fatalf("%d documents in the index, %d records in the dataset", res.Total, len(texts))
	}
	for _, h := range res.Hits {
		if text, ok := texts[h.ID]; !ok || text != h.Text {
			t.Errorf("index document %s: %q, dataset %q (%v)", h.ID, h.Text, text, ok)
		}
	}
}
