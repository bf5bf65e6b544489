package pipeline

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// Incremental reading of input files (vocal run): a file read by an earlier
// run is recognised by its absolute path, its first bytes and the last bytes
// that run read, and read on from where that run stopped.

// Modes of reading an input file (FilePosition.Mode).
const (
	ModeNew       = "new"       // not read before: from the start
	ModeResumed   = "resumed"   // the same file, grown: on from where the last run stopped
	ModeUnchanged = "unchanged" // the same file and size: nothing to read
	ModeChanged   = "changed"   // replaced, truncated or read with another format: from the start
	ModeFull      = "full"      // from the start, as asked (vocal run --full)
)

// identityBytes is how much of a file's start, and of the end of what was
// read, identifies it.
const identityBytes = 4096

// FilePosition says how far a run read an input file and how to recognise
// the file next time. Offsets count bytes of the decoded (UTF-8) text after
// any byte-order mark; for a UTF-8 file they are file offsets less the mark.
type FilePosition struct {
	Path     string `json:"path"` // absolute
	Format   string `json:"format"`
	Encoding string `json:"encoding"`
	Size     int64  `json:"size"`           // bytes of the file read: its size when the run reached its end
	Offset   int64  `json:"offset"`         // end of the last line read that ends with a newline
	Line     int    `json:"line"`           // lines before Offset
	Tail     int64  `json:"tail,omitempty"` // bytes after Offset, read now and again once the file grows: a last JSONL line without a newline, the last CSV row
	Head     string `json:"head"`           // sha256 of the first min(Size, 4 KiB) bytes of the file
	End      string `json:"end"`            // sha256 of the min(Size, 4 KiB) bytes before Size
	Mode     string `json:"mode"`           // how this run read the file: new, resumed, unchanged, changed, full
	From     int64  `json:"from"`           // offset where this run started reading
	FromLine int    `json:"from_line"`      // lines before From
}

// InputOption is an optional knob of OpenInputs.
type InputOption func(*inputOptions)

type inputOptions struct {
	resume    map[string]*FilePosition // nil: no tracking
	full      bool
	skip      func(*Record) bool
	bytes     *atomic.Int64
	unchanged atomic.Int64
}

// WithResume tracks how far each input file is read (InputStat.Position)
// and reads a file found in prev (by absolute path) that is the same file,
// possibly grown, on from where it was left: not at all when its size is the
// same, from the start when it was replaced or truncated. With full, every
// file is read from the start. Files are expected to grow only by appending:
// a change in the middle of a file that keeps its size, first and last read
// 4 KiB goes unnoticed.
func WithResume(prev map[string]*FilePosition, full bool) InputOption {
	return func(o *inputOptions) {
		o.resume, o.full = prev, full
		if o.resume == nil {
			o.resume = map[string]*FilePosition{}
		}
	}
}

// WithSkip drops the records for which skip returns true, counting them in
// InputStat.Unchanged (see SkipUnchanged). skip is called from the
// goroutine that calls Next.
func WithSkip(skip func(*Record) bool) InputOption {
	return func(o *inputOptions) { o.skip = skip }
}

// WithByteCounter adds the bytes read from input files to n, which may be
// read from any goroutine (progress reporting).
func WithByteCounter(n *atomic.Int64) InputOption {
	return func(o *inputOptions) { o.bytes = n }
}

// filePos is a position in a source's decoded input.
type filePos struct {
	offset int64
	line   int
}

// positioner is implemented by the file sources: end is where the input
// read so far ends, last where the last line (JSONL) or row (CSV) read
// starts.
type positioner interface {
	position() (end, last filePos)
}

// resumeAt tells a source to start at offset, after line lines; skip moves
// the decoded reader from offset from to offset to.
type resumeAt struct {
	offset int64
	line   int
	skip   func(from, to int64) error
}

// filePlan is how a file is to be read.
type filePlan struct {
	abs  string
	mode string
	prev *FilePosition // resumed or unchanged: the last run's position
	size int64
}

// plan decides how to read the open file f of path.
func (in *Inputs) plan(path string, f *os.File) (*filePlan, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	p := &filePlan{abs: abs, mode: ModeNew, size: st.Size()}
	prev := in.opt.resume[abs]
	switch {
	case in.opt.full:
		p.mode = ModeFull
	case prev == nil:
	case prev.Format != in.format(path) || !sameFile(f, st.Size(), prev) || !sameEncoding(f, st.Size(), in.cfg.Encoding, prev):
		p.mode = ModeChanged
	case st.Size() == prev.Size:
		p.mode, p.prev = ModeUnchanged, prev
	default:
		p.mode, p.prev = ModeResumed, prev
	}
	return p, nil
}

func (in *Inputs) format(path string) string {
	if in.cfg.Format != "auto" {
		return in.cfg.Format
	}
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return "csv"
	}
	return "jsonl"
}

