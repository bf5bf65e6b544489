package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestInputConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*InputConfig)
		wantErr string
	}{
		{name: "defaults", mod: func(*InputConfig) {}},
		{name: "csv gbk", mod: func(c *InputConfig) { c.Format, c.Encoding = "csv", "GBK" }},
		{name: "jsonl utf8 alias", mod: func(c *InputConfig) { c.Format, c.Encoding = "jsonl", "UTF8" }},
		{name: "gb18030", mod: func(c *InputConfig) { c.Encoding = "gb18030" }},
		{name: "bad format", mod: func(c *InputConfig) { c.Format = "xml" }, wantErr: `input format "xml"`},
		{name: "bad encoding", mod: func(c *InputConfig) { c.Encoding = "latin1" }, wantErr: `input encoding "latin1"`},
		{name: "empty id field", mod: func(c *InputConfig) { c.IDField = "" }, wantErr: "must not be empty"},
		{name: "empty text field", mod: func(c *InputConfig) { c.TextField = "" }, wantErr: "must not be empty"},
		{name: "tiny max line", mod: func(c *InputConfig) { c.MaxLineBytes = 10 }, wantErr: "max line bytes 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultInputConfig()
			tt.mod(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.wantErr)
			}
			if _, err := OpenInputs([]string{"x"}, cfg); err == nil {
				t.Fatal("OpenInputs accepted an invalid config")
			}
		})
	}
}

func mustGB(t testing.TB, s string, gbk bool) []byte {
	t.Helper()
	enc := simplifiedchinese.GB18030.NewEncoder()
	if gbk {
		enc = simplifiedchinese.GBK.NewEncoder()
	}
	b, err := enc.Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

func TestEncodingDetection(t *testing.T) {
	const zh = "{\"id\":\"1\",\"text\":\"物流很快，但是客服态度太差了\"}\n"
	// big is valid UTF-8 longer than the 64 KiB sniffing window, with a
	// 3-byte rune cut by the window's end.
	big := `{"id":"big","text":"` + strings.Repeat("a", 64<<10-21) + strings.Repeat("好", 100) + "\"}\n"
	if big[64<<10-1] != "好"[0] {
		t.Fatal("big does not cut a rune at 64 KiB")
	}
	tests := []struct {
		name     string
		data     []byte
		enc      string // InputConfig.Encoding
		wantEnc  string // InputStat.Encoding
		wantText string
	}{
		{name: "ascii", data: []byte(`{"text":"hello"}`), enc: "auto", wantEnc: "utf-8", wantText: "hello"},
		{name: "utf-8", data: []byte(zh), enc: "auto", wantEnc: "utf-8", wantText: "物流很快，但是客服态度太差了"},
		{name: "utf-8 with BOM", data: []byte("\xef\xbb\xbf" + zh), enc: "auto", wantEnc: "utf-8-bom", wantText: "物流很快，但是客服态度太差了"},
		{name: "BOM stripped when utf-8 is given", data: []byte("\xef\xbb\xbf" + zh), enc: "UTF-8", wantEnc: "utf-8", wantText: "物流很快，但是客服态度太差了"},
		{name: "gbk detected", data: mustGB(t, zh, true), enc: "auto", wantEnc: "gb18030", wantText: "物流很快，但是客服态度太差了"},
		{name: "gbk given", data: mustGB(t, zh, true), enc: "gbk", wantEnc: "gbk", wantText: "物流很快，但是客服态度太差了"},
		{name: "gb18030 with emoji", data: mustGB(t, `{"text":"好评😀"}`, false), enc: "auto", wantEnc: "gb18030", wantText: "好评😀"},
		{name: "utf-8 longer than the sniffing window", data: []byte(big), enc: "auto", wantEnc: "utf-8",
			wantText: strings.Repeat("a", 64<<10-21) + strings.Repeat("好", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "in.jsonl", tt.data)
			cfg := DefaultInputConfig()
			cfg.Encoding = tt.enc
			in := openInputs(t, cfg, path)
			recs := readAll(t, in)
			if len(recs) != 1 || recs[0].Err != nil || recs[0].Text != tt.wantText {
				t.Fatalf("records %+v, want one with text %.40q", recs, tt.wantText)
			}
			if got := in.Stats[0].Encoding; got != tt.wantEnc {
				t.Errorf("encoding %q, want %q", got, tt.wantEnc)
			}
		})
	}
}

