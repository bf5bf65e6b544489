package pipeline

import (
	"context"
	"io"
	"strings"
	"testing"
)

// ctxTestStage records the context it was given.
type ctxTestStage struct{ got *context.Context }

func (s ctxTestStage) Process(r *Record) {}
func (s ctxTestStage) ProcessContext(ctx context.Context, r *Record) {
	*s.got = ctx
	r.Out = &Analysis{Lang: "zh"}
}

func TestRedacting(t *testing.T) {
	redactPhone := func(s string) string { return strings.ReplaceAll(s, "13812345678", "[PHONE]") }
	var seen string
	st := Redacting(stageFunc(func(r *Record) { seen = r.Text; r.Out = &Analysis{} }), redactPhone)
	r := &Record{ID: "a", Text: "电话13812345678", Raw: `{"text":"电话13812345678"}`}
	st.Process(r)
	if seen != "电话[PHONE]" || r.Text != "电话[PHONE]" || r.Out == nil || !strings.Contains(r.Raw, "13812345678") {
		t.Errorf("inner saw %q; record text %q raw %q", seen, r.Text, r.Raw)
	}
	rej := &Record{Raw: "bad 13812345678", Err: &RejectError{Reason: "x"}}
	st.Process(rej)
	if rej.Raw != "bad [PHONE]" {
		t.Errorf("rejected raw %q", rej.Raw)
	}
	// A context-aware inner stage gets the run's context.
	var got context.Context
	ctx := context.WithValue(context.Background(), ctxTestStage{}, 1)
	cs := Redacting(ctxTestStage{&got}, redactPhone).(ContextStage)
	cs.ProcessContext(ctx, &Record{Text: "x"})
	if got != ctx {
		t.Error("the context did not reach the inner stage")
	}
}

// TestRunContextStage: Run hands a ContextStage its own context, derived from
// the caller's.
func TestRunContextStage(t *testing.T) {
	var got context.Context
	ctx := context.WithValue(testContext(t), ctxTestStage{}, 1)
	src := &ctxTestSource{recs: []*Record{{ID: "a", Text: "x"}}}
	if _, err := Run(ctx, src, ctxTestStage{&got}, ctxTestSink{}, RunOptions{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Value(ctxTestStage{}) != 1 {
		t.Errorf("ProcessContext got %v", got)
	}
}

type ctxTestSource struct{ recs []*Record }

func (s *ctxTestSource) Next(context.Context) (*Record, error) {
	if len(s.recs) == 0 {
		return nil, io.EOF
	}
	r := s.recs[0]
	s.recs = s.recs[1:]
	return r, nil
}
func (s *ctxTestSource) Close() error { return nil }

type ctxTestSink struct{}

func (ctxTestSink) Write(context.Context, *Record) error { return nil }
func (ctxTestSink) Close() error                         { return nil }
