package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/topics"
)

// memRecord parses one JSONL line the way the JSONL source does.
func memRecord(t testing.TB, line int, jsonLine string) *Record {
	t.Helper()
	s := &jsonlSource{name: "mem.jsonl", cfg: DefaultInputConfig(), line: line}
	r := &Record{Source: "mem.jsonl", Line: line, Raw: jsonLine}
	r.Err = s.parse(r, []byte(jsonLine))
	return r
}

// datasetInput is what testDataset writes, in order. Records r1..r3 form
// the first batch (BatchRows 3) from which the schema is inferred; later
// records bring values of other types and a new field, which go to extra.
var datasetInput = []struct {
	json string
	out  *Analysis
}{
	{`{"id":"r1","text":"物流很快，但是客服态度太差了","created_at":"2026-03-01T09:30:00+08:00","channel":"app","csat":2,"score":0.5,"vip":true,"note":"hello","tags":["a"]}`,
		fakeAnalysis("negative", -0.62, lexicons.LevelHigh,
			topics.Mention{Topic: "logistics", Sentiment: "positive", Score: 0.7, Evidence: "物流很快", Start: 0, End: 4},
			topics.Mention{Topic: "service_attitude", Sentiment: "negative", Score: -0.8, Evidence: "但是客服态度太差了", Start: 5, End: 14},
			topics.Mention{Topic: "logistics", Sentiment: "neutral", Score: 0, Evidence: "物流", Start: 0, End: 2})},
	{`{"id":"b1","text":"rejected","lang":"zh"}`, nil},
	{`{"id":"r2","text":"second","created_at":"2026-03-01 23:59:59","channel":"web","csat":5,"score":1,"vip":false,"note":"2026-01-01","tags":null}`,
		fakeAnalysis("positive", 0.25, lexicons.LevelNone)},
	// The day of the time as written (03-02), not of its UTC instant (03-01).
	{`{"id":"r3","text":"third","created_at":"2026-03-02T01:00:00+08:00","channel":null,"csat":null,"note":"x"}`,
		fakeAnalysis("neutral", 0, lexicons.LevelNone)},
	{`{"id":"r4","text":"fourth","created_at":"2026-03-02","channel":"app","csat":4.5,"late":"x"}`,
		fakeAnalysis("neutral", 0, lexicons.LevelNone)},
	{`{"id":"r5","text":"no time: the run's day","channel":"app"}`, fakeAnalysis("negative", -0.3, lexicons.LevelMedium)},
	{`{"id":"b2","text":42}`, nil},
	{`{"id":"r6","text":"bad time","created_at":"not a date","csat":3}`, fakeAnalysis("neutral", 0, lexicons.LevelNone)},
	{`{"id":"r7","text":"seventh","created_at":"2026-03-03T08:00:00Z","vip":"yes","csat":3,"tags":{"k":[1,2]}}`,
		fakeAnalysis("negative", -0.9, lexicons.LevelCritical)},
	{`{"id":"r8","text":"eighth","created_at":"2026-03-01T12:00:00Z","score":-2,"note":12}`, fakeAnalysis("neutral", 0, lexicons.LevelNone)},
	{`{"id":"r9","text":"😀","created_at":"2026/03/01 13:00:00","vip":true,"score":1e400}`, fakeAnalysis("positive", 0.9, lexicons.LevelNone)},
}

const datasetRunID = "20260401T000000Z-test01"

var datasetRunTime = time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)

// wantPartitions lists the ids of each partition file, in row order.
var wantPartitions = map[string][]string{
	"2026-03-01": {"r1", "r2", "r8", "r9"},
	"2026-03-02": {"r3", "r4"},
	"2026-03-03": {"r7"},
	"2026-04-01": {"r5", "r6"},
}

