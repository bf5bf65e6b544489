package pipeline

import (
	"context"
	"fmt"
	"os"
	"sync"
)

// DeadLetter keeps what could not be processed or delivered (rejected
// records, poison messages, alerts whose deliveries all failed), one JSON
// object per line, so that nothing is lost. Put returns once the line is
// durable; it is safe for concurrent use.
type DeadLetter interface {
	Put(ctx context.Context, line []byte) error
}

// DeadLetterFile appends lines to a file and syncs it after each Put.
type DeadLetterFile struct {
	mu sync.Mutex
	f  *os.File
}

// OpenDeadLetterFile opens path for appending, creating it if needed.
func OpenDeadLetterFile(path string) (*DeadLetterFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dead letter: %w", err)
	}
	return &DeadLetterFile{f: f}, nil
}

// Put implements DeadLetter.
func (d *DeadLetterFile) Put(_ context.Context, line []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b := make([]byte, 0, len(line)+1)
	b = append(append(b, line...), '\n')
	if _, err := d.f.Write(b); err != nil {
		return fmt.Errorf("dead letter %s: %w", d.f.Name(), err)
	}
	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("dead letter %s: %w", d.f.Name(), err)
	}
	return nil
}

// Close closes the file.
func (d *DeadLetterFile) Close() error { return d.f.Close() }

// RejectSink writes each rejected record (Err set) to a dead letter as a
// RejectLine and ignores the others; a rejected record is durable once Write
// returns. Close does not close the dead letter.
type RejectSink struct{ DL DeadLetter }

// Write implements Sink.
func (s RejectSink) Write(ctx context.Context, r *Record) error {
	if r.Err == nil {
		return nil
	}
	return s.DL.Put(ctx, MarshalReject(r))
}

// Close implements Sink.
func (RejectSink) Close() error { return nil }
