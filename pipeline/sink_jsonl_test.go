package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/topics"
)

// topKeys lists the keys of a JSON object in order.
func topKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", b)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestMarshalRecord(t *testing.T) {
	m := topics.Mention{Topic: "logistics", Sentiment: "positive", Score: 0.7, Evidence: "物流很快", Start: 0, End: 4}
	tests := []struct {
		name string
		rec  Record
		want string
	}{
		{
			name: "passthrough raw and in order",
			rec: Record{ID: "a1", Text: "物流很快", Out: fakeAnalysis("positive", 0.5, lexicons.LevelNone, m),
				Fields: []Field{{"channel", json.RawMessage(`"app"`)}, {"csat", json.RawMessage(`4.50`)}, {"meta", json.RawMessage(`{"k": [1, null]}`)}}},
			want: `{"id":"a1","text":"物流很快","lang":"zh","sentiment":{"label":"positive","score":0.5,"source":"lexicon","evidence":[]},` +
				`"topics":[{"topic":"logistics","sentiment":"positive","score":0.7,"evidence":"物流很快","start":0,"end":4,"cue":""}],` +
				`"risk":{"level":"none","hits":[]},"channel":"app","csat":4.50,"meta":{"k": [1, null]}}`,
		},
		{
			name: "no topics is an empty list",
			rec:  Record{ID: "a2", Text: "", Out: fakeAnalysis("neutral", 0, lexicons.LevelHigh)},
			want: `{"id":"a2","text":"","lang":"zh","sentiment":{"label":"neutral","score":0,"source":"lexicon","evidence":[]},"topics":[],` +
				`"risk":{"level":"high","hits":[{"term":"投诉","category":"complaint","level":"high","start":0,"end":2}]}}`,
		},
		{
			name: "html and quotes stay valid JSON",
			rec:  Record{ID: `q"1`, Text: "<b>a&b</b>\n\"x\"", Out: fakeAnalysis("neutral", 0, lexicons.LevelNone)},
			want: `{"id":"q\"1","text":"\u003cb\u003ea\u0026b\u003c/b\u003e\n\"x\"","lang":"zh","sentiment":{"label":"neutral","score":0,"source":"lexicon","evidence":[]},"topics":[],"risk":{"level":"none","hits":[]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := MarshalRecord(&tt.rec)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
			if !json.Valid(b) {
				t.Errorf("invalid JSON: %s", b)
			}
			var back struct{ ID, Text string }
			if err := json.Unmarshal(b, &back); err != nil || back.ID != tt.rec.ID || back.Text != tt.rec.Text {
				t.Errorf("round trip: %+v, %v", back, err)
			}
		})
	}
	if _, err := MarshalRecord(&Record{ID: "x"}); err == nil {
		t.Error("MarshalRecord accepted a record without analysis")
	}
}

func TestMarshalReject(t *testing.T) {
	tests := []struct {
		name string
		rec  Record
		want RejectLine
	}{
		{name: "reject error", rec: Record{Source: "in.jsonl", Line: 7, Raw: `{"lang":1}`, Err: reject("in.jsonl", 7, "lang", "field name is reserved")},
			want: RejectLine{Source: "in.jsonl", Line: 7, Field: "lang", Reason: "field name is reserved", Raw: `{"lang":1}`}},
		{name: "other error", rec: Record{Source: "in.csv", Line: 2, Raw: "a,b", Err: errors.New("stage failed")},
			want: RejectLine{Source: "in.csv", Line: 2, Reason: "stage failed", Raw: "a,b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got RejectLine
			if err := json.Unmarshal(MarshalReject(&tt.rec), &got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestJSONLSink(t *testing.T) {
	ctx := testContext(t)
	ok := &Record{ID: "a", Text: "x", Out: fakeAnalysis("neutral", 0, lexicons.LevelNone)}
	bad := &Record{Source: "in.jsonl", Line: 2, Raw: "[]", Err: reject("in.jsonl", 2, "", "not a JSON object")}

	t.Run("records and rejects apart", func(t *testing.T) {
		var out, rej bytes.Buffer
		s := NewJSONLSink(&out, &rej)
		for _, r := range []*Record{ok, bad, ok} {
			if err := s.Write(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if out.Len() != 0 {
			t.Error("output written before Close without FlushEach")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(out.String(), "\n"); n != 2 {
			t.Errorf("%d output lines, want 2: %q", n, out.String())
		}
		if want := `{"source":"in.jsonl","line":2,"reason":"not a JSON object","raw":"[]"}` + "\n"; rej.String() != want {
			t.Errorf("rejects %q, want %q", rej.String(), want)
		}
	})
	t.Run("flush each line", func(t *testing.T) {
		var out, rej bytes.Buffer
		s := NewJSONLSink(&out, &rej)
		s.FlushEach = true
		if err := s.Write(ctx, ok); err != nil || !strings.HasSuffix(out.String(), "}\n") {
			t.Errorf("after one Write: %q, %v", out.String(), err)
		}
		if err := s.Write(ctx, bad); err != nil || !strings.HasSuffix(rej.String(), "}\n") {
			t.Errorf("after one reject: %q, %v", rej.String(), err)
		}
	})
	t.Run("write errors surface", func(t *testing.T) {
		s := NewJSONLSink(errWriter{}, errWriter{})
		s.FlushEach = true
		if err := s.Write(ctx, ok); err == nil {
			t.Error("Write to a broken writer returned nil")
		}
		s = NewJSONLSink(errWriter{}, errWriter{})
		_ = s.Write(ctx, ok)
		if err := s.Close(); err == nil {
			t.Error("Close with a broken writer returned nil")
		}
	})
}

// TestTagToJSONL runs the real Analyzer over the fixtures and checks every
// output line against the record contract of DESIGN.md.
func TestTagToJSONL(t *testing.T) {
	an := realAnalyzer(t)
	in := openInputs(t, DefaultInputConfig(), fixture("feedback.jsonl"), fixture("bad.jsonl"), fixture("feedback.csv"))
	var out, rej bytes.Buffer
	sink := NewJSONLSink(&out, &rej)
	c, err := runBounded(t, testContext(t), in, an, sink, RunOptions{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if want := (Counts{Read: 31, Written: 14, Rejected: 17}); c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if int64(len(lines)) != c.Written {
		t.Fatalf("%d output lines, want %d", len(lines), c.Written)
	}
	taxonomy := map[string]bool{}
	for _, k := range an.TopicKeys() {
		taxonomy[k] = true
	}
	var ids []string
	for _, line := range lines {
		checkOutputLine(t, []byte(line), taxonomy)
		var r struct{ ID string }
		json.Unmarshal([]byte(line), &r)
		ids = append(ids, r.ID)
	}
	// Input order is kept.
	if got := strings.Join(ids[:3], ","); got != "j1,42,"+GenerateID(fixture("feedback.jsonl"), 3, "没有 id 的记录, mixed with English words") {
		t.Errorf("first ids %s", got)
	}
	if got := ids[len(ids)-5]; got != "c1" {
		t.Errorf("first CSV record id %s, want c1", got)
	}
	// The first record keeps its passthrough fields, in order and unchanged.
	if want := `"created_at":"2026-03-01T09:30:00+08:00","channel":"app","csat":2,"nps":3,"tags":["a","b"],"meta":{"k":1},"vip":true,"note":null}`; !strings.HasSuffix(lines[0], want) {
		t.Errorf("first line %s\ndoes not end with %s", lines[0], want)
	}
	sc := bufio.NewScanner(&rej)
	n := 0
	for sc.Scan() {
		var rl RejectLine
		if err := json.Unmarshal(sc.Bytes(), &rl); err != nil || rl.Source != fixture("bad.jsonl") || rl.Line < 1 || rl.Reason == "" {
			t.Errorf("reject line %s: %+v, %v", sc.Bytes(), rl, err)
		}
		n++
	}
	if int64(n) != c.Rejected {
		t.Errorf("%d reject lines, want %d", n, c.Rejected)
	}
}

// checkOutputLine checks one output record against DESIGN.md: the keys in
// order, the enumerations, score ranges and rune offsets whose span is the
// evidence.
func checkOutputLine(t *testing.T, line []byte, taxonomy map[string]bool) {
	t.Helper()
	keys := topKeys(t, line)
	if len(keys) < 6 || strings.Join(keys[:6], ",") != "id,text,lang,sentiment,topics,risk" {
		t.Errorf("keys %v, want id, text, lang, sentiment, topics, risk first", keys)
	}
	var r struct {
		ID        string
		Text      string
		Lang      string
		Sentiment struct {
			Label string
			Score float64
		}
		Topics []struct {
			Topic, Sentiment, Evidence string
			Score                      float64
			Start, End                 int
		}
		Risk struct {
			Level string
			Hits  []struct {
				Term, Category, Level string
				Start, End            int
			}
		}
	}
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	runes := []rune(r.Text)
	oneOf := func(what, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		t.Errorf("%s: %s %q not in %v", r.ID, what, v, allowed)
	}
	oneOf("lang", r.Lang, "zh", "en", "mixed", "und")
	oneOf("sentiment.label", r.Sentiment.Label, "positive", "negative", "neutral")
	if r.Sentiment.Score < -1 || r.Sentiment.Score > 1 {
		t.Errorf("%s: sentiment score %v out of [-1, 1]", r.ID, r.Sentiment.Score)
	}
	for _, m := range r.Topics {
		if !taxonomy[m.Topic] {
			t.Errorf("%s: topic %q is not a taxonomy key", r.ID, m.Topic)
		}
		oneOf("topic sentiment", m.Sentiment, "positive", "negative", "neutral")
		if m.Start < 0 || m.Start >= m.End || m.End > len(runes) || string(runes[m.Start:m.End]) != m.Evidence {
			t.Errorf("%s: topic %s span [%d,%d) does not hold its evidence %q", r.ID, m.Topic, m.Start, m.End, m.Evidence)
		}
		if m.Score < -1 || m.Score > 1 {
			t.Errorf("%s: topic score %v out of [-1, 1]", r.ID, m.Score)
		}
	}
	oneOf("risk.level", r.Risk.Level, "critical", "high", "medium", "none")
	if r.Risk.Hits == nil {
		t.Errorf("%s: risk.hits is null, want a list", r.ID)
	}
	for _, h := range r.Risk.Hits {
		oneOf("risk hit level", h.Level, "critical", "high", "medium")
		if h.Start < 0 || h.Start >= h.End || h.End > len(runes) || h.Term == "" || h.Category == "" {
			t.Errorf("%s: risk hit %+v out of the text", r.ID, h)
		}
	}
	if (r.Risk.Level == "none") != (len(r.Risk.Hits) == 0) {
		t.Errorf("%s: risk level %s with %d hits", r.ID, r.Risk.Level, len(r.Risk.Hits))
	}
}