// wantColumns is the schema: the fixed columns, the passthrough columns in
// first-seen order with their inferred types, then extra.
var wantColumns = []struct{ name, typ string }{
	{"id", "utf8"},
	{"text", "utf8"},
	{"lang", "utf8"},
	{"sentiment_label", "utf8"},
	{"sentiment_score", "float64"},
	{"topics", "list<utf8>"},
	{"aspects", "list<struct<topic: utf8, sentiment: utf8, score: float64, evidence: utf8, start: int32, end: int32>>"},
	{"risk_level", "utf8"},
	{"risk_hits", "list<struct<term: utf8, category: utf8, level: utf8, start: int32, end: int32>>"},
	{"sentiment_confidence", "float64"},
	{"sentiment_source", "utf8"},
	{"created_at", "timestamp[ms, tz=UTC]"},
	{"channel", "utf8"},
	{"csat", "int64"},
	{"score", "float64"},
	{"vip", "bool"},
	{"note", "utf8"},
	{"tags", "utf8"},
	{"extra", "utf8"},
}

// wantRows are the rows as JSON, by id; created_at as an RFC 3339 UTC instant.
var wantRows = map[string]string{
	"r1": `{"id":"r1","text":"物流很快，但是客服态度太差了","lang":"zh","sentiment_confidence":null,"sentiment_source":"lexicon","sentiment_label":"negative","sentiment_score":-0.62,
		"topics":["logistics","service_attitude"],
		"aspects":[{"topic":"logistics","sentiment":"positive","score":0.7,"evidence":"物流很快","start":0,"end":4},
			{"topic":"service_attitude","sentiment":"negative","score":-0.8,"evidence":"但是客服态度太差了","start":5,"end":14},
			{"topic":"logistics","sentiment":"neutral","score":0,"evidence":"物流","start":0,"end":2}],
		"risk_level":"high","risk_hits":[{"term":"投诉","category":"complaint","level":"high","start":0,"end":2}],
		"created_at":"2026-03-01T01:30:00Z","channel":"app","csat":2,"score":0.5,"vip":true,"note":"hello","tags":"[\"a\"]","extra":null}`,
	// A time-like string in a text column is kept as written, without quotes.
	"r2": `{"id":"r2","text":"second","lang":"zh","sentiment_confidence":null,"sentiment_source":"lexicon","sentiment_label":"positive","sentiment_score":0.25,"topics":[],"aspects":[],
		"risk_level":"none","risk_hits":[],
		"created_at":"2026-03-01T23:59:59Z","channel":"web","csat":5,"score":1,"vip":false,"note":"2026-01-01","tags":null,"extra":null}`,
	"r3": `{"id":"r3","text":"third","lang":"zh","sentiment_confidence":null,"sentiment_source":"lexicon","sentiment_label":"neutral","sentiment_score":0,"topics":[],"aspects":[],
		"risk_level":"none","risk_hits":[],
		"created_at":"2026-03-01T17:00:00Z","channel":null,"csat":null,"score":null,"vip":null,"note":"x","tags":null,"extra":null}`,
	// A float in an int column and a field first seen after the first batch.
	"r4": `{"id":"r4","text":"fourth","lang":"zh","sentiment_confidence":null,"sentiment_source":"lexicon","sentiment_label":"neutral","sentiment_score":0,"topics":[],"aspects":[],
		"risk_level":"none","risk_hits":[],
		"created_at":"2026-03-02T00:00:00Z","channel":"app","csat":null,"score":null,"vip":null,"note":null,"tags":null,
		"extra":"{\"csat\":4.5,\"late\":\"x\"}"}`,
	"r5": `{"id":"r5","text":"no time: the run's day","lang":"zh","sentiment_confidence":null,"sentiment_source":"lexicon","sentiment_label":"negative","sentiment_score":-0.3,"topics":[],"aspects":[],
		"risk_level":"medium","risk_hits":[{"term":"投诉","category":"complaint","level":"medium","start":0,"end":2}],
		"created_at":null,"channel":"app","csat":null,"score":null,"vip":null,"note":null,"tags":null,"extra":null}`,
	"r6": `{"id":"r6","text":"bad time","lang":"zh","sentiment_confidence":null,"sentiment_source":"lexicon","sentiment_label":"neutral","sentiment_score":0,"topics":[],"aspects":[],
		"risk_level":"none","risk_hits":[],
		"created_at":null,"channel":null,"csat":3,"score":null,"vip":null,"note":null,"tags":null,
		"extra":"{\"created_at\":\"not a date\"}"}`,
	"r7": `{"id":"r7","text":"seventh","lang":"zh","sentiment_confidence":null,"sentiment_source":"lexicon","sentiment_label":"negative","sentiment_score":-0.9,"topics":[],"aspects":[],
		"risk_level":"critical","risk_hits":[{"term":"投诉","category":"complaint","level":"critical","start":0,"end":2}],
		"created_at":"2026-03-03T08:00:00Z","channel":null,"csat":3,"score":null,"vip":null,"note":null,"tags":"{\"k\":[1,2]}",
		"extra":"{\"vip\":\"yes\"}"}`,
	"r8": `{"id":"r8","text":"eighth","lang":"zh","sentiment_confidence":null,"sentiment_source":"lexicon","sentiment_label":"neutral","sentiment_score":0,"topics":[],"aspects":[],
		"risk_level":"none","risk_hits":[],
		"created_at":"2026-03-01T12:00:00Z","channel":null,"csat":null,"score":-2,"vip":null,"note":"12","tags":null,"extra":null}`,
	"r9": `{"id":"r9","text":"😀","lang":"zh","sentiment_confidence":null,"sentiment_source":"lexicon","sentiment_label":"positive","sentiment_score":0.9,"topics":[],"aspects":[],
		"risk_level":"none","risk_hits":[],
		"created_at":"2026-03-01T13:00:00Z","channel":null,"csat":null,"score":null,"vip":true,"note":null,"tags":null,
		"extra":"{\"score\":1e400}"}`,
}

