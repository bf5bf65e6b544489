package pipeline

import (
	"context"
	"errors"
)

// Tee returns a sink that writes every record to each of sinks in order and
// closes them all. A write error stops at the failing sink; Close closes every
// sink and joins their errors. The tee is a Committer: a record is durable
// once it is durable in every sink.
func Tee(sinks ...Sink) Sink { return &tee{sinks: sinks} }

type tee struct {
	sinks   []Sink
	written int64
}

func (t *tee) Write(ctx context.Context, r *Record) error {
	for _, s := range t.sinks {
		if err := s.Write(ctx, r); err != nil {
			return err
		}
	}
	t.written++
	return nil
}

// Commit implements Committer: it commits every Committer among the sinks
// and returns the least of their durable counts.
func (t *tee) Commit(ctx context.Context, all bool) (int64, error) {
	durable := t.written
	var errs []error
	for _, s := range t.sinks {
		if c, ok := s.(Committer); ok {
			d, err := c.Commit(ctx, all)
			durable = min(durable, d)
			errs = append(errs, err)
		}
	}
	return durable, errors.Join(errs...)
}

func (t *tee) Close() error {
	var errs []error
	for _, s := range t.sinks {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
