package pipeline

import (
	"context"
	"errors"
	"testing"
)

type recordingSink struct {
	ids      []string
	writeErr error
	closeErr error
	closed   bool
}

func (s *recordingSink) Write(_ context.Context, r *Record) error {
	if s.writeErr != nil {
		return s.writeErr
	}
	s.ids = append(s.ids, r.ID)
	return nil
}

func (s *recordingSink) Close() error { s.closed = true; return s.closeErr }

func TestTee(t *testing.T) {
	a, b := &recordingSink{}, &recordingSink{closeErr: errors.New("b close")}
	sink := Tee(a, b)
	for _, id := range []string{"1", "2"} {
		if err := sink.Write(context.Background(), &Record{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Close(); err == nil || err.Error() != "b close" {
		t.Fatalf("Close = %v, want b's error", err)
	}
	if len(a.ids) != 2 || len(b.ids) != 2 || !a.closed || !b.closed {
		t.Fatalf("a=%v b=%v closed %v %v", a.ids, b.ids, a.closed, b.closed)
	}
	failing := Tee(&recordingSink{writeErr: errors.New("full")}, b)
	if err := failing.Write(context.Background(), &Record{ID: "3"}); err == nil || len(b.ids) != 2 {
		t.Fatalf("write error %v; later sink got %v", err, b.ids)
	}
}