func TestInputsSeveralFiles(t *testing.T) {
	paths := []string{fixture("feedback.jsonl"), fixture("bad.csv"), fixture("bad.jsonl"), fixture("feedback_bom.csv")}
	in := openInputs(t, DefaultInputConfig(), paths...)
	recs := readAll(t, in)
	if len(in.Stats) != len(paths) {
		t.Fatalf("%d stats, want %d", len(in.Stats), len(paths))
	}
	wantStats := []InputStat{
		{Path: paths[0], Format: "jsonl", Encoding: "utf-8", Read: 8},
		{Path: paths[1], Format: "csv", Encoding: "utf-8", Read: 5, Rejected: 2},
		{Path: paths[2], Format: "jsonl", Encoding: "utf-8", Read: 18, Rejected: 17},
		{Path: paths[3], Format: "csv", Encoding: "utf-8-bom", Read: 2},
	}
	var n int64
	for i, w := range wantStats {
		if got := *in.Stats[i]; got != w {
			t.Errorf("stats[%d] = %+v, want %+v", i, got, w)
		}
		// Records come file after file, in order.
		for _, r := range recs[n : n+w.Read] {
			if r.Source != w.Path {
				t.Errorf("record from %s at position of %s", r.Source, w.Path)
			}
		}
		n += w.Read
	}
	if n != int64(len(recs)) {
		t.Errorf("stats count %d records, read %d", n, len(recs))
	}
	checkStats(t, in, recs)
}

func TestInputsFormat(t *testing.T) {
	csv := "id,text\nx1,hello\n"
	tests := []struct {
		name, file, format, wantFormat string
	}{
		{name: "by extension", file: "in.csv", format: "auto", wantFormat: "csv"},
		{name: "upper-case extension", file: "IN.CSV", format: "auto", wantFormat: "csv"},
		{name: "given", file: "in.txt", format: "csv", wantFormat: "csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultInputConfig()
			cfg.Format = tt.format
			in := openInputs(t, cfg, writeFile(t, tt.file, []byte(csv)))
			recs := readAll(t, in)
			if len(recs) != 1 || recs[0].ID != "x1" || recs[0].Text != "hello" || in.Stats[0].Format != tt.wantFormat {
				t.Fatalf("records %+v format %s", recs, in.Stats[0].Format)
			}
		})
	}
	t.Run("unknown extension is jsonl", func(t *testing.T) {
		in := openInputs(t, DefaultInputConfig(), writeFile(t, "in.txt", []byte(csv)))
		recs := readAll(t, in)
		if in.Stats[0].Format != "jsonl" || len(recs) != 2 || recs[0].Err == nil {
			t.Fatalf("format %s, records %+v", in.Stats[0].Format, recs)
		}
	})
}

func TestInputsMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	in := openInputs(t, DefaultInputConfig(), fixture("feedback.jsonl"), missing)
	recs, err := drain(testContext(t), in)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("err = %v, want a not-exist error naming %s", err, missing)
	}
	if len(recs) != 8 {
		t.Errorf("read %d records of the first file before the fault, want 8", len(recs))
	}
}

func TestGenerateID(t *testing.T) {
	id := GenerateID("/a/b/feedback.jsonl", 3, "hello")
	if !strings.HasPrefix(id, "gen-") || len(id) != len("gen-")+16 {
		t.Fatalf("id %q: want gen- and 16 hex digits", id)
	}
	same := []string{
		GenerateID("/a/b/feedback.jsonl", 3, "hello"),
		GenerateID("feedback.jsonl", 3, "hello"), // the directory does not matter
	}
	for _, s := range same {
		if s != id {
			t.Errorf("id %q, want %q", s, id)
		}
	}
	for _, other := range []string{
		GenerateID("/a/b/feedback.jsonl", 4, "hello"),
		GenerateID("/a/b/feedback.jsonl", 3, "hello!"),
		GenerateID("/a/b/other.jsonl", 3, "hello"),
		GenerateID("/a/b/feedback.jsonl", 31, ""), // no ambiguity between line and text
		GenerateID("/a/b/feedback.jsonl", 3, "1"),
	} {
		if other == id {
			t.Errorf("different inputs give the same id %q", id)
		}
	}
}

func TestGeneratedIDsStableAcrossReads(t *testing.T) {
	// The same file read twice, and a copy elsewhere, give the same ids.
	b, err := os.ReadFile(fixture("feedback.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	copyPath := writeFile(t, "feedback.jsonl", b)
	var runs [][]string
	for _, p := range []string{fixture("feedback.jsonl"), fixture("feedback.jsonl"), copyPath} {
		var ids []string
		for _, r := range readAll(t, openInputs(t, DefaultInputConfig(), p)) {
			ids = append(ids, r.ID)
		}
		runs = append(runs, ids)
	}
	for i := 1; i < len(runs); i++ {
		if strings.Join(runs[i], ",") != strings.Join(runs[0], ",") {
			t.Errorf("read %d ids %v, want %v", i, runs[i], runs[0])
		}
	}
	seen := map[string]bool{}
	for _, id := range runs[0] {
		if seen[id] {
			t.Errorf("duplicate id %q", id)
		}
		seen[id] = true
	}
}
