package pipeline

import (
	"context"
	"errors"
)

// Tee returns a sink that writes every record to each of sinks in order and
// closes them all. A write error stops at the failing sink; Close closes every
// sink and joins their errors.
func Tee(sinks ...Sink) Sink { return tee(sinks) }

type tee []Sink

func (t tee) Write(ctx context.Context, r *Record) error {
	for _, s := range t {
		if err := s.Write(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func (t tee) Close() error {
	var errs []error
	for _, s := range t {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
