package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// ackLog records the acks of records, by id, in the order they came.
type ackLog struct {
	mu   sync.Mutex
	acks []string // "id" for an ack, "id!" for a nack
	errs map[string]error
}

func (a *ackLog) attach(r *Record) {
	id := r.ID
	r.Ack = func(err error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if err == nil {
			a.acks = append(a.acks, id)
			return
		}
		a.acks = append(a.acks, id+"!")
		if a.errs == nil {
			a.errs = map[string]error{}
		}
		a.errs[id] = err
	}
}

func (a *ackLog) snapshot() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.acks)
}

// ackingSource wraps genSource and attaches an ack to every record.
type ackingSource struct {
	*genSource
	log *ackLog
}

func (s ackingSource) Next(ctx context.Context) (*Record, error) {
	r, err := s.genSource.Next(ctx)
	if r != nil {
		s.log.attach(r)
	}
	return r, err
}

// batchSink is a Committer that makes records durable every `every` writes
// (or all at once when asked), and checks that no record is acked before it
// is durable.
type batchSink struct {
	t        *testing.T
	log      *ackLog
	every    int64
	written  int64
	durable  int64
	ids      []string
	commits  int
	failAt   int64 // fail the Write of this record number (1-based); 0 = never
	commitFn func() bool
}

func (s *batchSink) Write(_ context.Context, r *Record) error {
	if s.written+1 == s.failAt {
		return errors.New("disk full")
	}
	s.written++
	s.ids = append(s.ids, r.ID)
	for _, id := range s.log.snapshot() {
		if !strings.HasSuffix(id, "!") && slices.Index(s.ids, id) >= int(s.durable) {
			s.t.Errorf("record %s acked before it was durable (durable %d)", id, s.durable)
		}
	}
	return nil
}

func (s *batchSink) Commit(_ context.Context, all bool) (int64, error) {
	due := s.written-s.durable >= s.every
	if s.commitFn != nil {
		due = s.commitFn()
	}
	if all || due {
		s.durable = s.written
		s.commits++
	}
	return s.durable, nil
}

func (s *batchSink) Close() error { return nil }

func TestRunAcksAfterCommit(t *testing.T) {
	log := &ackLog{}
	src := ackingSource{&genSource{n: 100, rejectEvery: 9}, log}
	sink := &batchSink{t: t, log: log, every: 7}
	c, err := runBounded(t, testContext(t), src, jitterStage, sink, RunOptions{Workers: 4, MaxInFlight: 8})
	if err != nil || c.Read != 100 {
		t.Fatalf("Run = %+v, %v", c, err)
	}
	acks := log.snapshot()
	want := make([]string, 100)
	for i := range want {
		want[i] = fmt.Sprintf("r%06d", i)
	}
	if !slices.Equal(acks, want) {
		t.Errorf("acks %v, want every record acked once, in order, rejects included", acks)
	}
	if sink.commits < 2 || sink.commits > 100/7+1 {
		t.Errorf("%d commits, want one per 7 or more records and a last one", sink.commits)
	}
}

func TestRunNacksWhatIsNotDurable(t *testing.T) {
	log := &ackLog{}
	src := ackingSource{&genSource{n: 1000}, log}
	// Durable every 4 records; the 11th write fails: records 1-8 were
	// committed, 9-10 are committed by the last commit of the run, the
	// failing one and those after it are nacked.
	sink := &batchSink{t: t, log: log, every: 4, failAt: 11}
	c, err := runBounded(t, testContext(t), src, fakeStage, sink, RunOptions{Workers: 2, MaxInFlight: 16})
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("Run error %v, want the sink's", err)
	}
	acks := log.snapshot()
	read := int(src.next.Load())
	if len(acks) != read {
		t.Fatalf("%d acks for %d records read: every record read must be acked or nacked once", len(acks), read)
	}
	seen := map[string]bool{}
	for i, a := range acks {
		id := strings.TrimSuffix(a, "!")
		if seen[id] {
			t.Errorf("record %s acked twice", id)
		}
		seen[id] = true
		if n, _ := fmt.Sscanf(id, "r%06d", new(int)); n != 1 {
			t.Errorf("ack %d: %q", i, a)
		}
		var num int
		fmt.Sscanf(id, "r%06d", &num)
		if nacked := strings.HasSuffix(a, "!"); nacked != (num >= 10) {
			t.Errorf("record %s: nacked %v, want acks for the 10 records written", id, nacked)
		}
	}
	for _, id := range []string{"r000010"} {
		if e := log.errs[id]; e == nil || e.Error() != "disk full" {
			t.Errorf("record %s nacked with %v, want the sink's error", id, e)
		}
	}
	if c.Read != c.Written+c.Rejected {
		t.Errorf("counts %+v", c)
	}
}

// blockingSource yields its records, then blocks until ctx is done.
type blockingSource struct {
	recs []*Record
	i    int
}

