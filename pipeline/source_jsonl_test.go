package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vocal-dev/vocal/lexicons"
)

func TestJSONLFixtures(t *testing.T) {
	tests := []struct {
		file string
		cfg  func(*InputConfig)
		want []wantRec
	}{
		{file: "feedback.jsonl", want: []wantRec{
			{line: 1, id: "j1", text: "物流很快，但是客服态度太差了",
				fields: `created_at="2026-03-01T09:30:00+08:00" channel="app" csat=2 nps=3 tags=["a","b"] meta={"k":1} vip=true note=null`},
			// A number id becomes its decimal text; raw values keep their spelling (4.50).
			{line: 2, id: "42", text: "The price is fair and delivery was quick.", fields: `channel="web" csat=4.50 nps=9`},
			{line: 3, id: "gen", text: "没有 id 的记录, mixed with English words", fields: `channel="email"`},
			// Line 4 is empty and skipped; line numbers still count it.
			{line: 5, id: "j4", text: "", fields: `channel="app"`},
			{line: 6, id: "j5", text: "<p>Great <b>service</b> &amp; fast</p><script>alert(1)</script>", fields: `channel="web"`},
			{line: 7, id: "j6", text: "😀😀👍🏽"},
			// Ids are trimmed; texts are not.
			{line: 8, id: "j7", text: "  leading and trailing spaces  ", fields: `region="华东" customer_tier="VIP"`},
			{line: 9, id: "gen", text: "null id is generated", fields: `channel="app"`},
		}},
		{file: "bad.jsonl", want: []wantRec{
			{line: 1, rejReason: "not a JSON object"},
			{line: 2, rejReason: "not a JSON object"},
			{line: 3, rejField: "text", rejReason: "not JSON"},
			{line: 4, rejField: "text", rejReason: "missing text field"},
			{line: 5, rejField: "text", rejReason: "text must be a string, got 42"},
			{line: 6, rejField: "text", rejReason: "text must be a string, got null"},
			{line: 7, rejField: "lang", rejReason: "reserved"},
			{line: 8, rejField: "sentiment", rejReason: "reserved"},
			{line: 9, rejField: "topics", rejReason: "reserved"},
			{line: 10, rejField: "risk", rejReason: "reserved"},
			{line: 11, rejField: "tokens", rejReason: "reserved"},
			{line: 12, rejField: "text", rejReason: "duplicate field"},
			{line: 13, rejReason: "trailing data"},
			{line: 14, rejReason: "trailing data"},
			// Line 15 holds only spaces: skipped.
			{line: 16, id: "b16", text: "fine, this one is kept", fields: `channel="app"`},
			{line: 17, rejReason: "not JSON"},
			{line: 18, rejField: "text", rejReason: `text must be a string, got {"nested":"object"}`},
			{line: 19, rejReason: "not JSON"},
		}},
		{file: "custom_fields.jsonl", cfg: func(c *InputConfig) { c.IDField, c.TextField = "ticket", "body" }, want: []wantRec{
			{line: 1, id: "T-1", text: "客服很耐心", fields: `text_lang="zh"`},
			{line: 2, id: "1002", text: "refund took forever", fields: `channel="email"`},
			// The output record has its own id and text keys: an input field
			// of that name would be written twice.
			{line: 3, rejField: "text", rejReason: "reserved"},
			{line: 4, rejField: "id", rejReason: "reserved"},
			{line: 5, id: "gen", text: "no ticket, so the id is generated"},
		}},
		{file: "custom_fields.jsonl", want: []wantRec{
			{line: 1, rejField: "text", rejReason: "missing text field"},
			{line: 2, rejField: "text", rejReason: "missing text field"},
			{line: 3, id: "gen", text: "only the default text field", fields: `ticket="T-3"`},
			{line: 4, rejField: "text", rejReason: "missing text field"},
			{line: 5, rejField: "text", rejReason: "missing text field"},
		}},
	}
	for _, tt := range tests {
		name := tt.file
		if tt.cfg != nil {
			name += "/custom"
		}
		t.Run(name, func(t *testing.T) {
			cfg := DefaultInputConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			path := fixture(tt.file)
			in := openInputs(t, cfg, path)
			recs := readAll(t, in)
			checkRecords(t, path, recs, tt.want)
			checkStats(t, in, recs)
		})
	}
}