// sameFile reports whether f, of size bytes, is the file prev describes,
// possibly grown.
func sameFile(f *os.File, size int64, prev *FilePosition) bool {
	if size < prev.Size {
		return false
	}
	head, end, err := identity(f, prev.Size)
	return err == nil && head == prev.Head && end == prev.End
}

// sameEncoding reports whether f, of size bytes, read with the encoding
// setting enc, decodes as it did when prev was read. A guess (auto) is made
// again from the file's start as it is now: the start read before may have
// been too short to tell.
func sameEncoding(f *os.File, size int64, enc string, prev *FilePosition) bool {
	switch enc = strings.ToLower(enc); enc {
	case "auto":
	case "utf-8", "utf8":
		return strings.HasPrefix(prev.Encoding, "utf-8")
	default:
		return enc == prev.Encoding
	}
	head := make([]byte, min(size, sniffBytes))
	if _, err := f.ReadAt(head, 0); err != nil && len(head) > 0 {
		return false
	}
	return sniffEncoding(head, size > sniffBytes) == prev.Encoding
}

// identity hashes the first 4 KiB of f and the 4 KiB before size.
func identity(f *os.File, size int64) (head, end string, err error) {
	n := min(size, identityBytes)
	buf := make([]byte, n)
	hash := func(off int64) (string, error) {
		if _, err := f.ReadAt(buf, off); err != nil && n > 0 {
			return "", err
		}
		h := sha256.Sum256(buf)
		return hex.EncodeToString(h[:]), nil
	}
	if head, err = hash(0); err != nil {
		return "", "", err
	}
	end, err = hash(size - n)
	return head, end, err
}

// trackedFile is an input file read with WithResume.
type trackedFile struct {
	f                     *os.File
	abs, format, encoding string
	mode                  string
	from                  int64
	fromLine              int
}

// end builds the file's position once its source reached the end.
func (t *trackedFile) end(end, last filePos) (*FilePosition, error) {
	// Everything was read: the file offset is the size as read.
	size, err := t.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	p := &FilePosition{Path: t.abs, Format: t.format, Encoding: t.encoding, Size: size, Offset: end.offset, Line: end.line,
		Mode: t.mode, From: t.from, FromLine: t.fromLine}
	if size > 0 && end.offset > last.offset {
		// A JSONL line is complete when it ends with a newline ('\n' is one
		// byte, never part of another character, in UTF-8 and GB18030
		// alike). A CSV row may span lines inside quotes, and the reader
		// takes a quote left open at the end of the file as closed: the
		// last row is always read again once the file grows (a complete
		// one is then skipped as unchanged).
		var b [1]byte
		if _, err := t.f.ReadAt(b[:], size-1); err != nil {
			return nil, err
		}
		if b[0] != '\n' || t.format == "csv" {
			p.Offset, p.Line, p.Tail = last.offset, last.line, end.offset-last.offset
		}
	}
	if p.Head, p.End, err = identity(t.f, size); err != nil {
		return nil, err
	}
	return p, nil
}

// skipper returns the function that moves the decoded reader br of file f
// (raw is what br reads from) forward: a seek for UTF-8, where decoded
// offsets are file offsets less the byte-order mark, else by decoding and
// discarding.
func skipper(f *os.File, raw io.Reader, br *bufio.Reader, enc string) func(from, to int64) error {
	return func(from, to int64) error {
		if enc == "utf-8" || enc == "utf-8-bom" {
			var bom int64
			head := make([]byte, 3)
			if n, _ := f.ReadAt(head, 0); n == 3 && bytes.Equal(head, []byte{0xEF, 0xBB, 0xBF}) {
				bom = 3
			}
			if _, err := f.Seek(bom+to, io.SeekStart); err != nil {
				return err
			}
			br.Reset(raw)
			return nil
		}
		n, err := io.CopyN(io.Discard, br, to-from)
		if err == io.EOF {
			err = fmt.Errorf("file ends at byte %d", from+n)
		}
		return err
	}
}

// Remaining returns how many bytes of the input files are left to read (a
// file resumed in a multi-byte encoding other than UTF-8 counts whole: it
// is decoded from the start), or -1 when that is unknown (stdin, a file that
// cannot be opened). Call it before reading.
func (in *Inputs) Remaining() int64 {
	var total int64
	for _, path := range in.paths[in.idx:] {
		if path == "-" {
			return -1
		}
		f, err := os.Open(path)
		if err != nil {
			return -1
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return -1
		}
		n := st.Size()
		if in.opt.resume != nil {
			if p, err := in.plan(path, f); err == nil {
				switch {
				case p.mode == ModeUnchanged:
					n = 0
				case p.mode == ModeResumed && (p.prev.Encoding == "utf-8" || p.prev.Encoding == "utf-8-bom"):
					n -= p.prev.Offset
				}
			}
		}
		f.Close()
		total += max(n, 0)
	}
	return total
}

// countingReader adds the bytes read to n.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