// testDataset writes datasetInput with a DatasetSink into a fresh directory
// and returns the directory and the closed sink. mem must be empty after.
func testDataset(t *testing.T, mem memory.Allocator) (string, *DatasetSink) {
	t.Helper()
	dir := t.TempDir()
	sink, err := NewDatasetSink(DatasetConfig{Dir: dir, RunID: datasetRunID, BatchRows: 3, RunTime: datasetRunTime, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	for i, in := range datasetInput {
		r := memRecord(t, i+1, in.json)
		if (r.Err == nil) != (in.out != nil) {
			t.Fatalf("input %d: parse error %v", i, r.Err)
		}
		r.Out = in.out
		if err := sink.Write(ctx, r); err != nil {
			t.Fatalf("Write %s: %v", in.json, err)
		}
	}
	if err := sink.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return dir, sink
}

// listFiles returns every file under dir, relative and sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestDatasetSinkLayout(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	dir, sink := testDataset(t, mem)
	mem.AssertSize(t, 0)

	var want []string
	for day := range wantPartitions {
		base := "records/date=" + day + "/part-" + datasetRunID
		want = append(want, base+".arrow", base+".parquet")
	}
	want = append(want, "alerts.jsonl", "rejects.jsonl")
	sort.Strings(want)
	// No temporary file is left, under records/ or anywhere else.
	if got := listFiles(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("files after Close:\n got %v\nwant %v", got, want)
	}
	if got := len(sink.Files()); got != 2*len(wantPartitions) {
		t.Errorf("Files() lists %d files, want %d", got, 2*len(wantPartitions))
	}
	for _, f := range sink.Files() {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("Files(): %v", err)
		}
	}
	parts := sink.Partitions()
	for day, ids := range wantPartitions {
		if parts[day] != int64(len(ids)) {
			t.Errorf("partition %s: %d rows, want %d", day, parts[day], len(ids))
		}
	}
	if len(parts) != len(wantPartitions) {
		t.Errorf("partitions %v", parts)
	}

	// alerts.jsonl: the output records with risk >= medium, in order.
	alerts := readLines(t, filepath.Join(dir, "alerts.jsonl"))
	var alertIDs []string
	for _, a := range alerts {
		var r struct {
			ID   string
			Risk struct{ Level string }
		}
		if err := json.Unmarshal(a, &r); err != nil {
			t.Fatal(err)
		}
		alertIDs = append(alertIDs, r.ID+":"+r.Risk.Level)
		if keys := topKeys(t, a); strings.Join(keys[:6], ",") != "id,text,lang,sentiment,topics,risk" {
			t.Errorf("alert keys %v", keys)
		}
	}
	if got := strings.Join(alertIDs, " "); got != "r1:high r5:medium r7:critical" || sink.Alerts != 3 {
		t.Errorf("alerts %q (count %d), want r1:high r5:medium r7:critical", got, sink.Alerts)
	}

	// rejects.jsonl: one line per reject, naming source, line and field.
	rejects := readLines(t, filepath.Join(dir, "rejects.jsonl"))
	wantRej := []RejectLine{
		{Source: "mem.jsonl", Line: 2, Field: "lang", Reason: "field name is reserved for output (rename it)", Raw: datasetInput[1].json},
		{Source: "mem.jsonl", Line: 7, Field: "text", Reason: "text must be a string, got 42", Raw: datasetInput[6].json},
	}
	if len(rejects) != len(wantRej) {
		t.Fatalf("%d rejects, want %d", len(rejects), len(wantRej))
	}
	for i, b := range rejects {
		var rl RejectLine
		if err := json.Unmarshal(b, &rl); err != nil || rl != wantRej[i] {
			t.Errorf("reject %d: %+v (%v), want %+v", i, rl, err, wantRej[i])
		}
	}
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

// partitionFile is the path of one partition's file of the test run.
func partitionFile(dir, day, ext string) string {
	return filepath.Join(dir, "records", "date="+day, "part-"+datasetRunID+ext)
}

// checkSchema compares a schema read back with wantColumns.
func checkSchema(t *testing.T, what string, sc *arrow.Schema) {
	t.Helper()
	var got, want []string
	for _, f := range sc.Fields() {
		got = append(got, f.Name+" "+normType(f.Type))
	}
	for _, c := range wantColumns {
		want = append(want, c.name+" "+c.typ)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s schema:\n got %s\nwant %s", what, strings.Join(got, "; "), strings.Join(want, "; "))
	}
}

// normType prints a type without list element names ("item" in Arrow,
// "element" after a Parquet round trip) and nullability marks.
func normType(dt arrow.DataType) string {
	switch t := dt.(type) {
	case *arrow.ListType:
		return "list<" + normType(t.Elem()) + ">"
	case *arrow.StructType:
		var fs []string
		for _, f := range t.Fields() {
			fs = append(fs, f.Name+": "+normType(f.Type))
		}
		return "struct<" + strings.Join(fs, ", ") + ">"
	}
	return dt.String()
}

// recordRows converts record batches to rows of plain JSON values.
func recordRows(t *testing.T, recs ...arrow.RecordBatch) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	for _, rec := range recs {
		if err := array.RecordToJSON(rec, &buf); err != nil {
			t.Fatal(err)
		}
	}
	var rows []map[string]any
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	return rows
}

