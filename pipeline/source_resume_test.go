package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readTracked reads path once with WithResume(prev, full) and returns the
// records and the file's new position.
func readTracked(t testing.TB, path string, cfg InputConfig, prev map[string]*FilePosition, full bool) ([]*Record, *InputStat) {
	t.Helper()
	in, err := OpenInputs([]string{path}, cfg, WithResume(prev, full))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	recs, err := drain(testContext(t), in)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if len(in.Stats) != 1 || in.Stats[0].Position == nil {
		t.Fatalf("stats %+v: want one input with a position", in.Stats)
	}
	return recs, in.Stats[0]
}

// recordKey is what must be equal between a resumed and a whole read.
func recordKey(r *Record) string {
	e := ""
	if r.Err != nil {
		e = r.Err.Error()
	}
	return fmt.Sprintf("%d|%s|%q|%s|%s", r.Line, r.ID, r.Text, fieldsString(r.Fields), e)
}

func keys(recs []*Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = recordKey(r)
	}
	return out
}

// checkResume writes whole[:cut], reads it, appends the rest, reads on from
// the position: the records of the first read before the position and
// those of the second read must be those of reading whole at once.
func checkResume(t *testing.T, name string, whole []byte, cut int, cfg InputConfig) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, whole, 0o644); err != nil {
		t.Fatal(err)
	}
	in := openInputs(t, cfg, path)
	want, err := drain(testContext(t), in)
	if err != nil {
		return // the whole file cannot be read (a bad CSV header): nothing to resume
	}
	if err := os.WriteFile(path, whole[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	inA, err := OpenInputs([]string{path}, cfg, WithResume(nil, false))
	if err != nil {
		t.Fatal(err)
	}
	first, err := drain(testContext(t), inA)
	inA.Close()
	if err != nil {
		return // e.g. the cut falls inside the CSV header
	}
	pos := inA.Stats[0].Position
	utf8Bytes := pos.Encoding == "utf-8" || pos.Encoding == "utf-8-bom" // else decoded offsets are not file offsets
	if pos.Size != int64(cut) || (utf8Bytes && pos.Offset+pos.Tail > int64(cut)) || pos.Mode != ModeNew {
		t.Fatalf("cut %d: position %+v", cut, pos)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(whole[cut:])
	f.Close()
	second, st := readTracked(t, path, cfg, map[string]*FilePosition{pos.Path: pos}, false)
	var got []*Record
	for _, r := range first {
		// The tail is read again, unless the file did not grow.
		if r.Line <= pos.Line || cut == len(whole) {
			got = append(got, r)
		}
	}
	got = append(got, second...)
	if st.Position.Mode == ModeChanged {
		// Too short a start to guess the encoding from (a partial BOM):
		// read again from the start.
		got = second
	}
	if g, w := strings.Join(keys(got), "\n"), strings.Join(keys(want), "\n"); g != w {
		t.Fatalf("cut %d of %d (position %+v, second read %s):\n got %s\nwant %s", cut, len(whole), pos, st.Position.Mode, g, w)
	}
	if cut < len(whole) && st.Position.Mode != ModeResumed && !(st.Position.Mode == ModeChanged && cut < 3) {
		t.Errorf("cut %d: mode %s, want resumed", cut, st.Position.Mode)
	}
	if p := st.Position; p.Size != int64(len(whole)) {
		t.Errorf("cut %d: size %d after the second read, want %d", cut, p.Size, len(whole))
	}
}

func TestResumeEveryCut(t *testing.T) {
	jsonl := "{\"id\":\"a\",\"text\":\"物流很快\"}\n" +
		"\n" +
		"{\"text\":\"no id, generated from line and text\"}\r\n" +
		"not json\n" +
		"{\"id\":\"b\",\"text\":\"客服态度差\",\"created_at\":\"2026-03-01\"}\n" +
		"{\"id\":\"c\",\"text\":\"last line without a newline\"}"
	csv := "id,text,channel\n" +
		"1,物流很快,app\n" +
		"2,\"a quoted field\nover two lines\",web\n" +
		"\n" +
		",no id,app\n" +
		"3,wrong,column,count\n" +
		"4,\"\"\"quoted\"\"\",app\n"
	cfg := DefaultInputConfig()
	gbCfg := cfg
	gbCfg.Encoding = "gb18030"
	utfCfg := cfg
	utfCfg.Encoding = "utf-8"
	tests := []struct {
		name  string
		whole []byte
		cfg   InputConfig
	}{
		{"in.jsonl", []byte(jsonl), utfCfg},
		{"in.csv", []byte(csv), utfCfg},
		{"bom.jsonl", append([]byte{0xEF, 0xBB, 0xBF}, jsonl...), cfg},
		{"bom.csv", append([]byte{0xEF, 0xBB, 0xBF}, csv...), utfCfg},
		{"gb.jsonl", mustGB(t, jsonl, false), gbCfg},
		{"gb.csv", mustGB(t, csv, false), gbCfg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for cut := 0; cut <= len(tt.whole); cut++ {
				checkResume(t, tt.name, tt.whole, cut, tt.cfg)
			}
		})
	}
}

func FuzzResume(f *testing.F) {
	f.Add([]byte("{\"id\":\"a\",\"text\":\"x\"}\n{\"text\":\"y\"}\n"), uint16(7), false)
	f.Add([]byte("id,text\n1,\"a\nb\"\n2,c\n"), uint16(12), true)
	f.Fuzz(func(t *testing.T, whole []byte, cut uint16, csv bool) {
		name := "f.jsonl"
		if csv {
			name = "f.csv"
		}
		cfg := DefaultInputConfig()
		cfg.Encoding, cfg.MaxLineBytes = "utf-8", 1024
		checkResume(t, name, whole, int(cut)%(len(whole)+1), cfg)
	})
}

func TestResumeModes(t *testing.T) {
	cfg := DefaultInputConfig()
	line := func(id string) string { return fmt.Sprintf("{\"id\":%q,\"text\":\"text of %s\"}\n", id, id) }
	path := writeFile(t, "in.jsonl", []byte(line("a")+line("b")))
	recs, st := readTracked(t, path, cfg, nil, false)
	if len(recs) != 2 || st.Position.Mode != ModeNew || st.Position.Line != 2 || st.Position.Tail != 0 {
		t.Fatalf("first read: %d records, %+v", len(recs), st.Position)
	}
	state := map[string]*FilePosition{st.Position.Path: st.Position}

	// The same file again: nothing is read.
	recs, st = readTracked(t, path, cfg, state, false)
	if len(recs) != 0 || st.Position.Mode != ModeUnchanged || st.Position.Offset != state[st.Position.Path].Offset {
		t.Fatalf("unchanged: %d records, %+v", len(recs), st.Position)
	}
	// --full reads it all.
	if recs, st = readTracked(t, path, cfg, state, true); len(recs) != 2 || st.Position.Mode != ModeFull {
		t.Fatalf("full: %d records, %+v", len(recs), st.Position)
	}
	// Grown: only the new line, numbered as in the whole file.
	os.WriteFile(path, []byte(line("a")+line("b")+line("c")), 0o644)
	recs, st = readTracked(t, path, cfg, state, false)
	if len(recs) != 1 || recs[0].ID != "c" || recs[0].Line != 3 || st.Position.Mode != ModeResumed || st.Position.FromLine != 2 {
		t.Fatalf("grown: %v, %+v", keys(recs), st.Position)
	}
	// Replaced by another file of the same size, or truncated: from the start.
	for _, content := range []string{line("x") + line("y") + line("z"), line("a")} {
		os.WriteFile(path, []byte(content), 0o644)
		recs, st = readTracked(t, path, cfg, map[string]*FilePosition{st.Position.Path: st.Position}, false)
		if len(recs) != strings.Count(content, "\n") || st.Position.Mode != ModeChanged {
			t.Fatalf("replaced by %q: %v, %+v", content, keys(recs), st.Position)
		}
	}
	// The same path read as CSV is another input.
	cfgCSV := cfg
	cfgCSV.Format = "csv"
	os.WriteFile(path, []byte("id,text\n1,x\n"), 0o644)
	pos := *st.Position
	pos.Size, pos.Head, pos.End = 0, "", ""
	if _, st = readTracked(t, path, cfgCSV, map[string]*FilePosition{pos.Path: &pos}, false); st.Position.Mode != ModeChanged {
		t.Errorf("format changed: mode %s", st.Position.Mode)
	}
}

// TestResumeChangedMiddle shows the documented limit: an edit in the middle
// of a file that keeps its size and its first and last 4 KiB goes unnoticed.
func TestResumeChangedMiddle(t *testing.T) {
	var b bytes.Buffer
	for i := range 400 {
		fmt.Fprintf(&b, "{\"id\":\"%03d\",\"text\":\"feedback number %03d\"}\n", i, i)
	}
	path := writeFile(t, "in.jsonl", b.Bytes())
	_, st := readTracked(t, path, DefaultInputConfig(), nil, false)
	edited := bytes.Replace(b.Bytes(), []byte("number 200"), []byte("NUMBER 200"), 1)
	os.WriteFile(path, edited, 0o644)
	recs, st2 := readTracked(t, path, DefaultInputConfig(), map[string]*FilePosition{st.Position.Path: st.Position}, false)
	if len(recs) != 0 || st2.Position.Mode != ModeUnchanged {
		t.Errorf("%d records, mode %s", len(recs), st2.Position.Mode)
	}
}

func TestInputsRemaining(t *testing.T) {
	a := writeFile(t, "a.jsonl", []byte("{\"text\":\"x\"}\n"))
	b := writeFile(t, "b.jsonl", []byte("{\"text\":\"yy\"}\n"))
	_, st := readTracked(t, a, DefaultInputConfig(), nil, false)
	in, err := OpenInputs([]string{a, b}, DefaultInputConfig(), WithResume(map[string]*FilePosition{st.Position.Path: st.Position}, false))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if got := in.Remaining(); got != 14 {
		t.Errorf("Remaining = %d, want 14 (a unchanged, b new)", got)
	}
	if in, _ := OpenInputs([]string{"-"}, DefaultInputConfig()); in.Remaining() != -1 {
		t.Error("Remaining of stdin is not -1")
	}
}

func TestSkipUnchanged(t *testing.T) {
	ix := NewSeenIndex()
	ix.Put("a", "old text")
	ix.Put("b", "[PHONE] call me")
	redact := func(s string) string { return strings.ReplaceAll(s, "13800138000", "[PHONE]") }
	skip := SkipUnchanged(ix, redact)
	steps := []struct {
		id, text string
		want     bool
	}{
		{"a", "old text", true},            // in the dataset, unchanged
		{"b", "13800138000 call me", true}, // stored redacted
		{"c", "new", false},                // new
		{"c", "new", true},                 // repeated within the run
		{"a", "changed text", false},       // changed: written, latest wins
		{"a", "changed text", true},        // repeated
		{"a", "old text", false},           // changed back within the run: the later line wins
		{"d", "x", false},                  // new
		{"d", "y", false},                  // changed within the run
	}
	for i, s := range steps {
		if got := skip(&Record{ID: s.id, Text: s.text}); got != s.want {
			t.Errorf("step %d (%s, %q): skip = %v, want %v", i, s.id, s.text, got, s.want)
		}
	}
	full := SkipUnchanged(nil, nil)
	if full(&Record{ID: "a", Text: "old text"}) || !full(&Record{ID: "a", Text: "old text"}) {
		t.Error("without an index only repeats within the run are skipped")
	}
}

func TestInputsSkip(t *testing.T) {
	path := writeFile(t, "in.jsonl", []byte("{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"a\",\"text\":\"x\"}\nbad\n{\"id\":\"b\",\"text\":\"y\"}\n"))
	in, err := OpenInputs([]string{path}, DefaultInputConfig(), WithSkip(SkipUnchanged(nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, in)
	st := in.Stats[0]
	if len(recs) != 3 || st.Read != 3 || st.Rejected != 1 || st.Unchanged != 1 || in.Unchanged() != 1 || st.Position != nil {
		t.Errorf("%d records, stats %+v", len(recs), st)
	}
}
