package pipeline

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/models"
	"github.com/vocal-dev/vocal/topics"
)

// testTimeout bounds every blocking wait of these tests, so that a deadlock
// fails the test instead of hanging it. It is not a performance assertion.
const testTimeout = 60 * time.Second

// testContext is cancelled at testTimeout or at the end of the test.
func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// fixture is the path of a file under the repository's testdata/input.
func fixture(name string) string { return filepath.Join("..", "testdata", "input", name) }

// writeFile writes b to name in a fresh temporary directory.
func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// openInputs opens paths with cfg, failing the test on a config error.
func openInputs(t testing.TB, cfg InputConfig, paths ...string) *Inputs {
	t.Helper()
	in, err := OpenInputs(paths, cfg)
	if err != nil {
		t.Fatalf("OpenInputs(%v): %v", paths, err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// readAll drains src. A source fault fails the test.
func readAll(t testing.TB, src Source) []*Record {
	t.Helper()
	recs, err := drain(testContext(t), src)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return recs
}

// drain reads src to io.EOF and returns the records and the first fault.
func drain(ctx context.Context, src Source) ([]*Record, error) {
	var recs []*Record
	for {
		r, err := src.Next(ctx)
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, r)
	}
}

// wantRec is what a test expects of one record a source read.
type wantRec struct {
	line   int
	id     string // "gen" = a generated id (checked against GenerateID)
	text   string
	fields string // passthrough fields as name=raw pairs joined by " ", in order

	// A rejected record: the field and a substring of the reason.
	rejField  string
	rejReason string
}

// fieldsString renders passthrough fields as name=raw pairs for comparison.
func fieldsString(fs []Field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Name + "=" + string(f.Value)
	}
	return strings.Join(parts, " ")
}

// checkRecords compares what a source read with want, record by record.
func checkRecords(t *testing.T, source string, got []*Record, want []wantRec) {
	t.Helper()
	if len(got) != len(want) {
		for _, r := range got {
			t.Logf("got line %d id %q err %v", r.Line, r.ID, r.Err)
		}
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	for i, w := range want {
		r := got[i]
		if r.Source != source || r.Line != w.line {
			t.Errorf("record %d: at %s:%d, want %s:%d", i, r.Source, r.Line, source, w.line)
		}
		if w.rejReason != "" {
			checkReject(t, r, source, w.line, w.rejField, w.rejReason)
			continue
		}
		if r.Err != nil {
			t.Errorf("record %d (line %d): unexpected reject: %v", i, w.line, r.Err)
			continue
		}
		wantID := w.id
		if wantID == "gen" {
			wantID = GenerateID(source, w.line, w.text)
		}
		if r.ID != wantID {
			t.Errorf("record %d (line %d): id %q, want %q", i, w.line, r.ID, wantID)
		}
		if r.Text != w.text {
			t.Errorf("record %d (line %d): text %q, want %q", i, w.line, r.Text, w.text)
		}
		if got := fieldsString(r.Fields); got != w.fields {
			t.Errorf("record %d (line %d): fields\n got %s\nwant %s", i, w.line, got, w.fields)
		}
	}
}

// checkReject asserts that r was rejected at source:line, naming field, with
// a reason containing reason; and that the error text carries all of them.
func checkReject(t *testing.T, r *Record, source string, line int, field, reason string) {
	t.Helper()
	var re *RejectError
	if !errors.As(r.Err, &re) {
		t.Errorf("line %d: want a *RejectError (%s), got %v", line, reason, r.Err)
		return
	}
	if re.Source != source || re.Line != line || re.Field != field || !strings.Contains(re.Reason, reason) {
		t.Errorf("line %d: reject %+v, want source %q line %d field %q reason containing %q", line, *re, source, line, field, reason)
	}
	msg := r.Err.Error()
	if !strings.Contains(msg, source) || !strings.Contains(msg, re.Reason) || (field != "" && !strings.Contains(msg, `"`+field+`"`)) {
		t.Errorf("line %d: error text %q does not name the file, field and reason", line, msg)
	}
	if r.Out != nil {
		t.Errorf("line %d: rejected record has an analysis", line)
	}
}

// stageFunc adapts a function to Stage.
type stageFunc func(*Record)

func (f stageFunc) Process(r *Record) { f(r) }

// fakeStage gives every accepted record a fixed neutral analysis, without the
// real Analyzer.
var fakeStage = stageFunc(func(r *Record) {
	if r.Err == nil {
		r.Out = fakeAnalysis("neutral", 0, lexicons.LevelNone)
	}
})

// fakeAnalysis builds an Analysis by hand.
func fakeAnalysis(label string, score float64, risk string, mentions ...topics.Mention) *Analysis {
	a := &Analysis{
		Lang:      "zh",
		Sentiment: SentimentOut{Label: label, Score: score, Source: "lexicon", Evidence: []Evidence{}},
		Topics:    mentions,
		Risk:      topics.Risk{Level: risk, Hits: []topics.RiskHit{}},
	}
	if risk != lexicons.LevelNone {
		a.Risk.Hits = append(a.Risk.Hits, topics.RiskHit{Term: "投诉", Category: "complaint", Level: risk, Start: 0, End: 2})
	}
	return a
}

// sharedAnalyzers are the real tag stage with the embedded models (the
// product default) and with lexicons only, built once per test binary: the
// gse dictionary takes seconds to load.
var sharedAnalyzers = sync.OnceValues(func() ([2]*Analyzer, error) {
	set, err := lexicons.Default()
	if err != nil {
		return [2]*Analyzer{}, err
	}
	ms, err := models.Default()
	if err != nil {
		return [2]*Analyzer{}, err
	}
	withModels, err := NewAnalyzerWithModels(set, ms, DefaultTopicMinProb)
	if err != nil {
		return [2]*Analyzer{}, err
	}
	lexiconOnly, err := NewAnalyzer(set)
	return [2]*Analyzer{withModels, lexiconOnly}, err
})

// realAnalyzer returns the shared Analyzer with models, skipping in -short
// mode.
func realAnalyzer(t testing.TB) *Analyzer { return sharedAnalyzer(t, 0) }

// lexiconAnalyzer is realAnalyzer without models.
func lexiconAnalyzer(t testing.TB) *Analyzer { return sharedAnalyzer(t, 1) }

func sharedAnalyzer(t testing.TB, i int) *Analyzer {
	t.Helper()
	if testing.Short() {
		t.Skip("the real Analyzer loads a large dictionary; skipped in -short mode")
	}
	an, err := sharedAnalyzers()
	if err != nil {
		t.Fatalf("NewAnalyzer: %v", err)
	}
	return an[i]
}