// checkRows compares the rows of one partition file with wantRows.
func checkRows(t *testing.T, what string, ids []string, rows []map[string]any) {
	t.Helper()
	if len(rows) != len(ids) {
		t.Errorf("%s: %d rows, want %d", what, len(rows), len(ids))
		return
	}
	for i, row := range rows {
		var want map[string]any
		if err := json.Unmarshal([]byte(wantRows[ids[i]]), &want); err != nil {
			t.Fatalf("wantRows[%s]: %v", ids[i], err)
		}
		if ts, ok := row["created_at"].(string); ok {
			row["created_at"] = normTime(t, ts)
		}
		if !reflect.DeepEqual(row, want) {
			g, _ := json.Marshal(row)
			w, _ := json.Marshal(want)
			t.Errorf("%s row %d:\n got %s\nwant %s", what, i, g, w)
		}
	}
}

// normTime parses the readers' renderings of a timestamp and prints it as RFC 3339 UTC.
func normTime(t *testing.T, s string) string {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z0700", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05Z"} {
		if tm, err := time.Parse(l, s); err == nil {
			return tm.UTC().Format(time.RFC3339)
		}
	}
	t.Errorf("unparsed timestamp %q", s)
	return s
}

func TestDatasetSinkArrowIPC(t *testing.T) {
	wmem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	dir, _ := testDataset(t, wmem)
	wmem.AssertSize(t, 0)

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for day, ids := range wantPartitions {
		path := partitionFile(dir, day, ".arrow")
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		checkSchema(t, path, r.Schema())
		// One record batch per BatchRows (3) rows of the partition.
		if want := (len(ids) + 2) / 3; r.NumRecords() != want {
			t.Errorf("%s: %d record batches, want %d", path, r.NumRecords(), want)
		}
		var recs []arrow.RecordBatch
		for i := 0; i < r.NumRecords(); i++ {
			rec, err := r.RecordBatch(i)
			if err != nil {
				t.Fatal(err)
			}
			rec.Retain()
			recs = append(recs, rec)
		}
		checkRows(t, path, ids, recordRows(t, recs...))
		for _, rec := range recs {
			rec.Release()
		}
		r.Close()
		f.Close()
	}
}

