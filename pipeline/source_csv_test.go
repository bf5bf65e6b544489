package pipeline

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

func TestCSVFixtures(t *testing.T) {
	tests := []struct {
		file string
		want []wantRec
	}{
		{file: "feedback.csv", want: []wantRec{
			// Plain decimals become numbers, codes with leading zeros stay
			// text and empty cells are null.
			{line: 2, id: "c1", text: "物流很快，但是客服态度太差了",
				fields: `created_at="2026-03-01 09:30:00" channel="app" csat=2 nps=3 order_no="00123" note=null`},
			// A quoted field may hold commas and newlines; the next row's
			// line number counts them.
			{line: 3, id: "c2", text: "The price is fair, and delivery was quick.",
				fields: `created_at="2026-03-02T10:00:00Z" channel="web" csat=4.5 nps=9 order_no=12345 note="multi\nline note"`},
			{line: 5, id: "gen", text: "没有id的记录", fields: `created_at="2026-03-03" channel="email" csat=null nps=null order_no=null note=null`},
			{line: 6, id: "c4", text: "", fields: `created_at="2026-03-04" channel="app" csat=3 nps=7 order_no=1 note=null`},
			{line: 7, id: "c5", text: `He said "wow" 😀`, fields: `created_at="2026-03-05" channel="app" csat=5 nps=10 order_no=2 note=-0.5`},
		}},
		{file: "feedback_bom.csv", want: []wantRec{
			{line: 2, id: "b1", text: "带BOM的文件也能读", fields: `channel="app"`},
			{line: 3, id: "b2", text: "BOM, then quotes", fields: `channel="web"`},
		}},
		{file: "bad.csv", want: []wantRec{
			{line: 2, id: "k1", text: "ok", fields: `channel="app"`},
			{line: 3, rejReason: "row has 4 columns, header has 3"},
			{line: 4, rejReason: "row has 2 columns, header has 3"},
			{line: 5, id: "k4", text: "fine, thanks", fields: `channel="web"`},
			{line: 7, id: "k6", text: "after a blank line", fields: `channel="web"`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := fixture(tt.file)
			in := openInputs(t, DefaultInputConfig(), path)
			recs := readAll(t, in)
			checkRecords(t, path, recs, tt.want)
			checkStats(t, in, recs)
		})
	}
}

func TestCSVEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cfg  func(*InputConfig)
		want []wantRec
	}{
		{name: "empty file", in: ""},
		{name: "header only", in: "id,text\n"},
		{name: "CRLF", in: "id,text,channel\r\na,x,app\r\nb,y,web\r\n",
			want: []wantRec{{line: 2, id: "a", text: "x", fields: `channel="app"`}, {line: 3, id: "b", text: "y", fields: `channel="web"`}}},
		{name: "header names trimmed", in: " id , text ,channel \na,x,app\n",
			want: []wantRec{{line: 2, id: "a", text: "x", fields: `channel="app"`}}},
		{name: "bare quotes kept", in: "id,text\na,he said \"hi\" twice\n",
			want: []wantRec{{line: 2, id: "a", text: `he said "hi" twice`}}},
		{name: "number-like cells", in: "id,text,a,b,c,d,e,f\nx,t,007,1e5,-0,3.25, 5,12345678901234567890\n",
			want: []wantRec{{line: 2, id: "x", text: "t", fields: `a="007" b="1e5" c=-0 d=3.25 e=" 5" f="12345678901234567890"`}}},
		{name: "id and text are never typed", in: "id,text\n00123,42\n",
			want: []wantRec{{line: 2, id: "00123", text: "42"}}},
		{name: "reserved column", in: "id,text,lang\na,x,zh\nb,y,en\n",
			want: []wantRec{{line: 2, rejField: "lang", rejReason: "reserved"}, {line: 3, rejField: "lang", rejReason: "reserved"}}},
		{name: "duplicate column", in: "id,text,channel,channel\na,x,app,web\n",
			want: []wantRec{{line: 2, rejField: "channel", rejReason: "duplicate field"}}},
		{name: "custom id and text columns", in: "ticket,body,channel\nT-1,客服很耐心,app\n,no ticket,web\n",
			cfg: func(c *InputConfig) { c.IDField, c.TextField = "ticket", "body" },
			want: []wantRec{{line: 2, id: "T-1", text: "客服很耐心", fields: `channel="app"`},
				{line: 3, id: "gen", text: "no ticket", fields: `channel="web"`}}},
		{name: "unterminated quote runs to the end", in: "id,text,channel\na,\"never closed,app\nb,y,web\n",
			want: []wantRec{{line: 2, rejReason: "row has 2 columns, header has 3"}}},
		{name: "rows go on after bad ones", in: "id,text\na\nb,y,z\nc,ok\n",
			want: []wantRec{{line: 2, rejReason: "row has 1 columns"}, {line: 3, rejReason: "row has 3 columns"},
				{line: 4, id: "c", text: "ok"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultInputConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			path := writeFile(t, "in.csv", []byte(tt.in))
			in := openInputs(t, cfg, path)
			recs := readAll(t, in)
			checkRecords(t, path, recs, tt.want)
			checkStats(t, in, recs)
		})
	}
}

func TestCSVNoTextColumn(t *testing.T) {
	path := writeFile(t, "in.csv", []byte("id,body\na,x\n"))
	in := openInputs(t, DefaultInputConfig(), path)
	_, err := drain(testContext(t), in)
	if err == nil || !strings.Contains(err.Error(), path+":1") || !strings.Contains(err.Error(), `"text"`) ||
		!strings.Contains(err.Error(), "--text-field") {
		t.Fatalf("err = %v, want a fault naming %s:1, the text column and --text-field", err, path)
	}
}