func (s *blockingSource) Next(ctx context.Context) (*Record, error) {
	if s.i < len(s.recs) {
		s.i++
		return s.recs[s.i-1], nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (s *blockingSource) Close() error { return nil }

// TestRunCommitsWhileIdle: a record written while the source has nothing
// more is committed and acked by the poll, not only at the next record.
func TestRunCommitsWhileIdle(t *testing.T) {
	log := &ackLog{}
	r := &Record{ID: "only", Text: "x"}
	log.attach(r)
	var polls sync.Mutex
	ready := false
	sink := &batchSink{t: t, log: log, commitFn: func() bool { polls.Lock(); defer polls.Unlock(); return ready }}
	stop, stopNow := context.WithCancel(context.Background())
	defer stopNow()
	done := make(chan error, 1)
	go func() {
		_, err := Run(testContext(t), Until(&blockingSource{recs: []*Record{r}}, stop), fakeStage, sink, RunOptions{CommitPoll: time.Millisecond})
		done <- err
	}()
	polls.Lock()
	ready = true
	polls.Unlock()
	deadline := time.After(testTimeout)
	for len(log.snapshot()) == 0 {
		select {
		case <-deadline:
			t.Fatal("the idle run never committed")
		case <-time.After(time.Millisecond):
		}
	}
	stopNow()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after stop: %v, want a clean end", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Run did not stop")
	}
	if got := log.snapshot(); !slices.Equal(got, []string{"only"}) {
		t.Errorf("acks %v", got)
	}
}

// chanSink hands every written record to a channel.
type chanSink chan *Record

func (c chanSink) Write(_ context.Context, r *Record) error { c <- r; return nil }
func (c chanSink) Close() error                             { return nil }

// TestStreamSourceRecordByRecord: each stdin line is tagged and written
// while the writer still holds the pipe open, and a stop ends the run even
// with a read blocked on the pipe.
func TestStreamSourceRecordByRecord(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	stop, stopNow := context.WithCancel(context.Background())
	defer stopNow()
	src, err := NewStreamSource("<stdin>", StopReader(pr, stop), DefaultInputConfig())
	if err != nil {
		t.Fatal(err)
	}
	out := make(chanSink)
	done := make(chan error, 1)
	go func() {
		_, err := Run(testContext(t), Until(src, stop), fakeStage, out, RunOptions{Workers: 2})
		done <- err
	}()
	lines := []string{`{"id":"a","text":"物流很快"}`, `not json`, `{"id":"b","text":"ok","n":1}`}
	for i, l := range lines {
		go pw.Write([]byte(l + "\n"))
		select {
		case r := <-out:
			if r.Line != i+1 || (i == 1) != (r.Err != nil) {
				t.Errorf("line %d: got line %d err %v", i+1, r.Line, r.Err)
			}
		case <-time.After(testTimeout):
			t.Fatalf("line %d was not written before the next one arrived", i+1)
		}
	}
	stopNow()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after stop: %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("a read blocked on the pipe kept the run from stopping")
	}
}

func TestStreamSourceGB18030(t *testing.T) {
	cfg := DefaultInputConfig()
	cfg.Encoding = "gb18030"
	src, err := NewStreamSource("gbk", strings.NewReader("{\"text\":\"\xce\xef\xc1\xf7\"}\n"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, src)
	if len(recs) != 1 || recs[0].Text != "物流" {
		t.Fatalf("got %+v", recs)
	}
}

func TestParseMessage(t *testing.T) {
	cfg := DefaultInputConfig()
	r := ParseMessage("nats:FEEDBACK", 42, []byte(`{"text":"hi","csat":2}`), cfg)
	if r.Err != nil || r.ID != GenerateID("nats:FEEDBACK", 42, "hi") || r.Line != 42 || fieldsString(r.Fields) != `csat=2` {
		t.Errorf("got %+v", r)
	}
	long := `{"text":"` + strings.Repeat("x", 5000) + `"}`
	if r := ParseMessage("s", 1, []byte(long), cfg); r.Err != nil || r.Raw != long {
		t.Errorf("raw of a long message clipped or rejected: %v, %d bytes", r.Err, len(r.Raw))
	}
	r = ParseMessage("s", 7, []byte(`{"lang":"x","text":"t"}`), cfg)
	checkReject(t, r, "s", 7, "lang", "field name is reserved for output (rename it)")
}

func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{`{"text":"a"}`, `{"id":1,"text":"b","x":[1,{}]}`, `nope`, "{\"text\":\"\xff\"}", `{"text":null}`} {
		f.Add([]byte(s))
	}
	cfg := DefaultInputConfig()
	cfg.MaxLineBytes = 1024
	f.Fuzz(func(t *testing.T, b []byte) {
		r := ParseMessage("fuzz", 1, b, cfg)
		if r.Err == nil && r.ID == "" {
			t.Errorf("accepted record without an id: %q", b)
		}
		if r.Err != nil {
			var re *RejectError
			if !errors.As(r.Err, &re) || re.Line != 1 {
				t.Errorf("reject %v does not name the line", r.Err)
			}
		}
	})
}