func TestDatasetSinkParquet(t *testing.T) {
	wmem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	dir, _ := testDataset(t, wmem)
	wmem.AssertSize(t, 0)

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for day, ids := range wantPartitions {
		path := partitionFile(dir, day, ".parquet")
		pf, err := file.OpenParquetFile(path, false)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if pf.NumRows() != int64(len(ids)) {
			t.Errorf("%s: %d rows, want %d", path, pf.NumRows(), len(ids))
		}
		// One row group per BatchRows (3) rows of the partition.
		if want := (len(ids) + 2) / 3; pf.NumRowGroups() != want {
			t.Errorf("%s: %d row groups, want %d", path, pf.NumRowGroups(), want)
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1024}, mem)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		checkSchema(t, path, tbl.Schema())
		tr := array.NewTableReader(tbl, 1024)
		var rows []map[string]any
		for tr.Next() {
			rows = append(rows, recordRows(t, tr.RecordBatch())...)
		}
		checkRows(t, path, ids, rows)
		tr.Release()
		tbl.Release()
		pf.Close()
	}
}

// TestDatasetIndependentReader reads the files with readers not written in
// Go (testdata/readers: hyparquet for Parquet, apache-arrow for Arrow IPC).
func TestDatasetIndependentReader(t *testing.T) {
	readers := filepath.Join("..", "testdata", "readers")
	if _, err := os.Stat(filepath.Join(readers, "node_modules", "hyparquet")); err != nil {
		t.Skip("independent readers not installed: run `npm ci` in testdata/readers")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: the independent readers need Node.js")
	}
	dir, _ := testDataset(t, memory.NewGoAllocator())
	var args []string
	var days []string
	for day := range wantPartitions {
		days = append(days, day)
	}
	sort.Strings(days)
	for _, day := range days {
		args = append(args, partitionFile(dir, day, ".parquet"), partitionFile(dir, day, ".arrow"))
	}
	ctx := testContext(t)
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join(readers, "read.mjs")}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node read.mjs: %v\n%s", err, stderr.String())
	}
	var res struct {
		Files []struct {
			Path      string
			Format    string
			Rows      int
			Columns   []string
			RowGroups int `json:"row_groups"`
			Batches   int
			Data      []map[string]any
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("reader output: %v\n%s", err, out)
	}
	if len(res.Files) != len(args) {
		t.Fatalf("reader read %d files, want %d", len(res.Files), len(args))
	}
	var wantCols []string
	for _, c := range wantColumns {
		wantCols = append(wantCols, c.name)
	}
	for i, f := range res.Files {
		day := days[i/2]
		ids := wantPartitions[day]
		what := f.Format + " " + day
		if f.Path != args[i] || f.Rows != len(ids) {
			t.Errorf("%s: %s has %d rows, want %d", what, f.Path, f.Rows, len(ids))
		}
		if !reflect.DeepEqual(f.Columns, wantCols) {
			t.Errorf("%s: columns %v, want %v", what, f.Columns, wantCols)
		}
		if n := f.RowGroups + f.Batches; n != (len(ids)+2)/3 {
			t.Errorf("%s: %d row groups or batches, want %d", what, n, (len(ids)+2)/3)
		}
		checkRows(t, what, ids, f.Data)
	}
}