func TestCSVEncodings(t *testing.T) {
	const csv = "id,text,channel\ng1,物流很快，但是客服态度太差了,app\ng2,\"价格便宜,质量一般\",web\n"
	want := []wantRec{
		{line: 2, id: "g1", text: "物流很快，但是客服态度太差了", fields: `channel="app"`},
		{line: 3, id: "g2", text: "价格便宜,质量一般", fields: `channel="web"`},
	}
	tests := []struct {
		name    string
		data    []byte
		enc     string
		wantEnc string
		want    []wantRec
	}{
		{name: "utf-8", data: []byte(csv), enc: "auto", wantEnc: "utf-8", want: want},
		{name: "utf-8 BOM", data: []byte("\xef\xbb\xbf" + csv), enc: "auto", wantEnc: "utf-8-bom", want: want},
		{name: "gbk detected", data: mustGB(t, csv, true), enc: "auto", wantEnc: "gb18030", want: want},
		{name: "gbk given", data: mustGB(t, csv, true), enc: "gbk", wantEnc: "gbk", want: want},
		{name: "gb18030 given", data: mustGB(t, csv, false), enc: "gb18030", wantEnc: "gb18030", want: want},
		// GBK read as UTF-8: each row is rejected, naming the column.
		{name: "gbk read as utf-8", data: mustGB(t, csv, true), enc: "utf-8", wantEnc: "utf-8", want: []wantRec{
			{line: 2, rejField: "text", rejReason: "invalid UTF-8"},
			{line: 3, rejField: "text", rejReason: "invalid UTF-8"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "in.csv", tt.data)
			cfg := DefaultInputConfig()
			cfg.Encoding = tt.enc
			in := openInputs(t, cfg, path)
			recs := readAll(t, in)
			checkRecords(t, path, recs, tt.want)
			if got := in.Stats[0].Encoding; got != tt.wantEnc {
				t.Errorf("encoding %q, want %q", got, tt.wantEnc)
			}
		})
	}
}

func TestCSVInvalidUTF8Passthrough(t *testing.T) {
	path := writeFile(t, "in.csv", []byte("id,text,channel\na,ok,caf\xe9\nb,fine,web\n"))
	cfg := DefaultInputConfig()
	cfg.Encoding = "utf-8"
	recs := readAll(t, openInputs(t, cfg, path))
	checkRecords(t, path, recs, []wantRec{
		{line: 2, rejField: "channel", rejReason: "invalid UTF-8"},
		{line: 3, id: "b", text: "fine", fields: `channel="web"`},
	})
}

func TestCSVMaxLineBytes(t *testing.T) {
	long := strings.Repeat("长", 400) // 1200 bytes
	data := "id,text\na," + strings.Repeat("a", 1000) + "\nb," + long + "\nc,\"quoted\n" + long + "\"\nd,ok\n"
	path := writeFile(t, "in.csv", []byte(data))
	cfg := DefaultInputConfig()
	cfg.MaxLineBytes = 1024
	recs := readAll(t, openInputs(t, cfg, path))
	checkRecords(t, path, recs, []wantRec{
		{line: 2, id: "a", text: strings.Repeat("a", 1000)},
		{line: 3, rejReason: "longer than 1024 bytes"},
		{line: 4, rejReason: "longer than 1024 bytes"},
		{line: 6, id: "d", text: "ok"},
	})
}

func TestCSVMegabyteText(t *testing.T) {
	text := strings.Repeat("物流很快, 但是客服态度太差了。", 1<<20/40+1)
	path := writeFile(t, "big.csv", []byte("id,text,channel\nbig,\""+text+"\",app\nsmall,ok,web\n"))
	recs := readAll(t, openInputs(t, DefaultInputConfig(), path))
	checkRecords(t, path, recs, []wantRec{
		{line: 2, id: "big", text: text, fields: `channel="app"`},
		{line: 3, id: "small", text: "ok", fields: `channel="web"`},
	})
}

// FuzzCSVSource checks that the CSV reader never panics or faults on any
// body under a valid header, and that every record is either a RejectError
// or a valid record.
func FuzzCSVSource(f *testing.F) {
	for _, name := range []string{"feedback.csv", "bad.csv", "feedback_bom.csv"} {
		b, err := os.ReadFile(fixture(name))
		if err != nil {
			f.Fatal(err)
		}
		_, body, _ := bytes.Cut(b, []byte("\n"))
		f.Add(body, uint8(0))
	}
	f.Add([]byte("a,\"never closed,x\nb,y,z\n"), uint8(0))
	f.Add([]byte("a,caf\xe9,x\n"), uint8(1))
	f.Add([]byte("g,\xce\xef\xc1\xf7,x\n"), uint8(2))
	f.Add([]byte("\"a\"\"b\",\"\"\"\",\r\n\r\n,,\n"), uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, enc uint8) {
		cfg := DefaultInputConfig()
		cfg.MaxLineBytes = 1024
		cfg.Encoding = []string{"auto", "utf-8", "gb18030"}[int(enc)%3]
		data := append([]byte("id,text,channel\n"), body...)
		br, _, err := decodeInput(bytes.NewReader(data), cfg.Encoding)
		if err != nil {
			t.Fatalf("decodeInput: %v", err)
		}
		src, err := newCSVSource("fuzz.csv", br, io.NopCloser(nil), cfg, resumeAt{})
		if err != nil {
			t.Fatalf("header: %v", err)
		}
		recs, err := drain(testContext(t), src)
		if err != nil {
			t.Fatalf("an in-memory input faulted: %v", err)
		}
		checkFuzzRecords(t, "fuzz.csv", recs, cfg, bytes.Count(data, []byte("\n"))+1)
	})
}
