package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Source yields records one at a time. Next blocks until a record is ready,
// returns io.EOF at the end, and any other error for an unrecoverable fault
// (malformed rows are returned as records carrying Err, not as errors).
// A Source is used from one goroutine.
type Source interface {
	Next(ctx context.Context) (*Record, error)
	Close() error
}

// InputConfig says how to read input files.
type InputConfig struct {
	IDField      string `yaml:"id_field"`
	TextField    string `yaml:"text_field"`
	Format       string `yaml:"format"`   // auto (by extension), jsonl, csv
	Encoding     string `yaml:"encoding"` // auto, utf-8, gbk, gb18030
	MaxLineBytes int    `yaml:"max_line_bytes"`
}

// DefaultInputConfig returns the defaults of DESIGN.md.
func DefaultInputConfig() InputConfig {
	return InputConfig{IDField: "id", TextField: "text", Format: "auto", Encoding: "auto", MaxLineBytes: 16 << 20}
}

// Validate checks the configuration.
func (c InputConfig) Validate() error {
	switch c.Format {
	case "auto", "jsonl", "csv":
	default:
		return fmt.Errorf("input format %q: want auto, jsonl or csv", c.Format)
	}
	switch strings.ToLower(c.Encoding) {
	case "auto", "utf-8", "utf8", "gbk", "gb18030":
	default:
		return fmt.Errorf("input encoding %q: want auto, utf-8, gbk or gb18030", c.Encoding)
	}
	if c.IDField == "" || c.TextField == "" {
		return errors.New("id and text field names must not be empty")
	}
	if c.MaxLineBytes < 1024 {
		return fmt.Errorf("max line bytes %d: want at least 1024", c.MaxLineBytes)
	}
	return nil
}

// InputStat reports what was read from one input. Read counts the records
// passed on to the pipeline (Rejected of them with an error); Unchanged the
// records skipped because the dataset already holds them (see WithSkip).
type InputStat struct {
	Path      string `json:"path"`
	Format    string `json:"format"`
	Encoding  string `json:"encoding"`
	Read      int64  `json:"read"`
	Rejected  int64  `json:"rejected"`
	Unchanged int64  `json:"unchanged,omitempty"`

	// Position is set for files read with WithResume: where this run
	// started and stopped reading, and the file's identity (see
	// FilePosition).
	Position *FilePosition `json:"position,omitempty"`
}

// Inputs reads several files (or "-" for stdin) one after another.
type Inputs struct {
	paths []string
	cfg   InputConfig
	opt   inputOptions
	cur   Source
	curF  *trackedFile // the file behind cur, with WithResume
	idx   int
	Stats []*InputStat
}

// OpenInputs prepares to read paths in order; files are opened lazily.
func OpenInputs(paths []string, cfg InputConfig, opts ...InputOption) (*Inputs, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	in := &Inputs{paths: paths, cfg: cfg}
	for _, o := range opts {
		o(&in.opt)
	}
	return in, nil
}

// Next implements Source.
func (in *Inputs) Next(ctx context.Context) (*Record, error) {
	for {
		if in.cur == nil {
			if in.idx >= len(in.paths) {
				return nil, io.EOF
			}
			src, err := in.open(in.paths[in.idx])
			in.idx++
			if err != nil {
				return nil, err
			}
			if src == nil {
				continue // unchanged since the last run (WithResume)
			}
			in.cur = src
		}
		rec, err := in.cur.Next(ctx)
		st := in.Stats[len(in.Stats)-1]
		if err == io.EOF {
			if in.curF != nil {
				if st.Position, err = in.curF.end(in.cur.(positioner).position()); err != nil {
					return nil, fmt.Errorf("%s: %w", st.Path, err)
				}
				in.curF = nil
			}
			if err := in.cur.Close(); err != nil {
				return nil, err
			}
			in.cur = nil
			continue
		}
		if err != nil {
			return nil, err
		}
		if in.opt.skip != nil && in.opt.skip(rec) {
			st.Unchanged++
			in.opt.unchanged.Add(1)
			continue
		}
		st.Read++
		if rec.Err != nil {
			st.Rejected++
		}
		return rec, nil
	}
}

// Close implements Source.
func (in *Inputs) Close() error {
	if in.cur != nil {
		return in.cur.Close()
	}
	return nil
}

// Unchanged counts the records skipped so far (see WithSkip); safe to call
// from any goroutine.
func (in *Inputs) Unchanged() int64 { return in.opt.unchanged.Load() }