func TestDatasetSinkEmptyAndAllRejected(t *testing.T) {
	for _, tt := range []struct {
		name    string
		records []string
	}{
		{name: "no records"},
		{name: "only rejects", records: []string{`{"text":1}`, `[]`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			dir := t.TempDir()
			sink, err := NewDatasetSink(DatasetConfig{Dir: dir, RunID: "empty", Mem: mem})
			if err != nil {
				t.Fatal(err)
			}
			for i, js := range tt.records {
				if err := sink.Write(testContext(t), memRecord(t, i+1, js)); err != nil {
					t.Fatal(err)
				}
			}
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			mem.AssertSize(t, 0)
			if got, want := listFiles(t, dir), []string{"alerts.jsonl", "rejects.jsonl"}; !reflect.DeepEqual(got, want) {
				t.Errorf("files %v, want %v", got, want)
			}
			if n := len(readLines(t, filepath.Join(dir, "rejects.jsonl"))); n != len(tt.records) {
				t.Errorf("%d rejects, want %d", n, len(tt.records))
			}
			if len(sink.Files()) != 0 || len(sink.Partitions()) != 0 {
				t.Errorf("files %v partitions %v", sink.Files(), sink.Partitions())
			}
		})
	}
}

// TestDatasetSinkSecondRun checks that a run only adds files: the first
// run's record files stay as they were; alerts and rejects are appended.
func TestDatasetSinkSecondRun(t *testing.T) {
	dir, _ := testDataset(t, memory.NewGoAllocator())
	before := map[string][]byte{}
	for _, f := range listFiles(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		before[f] = b
	}
	sink, err := NewDatasetSink(DatasetConfig{Dir: dir, RunID: "run2", RunTime: datasetRunTime})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	r := memRecord(t, 1, `{"id":"s1","text":"second run","created_at":"2026-03-01"}`)
	r.Out = fakeAnalysis("negative", -1, lexicons.LevelHigh)
	if err := sink.Write(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := sink.Write(ctx, memRecord(t, 2, `{"id":"s2"}`)); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	after := listFiles(t, dir)
	for f, b := range before {
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if strings.HasSuffix(f, ".jsonl") {
			if !bytes.HasPrefix(got, b) || len(got) <= len(b) {
				t.Errorf("%s was not appended to", f)
			}
		} else if !bytes.Equal(got, b) {
			t.Errorf("%s changed in the second run", f)
		}
	}
	for _, f := range []string{"records/date=2026-03-01/part-run2.arrow", "records/date=2026-03-01/part-run2.parquet"} {
		if !slices.Contains(after, f) {
			t.Errorf("second run did not add %s: %v", f, after)
		}
	}
	if len(after) != len(before)+2 {
		t.Errorf("files after the second run: %v", after)
	}
}

func TestWriteManifest(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "runs"), 0o755); err != nil {
		t.Fatal(err)
	}
	m1 := &Manifest{RunID: "run1", Counts: Counts{Read: 5, Written: 4, Rejected: 1},
		Inputs:     []*InputStat{{Path: "a.jsonl", Format: "jsonl", Encoding: "utf-8", Read: 5, Rejected: 1}},
		Partitions: map[string]int64{"2026-03-01": 4}, Files: []string{"x.parquet"}, Versions: Versions{Vocal: "test"}}
	m2 := &Manifest{RunID: "run2", Counts: Counts{Read: 1, Written: 1}}
	for _, m := range []*Manifest{m1, m2} {
		if err := WriteManifest(dir, m); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := listFiles(t, dir), []string{"manifest.json", "runs/run1.json", "runs/run2.json"}; !reflect.DeepEqual(got, want) {
		t.Errorf("files %v, want %v (no temporary files)", got, want)
	}
	latest, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	run2, _ := os.ReadFile(filepath.Join(dir, "runs", "run2.json"))
	if !bytes.Equal(latest, run2) {
		t.Error("manifest.json is not the latest run's manifest")
	}
	var back Manifest
	b, _ := os.ReadFile(filepath.Join(dir, "runs", "run1.json"))
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.RunID != "run1" || back.Counts != m1.Counts || *back.Inputs[0] != *m1.Inputs[0] || back.Partitions["2026-03-01"] != 4 {
		t.Errorf("runs/run1.json = %+v", back)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.json")
	for _, content := range []string{strings.Repeat("long content ", 100), "short"} {
		if err := WriteFileAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != content {
			t.Errorf("content %.20q, want %.20q", got, content)
		}
	}
	if got := listFiles(t, filepath.Dir(path)); !reflect.DeepEqual(got, []string{"f.json"}) {
		t.Errorf("files %v", got)
	}
	if err := WriteFileAtomic(filepath.Join(t.TempDir(), "missing", "f.json"), []byte("x")); err == nil {
		t.Error("WriteFileAtomic into a missing directory returned nil")
	}
}

// TestRunIntoDataset runs the fixtures through the runner into the dataset
// sink: the manifest's counts reconcile with the inputs and partitions.
func TestRunIntoDataset(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	dir := t.TempDir()
	in := openInputs(t, DefaultInputConfig(), fixture("feedback.jsonl"), fixture("bad.jsonl"), fixture("feedback.csv"), fixture("bad.csv"))
	sink, err := NewDatasetSink(DatasetConfig{Dir: dir, RunID: "r", BatchRows: 2, RunTime: datasetRunTime, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	c, err := runBounded(t, testContext(t), in, jitterStage, sink, RunOptions{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	mem.AssertSize(t, 0)
	m := &Manifest{RunID: "r", Inputs: in.Stats, Counts: c, Alerts: sink.Alerts, Partitions: sink.Partitions(), Files: sink.Files()}
	if err := WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	var back Manifest
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	var inRead, inRej, partRows int64
	for _, st := range back.Inputs {
		inRead += st.Read
		inRej += st.Rejected
	}
	for _, n := range back.Partitions {
		partRows += n
	}
	bc := back.Counts
	if bc.Read != bc.Written+bc.Rejected || bc.Read != inRead || bc.Rejected != inRej || bc.Written != partRows {
		t.Errorf("manifest does not reconcile: counts %+v, inputs read %d rejected %d, partition rows %d", bc, inRead, inRej, partRows)
	}
	if n := len(readLines(t, filepath.Join(dir, "rejects.jsonl"))); int64(n) != bc.Rejected {
		t.Errorf("%d rejects in rejects.jsonl, want %d", n, bc.Rejected)
	}
	// feedback.jsonl's created_at and feedback.csv's five days; the rest
	// have no time and go to the run's day.
	for _, day := range []string{"2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-04-01"} {
		if back.Partitions[day] == 0 {
			t.Errorf("no partition %s in %v", day, back.Partitions)
		}
	}
	for _, f := range listFiles(t, dir) {
		if strings.Contains(f, "/.") || strings.HasPrefix(f, ".") {
			t.Errorf("temporary file left: %s", f)
		}
	}
}