// checkStats reconciles the per-input counts with the records read.
func checkStats(t *testing.T, in *Inputs, recs []*Record) {
	t.Helper()
	var read, rejected int64
	for _, st := range in.Stats {
		read += st.Read
		rejected += st.Rejected
	}
	var wantRej int64
	for _, r := range recs {
		if r.Err != nil {
			wantRej++
		}
	}
	if read != int64(len(recs)) || rejected != wantRej {
		t.Errorf("stats: read %d rejected %d, want read %d rejected %d", read, rejected, len(recs), wantRej)
	}
}

func TestJSONLEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []wantRec
	}{
		{name: "empty file", in: ""},
		{name: "blank lines only", in: "\n\n   \n\t\r\n\r\n"},
		{name: "CRLF and no final newline", in: "{\"id\":\"a\",\"text\":\"x\"}\r\n\r\n{\"id\":\"b\",\"text\":\"y\"}",
			want: []wantRec{{line: 1, id: "a", text: "x"}, {line: 3, id: "b", text: "y"}}},
		{name: "escapes decoded", in: `{"id":"e","text":"line\nbreak \u00e9 \ud83d\ude00 \"q\""}`,
			want: []wantRec{{line: 1, id: "e", text: "line\nbreak é 😀 \"q\""}}},
		{name: "lone surrogate becomes U+FFFD", in: `{"id":"s","text":"a\ud800b"}`,
			want: []wantRec{{line: 1, id: "s", text: "a\uFFFDb"}}},
		{name: "number id keeps its spelling", in: `{"id":1.5e3,"text":"x"}`, want: []wantRec{{line: 1, id: "1.5e3", text: "x"}}},
		{name: "bool id is generated", in: `{"id":true,"text":"x"}`, want: []wantRec{{line: 1, id: "gen", text: "x"}}},
		{name: "blank id is generated", in: `{"id":"   ","text":"x"}`, want: []wantRec{{line: 1, id: "gen", text: "x"}}},
		{name: "top-level null", in: "null", want: []wantRec{{line: 1, rejReason: "not a JSON object"}}},
		{name: "empty object", in: "{}", want: []wantRec{{line: 1, rejField: "text", rejReason: "missing text field"}}},
		{name: "number key", in: `{1:2,"text":"x"}`, want: []wantRec{{line: 1, rejReason: "not JSON"}}},
		{name: "missing colon", in: `{"text" "x"}`, want: []wantRec{{line: 1, rejField: "text", rejReason: "not JSON"}}},
		{name: "raw control character in a string", in: "{\"id\":\"n\",\"text\":\"a\x00b\"}",
			want: []wantRec{{line: 1, rejField: "text", rejReason: "not JSON"}}},
		{name: "text array", in: `{"text":["a"]}`, want: []wantRec{{line: 1, rejField: "text", rejReason: "text must be a string"}}},
		{name: "nested passthrough unchanged", in: `{"text":"x","deep":[[{"a":[1, 2.0,{"b":null}]}]],"s":"\u4e2d"}`,
			want: []wantRec{{line: 1, id: "gen", text: "x", fields: `deep=[[{"a":[1, 2.0,{"b":null}]}]] s="\u4e2d"`}}},
		{name: "bad lines do not stop the run", in: "garbage\n{\"text\":\"ok\"}\n[]\n{\"text\":\"ok2\"}\n",
			want: []wantRec{{line: 1, rejReason: "not JSON"}, {line: 2, id: "gen", text: "ok"},
				{line: 3, rejReason: "not a JSON object"}, {line: 4, id: "gen", text: "ok2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "in.jsonl", []byte(tt.in))
			in := openInputs(t, DefaultInputConfig(), path)
			recs := readAll(t, in)
			checkRecords(t, path, recs, tt.want)
			checkStats(t, in, recs)
		})
	}
}

func TestJSONLInvalidUTF8(t *testing.T) {
	data := []byte("{\"id\":\"u1\",\"text\":\"fine\"}\n{\"id\":\"u2\",\"text\":\"caf\xe9\"}\n{\"id\":\"u3\",\"text\":\"also fine\"}\n")
	path := writeFile(t, "latin1.jsonl", data)
	cfg := DefaultInputConfig()
	cfg.Encoding = "utf-8"
	recs := readAll(t, openInputs(t, cfg, path))
	checkRecords(t, path, recs, []wantRec{
		{line: 1, id: "u1", text: "fine"},
		{line: 2, rejReason: "invalid UTF-8"},
		{line: 3, id: "u3", text: "also fine"},
	})
	if !strings.Contains(recs[1].Err.Error(), "--encoding") {
		t.Errorf("reject %q does not suggest --encoding", recs[1].Err)
	}
	if !utf8.ValidString(recs[1].Raw) {
		t.Errorf("reject raw %q is not valid UTF-8", recs[1].Raw)
	}
}

