package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/vocal-dev/vocal/pipeline"
)

// vocalBin is the command under test, built once by TestMain. Each run that
// tags records loads the real Analyzer in its own process, so the tests that
// do so run in parallel.
var vocalBin string

// cmdTimeout bounds each run of the binary; it is not a performance bound.
const cmdTimeout = 2 * time.Minute

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vocal-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vocalBin = filepath.Join(dir, "vocal")
	if out, err := exec.Command("go", "build", "-o", vocalBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// vocal runs the binary with args and stdin and returns its output and exit code.
func vocal(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return vocalEnv(t, nil, stdin, args...)
}

// vocalEnv runs the binary like vocal, with extra environment variables.
func vocalEnv(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, vocalBin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("vocal %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("vocal %v did not finish within %s", args, cmdTimeout)
	}
	return result{out.String(), errb.String(), code}
}

func fixture(name string) string { return filepath.Join("..", "..", "testdata", "input", name) }

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"Usage:", "Available Commands:", "tag", "run", "eval", "--config", "--encoding"}},
		{[]string{"help"}, []string{"Usage:", "Available Commands:"}},
		{[]string{"tag", "--help"}, []string{"Usage:", "vocal tag [FILE...]", "--id-field", "--text-field", "--encoding"}},
		{[]string{"run", "--help"}, []string{"Usage:", "vocal run --input PATH... --out DIR", "--input", "--out", "--time-field"}},
		{[]string{"eval", "--help"}, []string{"Usage:", "vocal eval --gold FILE", "--gold", "--json"}},
		{[]string{"help", "run"}, []string{"Usage:", "--out"}},
		{[]string{"tag", "-h"}, []string{"Usage:"}},
		{[]string{"--version"}, []string{"vocal version " + version}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := vocal(t, "", tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output does not contain %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.jsonl")
	noText := filepath.Join(dir, "no_text.csv")
	if err := os.WriteFile(noText, []byte("id,body\na,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"unknown flag", []string{"tag", "--bogus"}, 2, "unknown flag: --bogus"},
		{"unknown global flag", []string{"--bogus"}, 2, "unknown flag: --bogus"},
		{"bad flag value", []string{"tag", "--workers", "many"}, 2, "invalid argument"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"run without --out", []string{"run", "--input", fixture("feedback.jsonl")}, 2, "run needs --input and --out"},
		{"run without --input", []string{"run", "--out", filepath.Join(dir, "out")}, 2, "run needs --input and --out"},
		{"eval without --gold", []string{"eval"}, 2, "eval needs --gold"},
		{"bad encoding", []string{"tag", "--encoding", "latin1", fixture("feedback.jsonl")}, 2, `input encoding "latin1"`},
		{"bad format", []string{"tag", "--format", "xml"}, 2, `input format "xml"`},
		{"negative workers", []string{"tag", "--workers", "-1"}, 2, "workers -1"},
		{"missing config", []string{"tag", "--config", filepath.Join(dir, "missing.yaml")}, 2, "config:"},
		{"lexicons not a directory", []string{"tag", "--lexicons", missing}, 2, "--lexicons"},
		{"missing input", []string{"tag", missing}, 1, missing},
		{"run on a missing input", []string{"run", "--input", missing, "--out", filepath.Join(dir, "out2")}, 1, missing},
		{"CSV without the text column", []string{"tag", noText}, 1, noText + `:1: CSV header has no text column "text"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := vocal(t, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("vocal %v: exit %d, stderr %q; want exit %d and %q", tt.args, r.code, r.stderr, tt.code, tt.want)
			}
			if !strings.HasPrefix(r.stderr, "vocal: ") {
				t.Errorf("stderr %q does not start with \"vocal: \"", r.stderr)
			}
		})
	}
}

// checkDesignRecord checks one output line against the record contract of
// DESIGN.md and returns it decoded.
func checkDesignRecord(t *testing.T, line string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	dec.Token()
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if len(keys) < 6 || strings.Join(keys[:6], ",") != "id,text,lang,sentiment,topics,risk" {
		t.Errorf("keys %v, want id, text, lang, sentiment, topics, risk first", keys)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatal(err)
	}
	in := func(v any, allowed ...string) bool {
		for _, a := range allowed {
			if v == a {
				return true
			}
		}
		return false
	}
	sent, _ := r["sentiment"].(map[string]any)
	risk, _ := r["risk"].(map[string]any)
	score, _ := sent["score"].(float64)
	_, isList := r["topics"].([]any)
	_, hitsList := risk["hits"].([]any)
	if !in(r["lang"], "zh", "en", "mixed", "und") || !in(sent["label"], "positive", "negative", "neutral") ||
		score < -1 || score > 1 || !isList || !in(risk["level"], "critical", "high", "medium", "none") || !hitsList {
		t.Errorf("record does not follow DESIGN.md: %s", line)
	}
	runes := []rune(r["text"].(string))
	for _, m := range r["topics"].([]any) {
		m := m.(map[string]any)
		s, e := int(m["start"].(float64)), int(m["end"].(float64))
		if s < 0 || s >= e || e > len(runes) || string(runes[s:e]) != m["evidence"] {
			t.Errorf("topic %v: span [%d,%d) does not hold the evidence", m, s, e)
		}
	}
	return r
}

func TestTag(t *testing.T) {
	t.Parallel()
	// A GBK CSV among the inputs is detected as such.
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("id,text,channel\ng1,物流很快，但是客服态度太差了,app\n"))
	if err != nil {
		t.Fatal(err)
	}
	gbkPath := filepath.Join(t.TempDir(), "gbk.csv")
	if err := os.WriteFile(gbkPath, gbk, 0o644); err != nil {
		t.Fatal(err)
	}
	r := vocal(t, "", "tag", "--workers", "3", fixture("feedback.jsonl"), fixture("bad.jsonl"), gbkPath)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	out := lines(r.stdout)
	var ids []string
	for _, l := range out {
		rec := checkDesignRecord(t, l)
		ids = append(ids, rec["id"].(string))
	}
	gen := pipeline.GenerateID(fixture("feedback.jsonl"), 3, "没有 id 的记录, mixed with English words")
	gen9 := pipeline.GenerateID(fixture("feedback.jsonl"), 9, "null id is generated")
	if want := []string{"j1", "42", gen, "j4", "j5", "j6", "j7", gen9, "b16", "g1"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ids %v, want %v (input order)", ids, want)
	}
	if want := `,"created_at":"2026-03-01T09:30:00+08:00","channel":"app","csat":2,"nps":3,"tags":["a","b"],"meta":{"k":1},"vip":true,"note":null}`; len(out) > 0 && !strings.HasSuffix(out[0], want) {
		t.Errorf("passthrough fields of the first record changed:\n%s", out[0])
	}
	if len(out) > 0 && !strings.Contains(out[len(out)-1], `"text":"物流很快，但是客服态度太差了"`) {
		t.Errorf("GBK record: %s", out[len(out)-1])
	}
	// Rejects go to stderr as JSON lines naming file, line, field and reason.
	rej := lines(r.stderr)
	if len(rej) != 17 {
		t.Fatalf("%d reject lines, want 17:\n%s", len(rej), r.stderr)
	}
	for _, l := range rej {
		var rl pipeline.RejectLine
		if err := json.Unmarshal([]byte(l), &rl); err != nil || rl.Source != fixture("bad.jsonl") || rl.Line < 1 || rl.Reason == "" {
			t.Errorf("reject line %s: %+v, %v", l, rl, err)
		}
	}
	var rl pipeline.RejectLine
	json.Unmarshal([]byte(rej[6]), &rl)
	if rl.Line != 7 || rl.Field != "lang" || !strings.Contains(rl.Reason, "reserved") {
		t.Errorf("7th reject %+v, want line 7, field lang, reserved", rl)
	}
}

func TestTagStdin(t *testing.T) {
	t.Parallel()
	in := `{"id":"s1","text":"物流很快，但是客服态度太差了","channel":"app"}` + "\n" + `{"text":5}` + "\n"
	for _, args := range [][]string{{"tag"}} {
		r := vocal(t, in, args...)
		out := lines(r.stdout)
		if r.code != 0 || len(out) != 1 {
			t.Fatalf("vocal %v: exit %d, %d lines: %s %s", args, r.code, len(out), r.stdout, r.stderr)
		}
		rec := checkDesignRecord(t, out[0])
		if rec["id"] != "s1" || rec["channel"] != "app" || rec["lang"] != "zh" {
			t.Errorf("record %s", out[0])
		}
		var rl pipeline.RejectLine
		if err := json.Unmarshal([]byte(r.stderr), &rl); err != nil || rl.Source != "<stdin>" || rl.Line != 2 || rl.Field != "text" {
			t.Errorf("stderr %q does not reject stdin line 2 (%v)", r.stderr, err)
		}
	}
}

func TestTagEncodingFlag(t *testing.T) {
	t.Parallel()
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("id,text\ng1,价格便宜，质量一般\n"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gbk.csv")
	if err := os.WriteFile(path, gbk, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		enc      string
		wantOut  string
		wantRej  string
		wantCode int
	}{
		{enc: "gbk", wantOut: `"text":"价格便宜，质量一般"`},
		{enc: "utf-8", wantRej: `"line":2,"field":"text","reason":"invalid UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.enc, func(t *testing.T) {
			t.Parallel()
			r := vocal(t, "", "tag", "--encoding", tt.enc, path)
			if r.code != 0 || !strings.Contains(r.stdout, tt.wantOut) || !strings.Contains(r.stderr, tt.wantRej) {
				t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestTagFieldFlagsAndConfig(t *testing.T) {
	t.Parallel()
	cfgPath := filepath.Join(t.TempDir(), "vocal.yaml")
	if err := os.WriteFile(cfgPath, []byte("input:\n  id_field: ticket\n  text_field: body\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gen := pipeline.GenerateID(fixture("custom_fields.jsonl"), 5, "no ticket, so the id is generated")
	tests := []struct {
		name    string
		args    []string
		wantIDs []string
		wantRej int
	}{
		{name: "flags", args: []string{"--id-field", "ticket", "--text-field", "body"}, wantIDs: []string{"T-1", "1002", gen}, wantRej: 2},
		{name: "config", args: []string{"--config", cfgPath}, wantIDs: []string{"T-1", "1002", gen}, wantRej: 2},
		// Flags override the config file.
		{name: "flag over config", args: []string{"--config", cfgPath, "--text-field", "text"},
			wantIDs: []string{"T-3"}, wantRej: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := vocal(t, "", append(append([]string{"tag"}, tt.args...), fixture("custom_fields.jsonl"))...)
			var ids []string
			for _, l := range lines(r.stdout) {
				ids = append(ids, checkDesignRecord(t, l)["id"].(string))
			}
			if r.code != 0 || !reflect.DeepEqual(ids, tt.wantIDs) || len(lines(r.stderr)) != tt.wantRej {
				t.Errorf("exit %d, ids %v (want %v), rejects:\n%s", r.code, ids, tt.wantIDs, r.stderr)
			}
		})
	}
}

// listFiles returns every file under dir, relative and sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	sort.Strings(out)
	return out
}

func readManifest(t *testing.T, path string) pipeline.Manifest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m pipeline.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(lines(string(b)))
}

func TestRun(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "dataset")
	inputs := []string{fixture("feedback.jsonl"), fixture("bad.jsonl"), fixture("feedback.csv"), fixture("bad.csv")}
	r := vocal(t, "", "run", "--input", inputs[0]+","+inputs[1], "--input", inputs[2], "--input", inputs[3], "--out", out, "--workers", "2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	m := readManifest(t, filepath.Join(out, "manifest.json"))
	c := m.Counts
	if want := (pipeline.Counts{Read: 36, Written: 17, Rejected: 19}); c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("read %d, written %d, rejected %d", c.Read, c.Written, c.Rejected)) {
		t.Errorf("summary %q", r.stderr)
	}
	var inRead, inRej, rows int64
	var paths []string
	for _, in := range m.Inputs {
		inRead += in.Read
		inRej += in.Rejected
		paths = append(paths, in.Path)
	}
	for _, n := range m.Partitions {
		rows += n
	}
	if !reflect.DeepEqual(paths, inputs) || inRead != c.Read || inRej != c.Rejected || rows != c.Written || c.Read != c.Written+c.Rejected {
		t.Errorf("manifest does not reconcile: inputs %v read %d rejected %d, partition rows %d, counts %+v", paths, inRead, inRej, rows, c)
	}
	if m.RunID == "" || m.Versions.Vocal != version || m.Versions.Lexicons == "" || m.Versions.Taxonomy == "" || m.DurationMS < 0 {
		t.Errorf("manifest run id %q versions %+v", m.RunID, m.Versions)
	}
	if n := countLines(t, filepath.Join(out, "rejects.jsonl")); int64(n) != c.Rejected {
		t.Errorf("%d rejects in rejects.jsonl, want %d", n, c.Rejected)
	}
	if n := countLines(t, filepath.Join(out, "alerts.jsonl")); int64(n) != m.Alerts {
		t.Errorf("%d alerts in alerts.jsonl, manifest says %d", n, m.Alerts)
	}
	// The layout of DESIGN.md, with no temporary file left.
	want := []string{"alerts.jsonl", "manifest.json", "rejects.jsonl", "runs/" + m.RunID + ".json", "state.json",
		"drivers.arrow", "drivers.parquet", "key_drivers.arrow", "key_drivers.parquet", "trends.arrow", "trends.parquet"}
	for day := range m.Partitions {
		base := "records/date=" + day + "/part-" + m.RunID
		want = append(want, base+".arrow", base+".parquet")
	}
	sort.Strings(want)
	if got := listFiles(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("files\n got %v\nwant %v", got, want)
	}
	if len(m.Files) != 2*len(m.Partitions) {
		t.Errorf("manifest lists %d files for %d partitions", len(m.Files), len(m.Partitions))
	}
	run, _ := os.ReadFile(filepath.Join(out, "runs", m.RunID+".json"))
	latest, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	if !bytes.Equal(run, latest) {
		t.Error("manifest.json differs from runs/<run-id>.json")
	}
	for _, day := range []string{"2026-03-01", "2026-03-05"} {
		if m.Partitions[day] == 0 {
			t.Errorf("no partition for %s: %v", day, m.Partitions)
		}
	}

	// A second run only adds files and appends to alerts and rejects (--full:
	// the file was read by the first run).
	alerts := countLines(t, filepath.Join(out, "alerts.jsonl"))
	r = vocal(t, "", "run", "--input", inputs[1], "--out", out, "--full")
	if r.code != 0 {
		t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
	}
	m2 := readManifest(t, filepath.Join(out, "manifest.json"))
	if m2.RunID == m.RunID || m2.Counts != (pipeline.Counts{Read: 18, Written: 1, Rejected: 17}) {
		t.Errorf("second manifest %s %+v", m2.RunID, m2.Counts)
	}
	if n := countLines(t, filepath.Join(out, "rejects.jsonl")); n != 19+17 {
		t.Errorf("%d rejects after two runs, want %d", n, 19+17)
	}
	if n := countLines(t, filepath.Join(out, "alerts.jsonl")); int64(n) != int64(alerts)+m2.Alerts {
		t.Errorf("%d alerts after two runs, want %d", n, int64(alerts)+m2.Alerts)
	}
	after := listFiles(t, out)
	for _, f := range want {
		if f != "manifest.json" && !contains(after, f) {
			t.Errorf("second run removed %s", f)
		}
	}
	if !contains(after, "runs/"+m2.RunID+".json") {
		t.Errorf("no runs/%s.json", m2.RunID)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestRunTimeField(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	data := `{"id":"t1","text":"ok","ts":"2026-05-01T10:00:00Z","created_at":"2026-01-01"}` + "\n" +
		`{"id":"t2","text":"ok","ts":"2026-05-02 10:00:00","created_at":"2026-01-01"}` + "\n"
	if err := os.WriteFile(in, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	r := vocal(t, "", "run", "--input", in, "--out", out, "--time-field", "ts")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	m := readManifest(t, filepath.Join(out, "manifest.json"))
	if want := map[string]int64{"2026-05-01": 1, "2026-05-02": 1}; !reflect.DeepEqual(m.Partitions, want) {
		t.Errorf("partitions %v, want %v (by --time-field ts)", m.Partitions, want)
	}
}