// open returns the source of path, or nil when WithResume finds that the
// file has not changed since it was last read.
func (in *Inputs) open(path string) (Source, error) {
	format := in.format(path)
	if path == "-" {
		br, enc, err := decodeInput(os.Stdin, in.cfg.Encoding)
		if err != nil {
			return nil, fmt.Errorf("<stdin>: %w", err)
		}
		in.Stats = append(in.Stats, &InputStat{Path: "<stdin>", Format: format, Encoding: enc})
		if format == "csv" {
			return newCSVSource("<stdin>", br, io.NopCloser(nil), in.cfg, resumeAt{})
		}
		return newJSONLSource("<stdin>", br, io.NopCloser(nil), in.cfg), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	var plan *filePlan
	if in.opt.resume != nil {
		if plan, err = in.plan(path, f); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if plan.mode == ModeUnchanged {
			f.Close()
			prev := *plan.prev
			prev.Mode, prev.From, prev.FromLine = ModeUnchanged, prev.Offset+prev.Tail, prev.Line
			in.Stats = append(in.Stats, &InputStat{Path: path, Format: prev.Format, Encoding: prev.Encoding, Position: &prev})
			return nil, nil
		}
	}
	var raw io.Reader = f
	if in.opt.bytes != nil {
		raw = &countingReader{r: f, n: in.opt.bytes}
	}
	enc := in.cfg.Encoding
	if plan != nil && plan.mode == ModeResumed {
		enc = plan.prev.Encoding // as sniffed from the same first bytes last time
	}
	br, enc, err := decodeInput(raw, enc)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	st := &InputStat{Path: path, Format: format, Encoding: enc}
	in.Stats = append(in.Stats, st)
	var at resumeAt
	if plan != nil {
		tf := &trackedFile{f: f, abs: plan.abs, format: format, encoding: enc, mode: plan.mode}
		if plan.mode == ModeResumed {
			at = resumeAt{offset: plan.prev.Offset, line: plan.prev.Line, skip: skipper(f, raw, br, enc)}
			tf.from, tf.fromLine = at.offset, at.line
		}
		in.curF = tf
	}
	if format == "csv" {
		return newCSVSource(path, br, f, in.cfg, at)
	}
	src := newJSONLSource(path, br, f, in.cfg)
	if at.offset > 0 {
		if err := at.skip(0, at.offset); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: resume at byte %d: %w", path, at.offset, err)
		}
		src.offset, src.line = at.offset, at.line
		src.last = filePos{at.offset, at.line}
	}
	return src, nil
}

// decodeInput sniffs the encoding (a UTF-8 BOM, valid UTF-8, else GB18030,
// which covers GBK) unless enc names one, and returns a UTF-8 reader.
func decodeInput(r io.Reader, enc string) (*bufio.Reader, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	enc = strings.ToLower(enc)
	if enc == "auto" {
		head, err := br.Peek(sniffBytes)
		if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, "", err
		}
		enc = sniffEncoding(head, err == nil)
	}
	switch enc {
	case "utf-8-bom":
		br.Discard(3)
		return br, enc, nil
	case "utf-8", "utf8":
		if head, _ := br.Peek(3); len(head) == 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF {
			br.Discard(3)
		}
		return br, "utf-8", nil
	case "gbk", "gb18030":
		// GB18030 is a superset of GBK; one decoder serves both.
		return bufio.NewReaderSize(transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), 64<<10), enc, nil
	}
	return nil, "", fmt.Errorf("unknown encoding %q", enc)
}

// sniffBytes is how much of a file's start the encoding is guessed from.
const sniffBytes = 64 << 10

// sniffEncoding guesses the encoding of a file from its first bytes head
// (truncated: the file goes on).
func sniffEncoding(head []byte, truncated bool) string {
	switch {
	case len(head) >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF:
		return "utf-8-bom"
	case mostlyUTF8(head, truncated):
		return "utf-8"
	}
	return "gb18030"
}

// mostlyUTF8 reports whether b reads as UTF-8: at most one invalid byte in a
// hundred non-ASCII bytes (a stray bad byte in a UTF-8 file is rejected with
// its line later; GBK text is almost never valid UTF-8), allowing a rune cut
// off at the end of a partial read.
func mostlyUTF8(b []byte, truncated bool) bool {
	if truncated && len(b) > utf8.UTFMax {
		b = b[:len(b)-utf8.UTFMax]
	}
	invalid, multi := 0, 0
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n == 1:
			invalid++
		case n > 1:
			multi += n
		}
		b = b[n:]
	}
	return invalid == 0 || invalid*100 <= multi
}

// readLine reads one line without its newline. A line longer than max bytes
// (not counting the newline) is consumed and reported with tooLong, holding
// only its first max bytes. n counts the bytes consumed, newline included.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, n int, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		n += len(frag)
		if !tooLong {
			line = append(line, frag...)
			if len(trimEOL(line)) > max {
				line, tooLong = line[:max], true
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && (len(line) > 0 || tooLong) {
			err = nil
		}
		return trimEOL(line), tooLong, n, err
	}
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