func TestJSONLBinaryJunk(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var buf bytes.Buffer
	for i := 0; i < 50; i++ {
		junk := make([]byte, 1+rng.Intn(200))
		rng.Read(junk)
		buf.Write(junk)
		buf.WriteByte('\n')
	}
	buf.WriteString("{\"id\":\"last\",\"text\":\"still read\"}\n")
	for _, enc := range []string{"auto", "utf-8", "gb18030"} {
		t.Run(enc, func(t *testing.T) {
			path := writeFile(t, "junk.jsonl", buf.Bytes())
			cfg := DefaultInputConfig()
			cfg.Encoding = enc
			in := openInputs(t, cfg, path)
			recs := readAll(t, in)
			if len(recs) == 0 {
				t.Fatal("no records")
			}
			last := recs[len(recs)-1]
			if last.Err != nil || last.ID != "last" || last.Text != "still read" {
				t.Fatalf("last record: id %q text %q err %v", last.ID, last.Text, last.Err)
			}
			for _, r := range recs[:len(recs)-1] {
				var re *RejectError
				if r.Err == nil {
					// Junk that happens to be a JSON object with a text is fine.
					continue
				}
				if !errors.As(r.Err, &re) || re.Source != path || re.Line != r.Line || re.Reason == "" {
					t.Errorf("line %d: want a RejectError naming the line, got %v", r.Line, r.Err)
				}
				if !utf8.ValidString(r.Raw) {
					t.Errorf("line %d: raw is not valid UTF-8", r.Line)
				}
			}
			checkStats(t, in, recs)
		})
	}
}

func TestJSONLMaxLineBytes(t *testing.T) {
	const max = 1024
	// line returns a JSON line of exactly n bytes.
	line := func(id string, n int) string {
		head := `{"id":"` + id + `","text":"`
		return head + strings.Repeat("a", n-len(head)-2) + `"}`
	}
	exact, over := line("exact", max), line("over", max+1)
	huge := line("huge", 65<<10) // longer than the 64 KiB read buffer
	data := exact + "\n" + over + "\r\n" + huge + "\n" + `{"id":"after","text":"next line"}` + "\n" + over
	path := writeFile(t, "long.jsonl", []byte(data))
	cfg := DefaultInputConfig()
	cfg.MaxLineBytes = max
	recs := readAll(t, openInputs(t, cfg, path))
	checkRecords(t, path, recs, []wantRec{
		{line: 1, id: "exact", text: strings.Repeat("a", max-len(`{"id":"exact","text":""}`))},
		{line: 2, rejReason: "line longer than 1024 bytes"},
		{line: 3, rejReason: "line longer than 1024 bytes"},
		{line: 4, id: "after", text: "next line"},
		{line: 5, rejReason: "line longer than 1024 bytes"},
	})
	// The reject keeps the head of the line, so that it can be found.
	for i, full := range map[int]string{1: over, 2: huge, 4: over} {
		if raw := recs[i].Raw; len(raw) < 100 || !strings.HasPrefix(full, raw) {
			t.Errorf("line %d: raw %.40q... (%d bytes) is not the head of the line", recs[i].Line, raw, len(raw))
		}
	}
}

func TestJSONLMegabyteText(t *testing.T) {
	text := strings.Repeat("物流很快但是客服态度太差了。", 1<<20/42+1) // 3 bytes a rune: just over 1 MB
	b, _ := json.Marshal(map[string]string{"id": "big", "text": text})
	path := writeFile(t, "big.jsonl", append(append(b, '\n'), `{"id":"small","text":"ok"}`...))
	recs := readAll(t, openInputs(t, DefaultInputConfig(), path))
	checkRecords(t, path, recs, []wantRec{{line: 1, id: "big", text: text}, {line: 2, id: "small", text: "ok"}})
	if len(text) < 1<<20 {
		t.Fatalf("text is %d bytes, want at least 1 MB", len(text))
	}
}

