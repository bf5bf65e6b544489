package pipeline

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// ErrStopped is returned by a StopReader's Read once its stop context is done.
var ErrStopped = errors.New("stopped")

// Until returns a source that ends with io.EOF once stop is done: stopping a
// stream this way makes Run drain the records in flight, commit and ack them,
// and return as at the end of a file. Next passes src a context that stop
// also cancels; a source blocked elsewhere (a read on a pipe or terminal)
// must read through a StopReader to be interrupted.
func Until(src Source, stop context.Context) Source { return &until{src: src, stop: stop} }

type until struct {
	src  Source
	stop context.Context
}

func (u *until) Next(ctx context.Context) (*Record, error) {
	if u.stop.Err() != nil {
		return nil, io.EOF
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(u.stop, cancel)()
	rec, err := u.src.Next(ctx)
	if err != nil && u.stop.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ErrStopped)) {
		return nil, io.EOF
	}
	return rec, err
}

func (u *until) Close() error { return u.src.Close() }

// StopReader returns a reader whose Read returns ErrStopped once stop is done,
// even while the read on r is blocked. The blocked read is abandoned: what it
// returns later is dropped. Not for concurrent use.
func StopReader(r io.Reader, stop context.Context) io.Reader {
	return &stopReader{r: r, stop: stop, done: make(chan readResult, 1)}
}

type stopReader struct {
	r    io.Reader
	stop context.Context
	buf  []byte
	busy bool
	done chan readResult
}

type readResult struct {
	n   int
	err error
}

func (s *stopReader) Read(p []byte) (int, error) {
	if !s.busy {
		if err := s.stop.Err(); err != nil {
			return 0, ErrStopped
		}
		if cap(s.buf) < len(p) {
			s.buf = make([]byte, len(p))
		}
		buf := s.buf[:len(p)]
		s.busy = true
		go func() {
			n, err := s.r.Read(buf)
			s.done <- readResult{n, err}
		}()
	}
	select {
	case res := <-s.done:
		s.busy = false
		return copy(p, s.buf[:res.n]), res.err
	case <-s.stop.Done():
		return 0, ErrStopped
	}
}

// NewStreamSource reads JSONL records from r as they arrive: each line is
// returned as soon as its newline is read (no look-ahead to sniff the
// encoding; JSON is UTF-8, so "auto" means UTF-8 here). Closing it closes r
// if r is an io.Closer.
func NewStreamSource(name string, r io.Reader, cfg InputConfig) (Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var closer io.Closer = io.NopCloser(nil)
	if c, ok := r.(io.Closer); ok {
		closer = c
	}
	switch strings.ToLower(cfg.Encoding) {
	case "gbk", "gb18030":
		r = transform.NewReader(r, simplifiedchinese.GB18030.NewDecoder())
	}
	return newJSONLSource(name, bufio.NewReaderSize(r, 64<<10), closer, cfg), nil
}

// ParseMessage builds the record of one JSON object received as a message
// (source names the subject, line its sequence number). A message that is
// not a valid record comes back with Err set, as a line of a file would.
// Raw holds the whole message, not clipped, so that a dead letter can be
// replayed.
func ParseMessage(source string, line int, data []byte, cfg InputConfig) *Record {
	s := &jsonlSource{name: source, cfg: cfg, line: line}
	rec := &Record{Source: source, Line: line, Raw: strings.ToValidUTF8(string(data), "\uFFFD")}
	if len(data) > cfg.MaxLineBytes {
		rec.Err = reject(source, line, "", "message longer than %d bytes", cfg.MaxLineBytes)
		return rec
	}
	rec.Err = s.parse(rec, data)
	return rec
}