func TestTeeCommitsLeastDurable(t *testing.T) {
	log := &ackLog{}
	a := &batchSink{t: t, log: log, every: 2}
	b := &batchSink{t: t, log: log, every: 3}
	plain := &recordingSink{}
	sink := Tee(a, plain, b).(Committer)
	want := []int64{0, 0, 2, 3, 3, 6} // the least of every 2 and every 3
	for i, w := range want {
		if err := sink.(Sink).Write(context.Background(), &Record{ID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
		d, err := sink.Commit(context.Background(), false)
		if err != nil || d != w {
			t.Errorf("after write %d: durable %d, %v; want %d", i+1, d, err, w)
		}
	}
	if d, _ := sink.Commit(context.Background(), true); d != 6 {
		t.Errorf("durable %d after a full commit, want 6", d)
	}
}

func TestDeadLetterFileAndRejectSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	dl, err := OpenDeadLetterFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sink := RejectSink{DL: dl}
	ok := memRecord(t, 1, `{"id":"a","text":"fine"}`)
	bad := memRecord(t, 2, `{"id":"b"}`)
	for _, r := range []*Record{ok, bad} {
		if err := sink.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	dl.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"source":"mem.jsonl","line":2,"field":"text","reason":"missing text field","raw":"{\"id\":\"b\"}"}` + "\n"
	if string(b) != want {
		t.Errorf("dead letter\n%s\nwant\n%s", b, want)
	}
	if _, err := OpenDeadLetterFile(filepath.Join(path, "sub")); err == nil {
		t.Error("no error for a dead letter under a file")
	}
}

// TestRollingSink: parts are committed by age and by size, each part's files
// are complete and readable when they appear, and acks follow the commits.
func TestRollingSink(t *testing.T) {
	dir := t.TempDir()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	s, err := NewRollingSink(RollingConfig{
		Dataset:  DatasetConfig{Dir: dir, RunID: "s1", BatchRows: 2, Mem: mem},
		MaxBytes: 200, MaxAge: time.Minute, Source: "nats:FEEDBACK", Versions: Versions{Vocal: "test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return now }
	ctx := context.Background()
	write := func(line int, js string) {
		t.Helper()
		r := memRecord(t, line, js)
		fakeStage(r)
		if err := s.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	commit := func(want int64) {
		t.Helper()
		d, err := s.Commit(ctx, false)
		if err != nil || d != want {
			t.Fatalf("Commit = %d, %v; want %d durable", d, err, want)
		}
	}
	write(1, `{"id":"a","text":"one","created_at":"2026-05-01"}`)
	write(2, `{"id":"b","text":"two","created_at":"2026-05-02"}`)
	write(3, `{"id":"c"}`) // rejected
	commit(0)
	if files := recordFiles(t, dir); len(files) != 0 {
		t.Fatalf("files visible before the part is committed: %v", files)
	}
	now = now.Add(time.Minute)
	commit(3)                                                   // by age
	write(4, `{"id":"d","text":"`+strings.Repeat("长", 70)+`"}`) // 210 bytes: by size
	commit(4)
	write(5, `{"id":"e","text":"five"}`)
	commit(4)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"records/date=2026-05-01/part-s1-000001.arrow", "records/date=2026-05-01/part-s1-000001.parquet",
		"records/date=2026-05-01/part-s1-000002.arrow", "records/date=2026-05-01/part-s1-000002.parquet",
		"records/date=2026-05-01/part-s1-000003.arrow", "records/date=2026-05-01/part-s1-000003.parquet",
		"records/date=2026-05-02/part-s1-000001.arrow", "records/date=2026-05-02/part-s1-000001.parquet",
	}
	if got := recordFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("files\n%v\nwant\n%v", got, want)
	}
	rows := 0
	for _, f := range want {
		rows += fileRows(t, filepath.Join(dir, f))
	}
	if rows != 2*4 {
		t.Errorf("%d rows in Arrow and Parquet files, want 4 records twice", rows)
	}
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, "runs", "s1-000001.json"))
	if err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("manifest of part 1: %v", err)
	}
	if m.Counts != (Counts{Read: 3, Written: 2, Rejected: 1}) || len(m.Inputs) != 1 || m.Inputs[0].Path != "nats:FEEDBACK" {
		t.Errorf("part 1 manifest counts %+v inputs %+v", m.Counts, m.Inputs)
	}
	if lines := readLines(t, filepath.Join(dir, "rejects.jsonl")); len(lines) != 1 {
		t.Errorf("rejects.jsonl has %d lines, want 1", len(lines))
	}
}

// recordFiles lists the visible record files under dir/records.
func recordFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(dir, "records"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// fileRows opens an Arrow IPC or Parquet file with its reader and counts its rows.
func fileRows(t *testing.T, path string) int {
	t.Helper()
	if strings.HasSuffix(path, ".parquet") {
		r, err := file.OpenParquetFile(path, false)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer r.Close()
		return int(r.NumRows())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer r.Close()
	n := 0
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordBatch(i)
		if err != nil {
			t.Fatal(err)
		}
		n += int(rec.NumRows())
	}
	return n
}