// FuzzJSONLSource checks that the JSONL reader never panics or faults on any
// input and that every record is either a RejectError or a valid record.
func FuzzJSONLSource(f *testing.F) {
	for _, name := range []string{"feedback.jsonl", "bad.jsonl", "custom_fields.jsonl"} {
		b, err := os.ReadFile(fixture(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
	}
	f.Add([]byte("{\"text\":\"caf\xe9\"}\n"), uint8(1))
	f.Add([]byte("\xef\xbb\xbf{\"text\":\"bom\"}"), uint8(0))
	f.Add([]byte("{\"id\":\"g\",\"text\":\"\xce\xef\xc1\xf7\"}\n"), uint8(2))
	f.Add([]byte(`{"text":"x"}]`), uint8(0))
	f.Add([]byte(`{"text":"x","a":{"b":[1,2,{"c":null}]}} `), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, enc uint8) {
		cfg := DefaultInputConfig()
		cfg.MaxLineBytes = 1024
		cfg.Encoding = []string{"auto", "utf-8", "gb18030"}[int(enc)%3]
		br, _, err := decodeInput(bytes.NewReader(data), cfg.Encoding)
		if err != nil {
			t.Fatalf("decodeInput: %v", err)
		}
		src := newJSONLSource("fuzz.jsonl", br, io.NopCloser(nil), cfg)
		recs, err := drain(testContext(t), src)
		if err != nil {
			t.Fatalf("an in-memory input faulted: %v", err)
		}
		checkFuzzRecords(t, "fuzz.jsonl", recs, cfg, bytes.Count(data, []byte("\n"))+1)
		for _, r := range recs {
			// An accepted line (whole in Raw, being under MaxLineBytes) is
			// one valid JSON value.
			if r.Err == nil && !json.Valid([]byte(r.Raw)) {
				t.Fatalf("line %d accepted but not valid JSON: %q", r.Line, r.Raw)
			}
		}
	})
}

// checkFuzzRecords asserts what must hold for any input: at most maxLines
// records on increasing lines, each either rejected with a RejectError or
// with an id, valid UTF-8 text and passthrough fields that are valid JSON
// under unique, non-reserved names; and both kinds marshal to valid JSON.
func checkFuzzRecords(t *testing.T, source string, recs []*Record, cfg InputConfig, maxLines int) {
	t.Helper()
	if len(recs) > maxLines {
		t.Fatalf("%d records from %d lines", len(recs), maxLines)
	}
	prev := 0
	for _, r := range recs {
		if r.Line <= prev || r.Source != source {
			t.Fatalf("record at %s:%d after line %d", r.Source, r.Line, prev)
		}
		prev = r.Line
		if !utf8.ValidString(r.Raw) {
			t.Fatalf("line %d: raw is not valid UTF-8", r.Line)
		}
		if r.Err != nil {
			var re *RejectError
			if !errors.As(r.Err, &re) || re.Source != source || re.Line != r.Line || re.Reason == "" {
				t.Fatalf("line %d: want a RejectError naming the line, got %#v", r.Line, r.Err)
			}
			if !json.Valid(MarshalReject(r)) {
				t.Fatalf("line %d: reject line is not valid JSON: %s", r.Line, MarshalReject(r))
			}
			continue
		}
		if r.ID == "" || !utf8.ValidString(r.ID) {
			t.Fatalf("line %d: bad id %q", r.Line, r.ID)
		}
		if !utf8.ValidString(r.Text) {
			t.Fatalf("line %d: text is not valid UTF-8: %q", r.Line, r.Text)
		}
		seen := map[string]bool{}
		for _, f := range r.Fields {
			if seen[f.Name] || Reserved[f.Name] || f.Name == cfg.IDField || f.Name == cfg.TextField {
				t.Fatalf("line %d: passthrough field %q is duplicated, reserved or the id/text field", r.Line, f.Name)
			}
			seen[f.Name] = true
			if !json.Valid(f.Value) {
				t.Fatalf("line %d: field %q: invalid JSON %q", r.Line, f.Name, f.Value)
			}
		}
		r.Out = fakeAnalysis("neutral", 0, lexicons.LevelNone)
		b, err := MarshalRecord(r)
		if err != nil || !json.Valid(b) {
			t.Fatalf("line %d: output record is not valid JSON (%v): %s", r.Line, err, b)
		}
	}
}
