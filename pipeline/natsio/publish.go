package natsio

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vocal-dev/vocal/pipeline"
)

// CheckSubject returns an error unless a JetStream stream stores subject:
// publishing there is then durable once the server acks.
func CheckSubject(ctx context.Context, js jetstream.JetStream, subject string) error {
	if _, err := js.StreamNameBySubject(ctx, subject); err != nil {
		return fmt.Errorf("nats subject %q: no JetStream stream stores it (add one): %w", subject, err)
	}
	return nil
}

// Publish publishes data to subject with JetStream and waits for the
// server's ack; the server drops a repeat of the same id within the
// stream's duplicate window. It is the alert package's Publish.
func Publish(js jetstream.JetStream) func(ctx context.Context, subject, id string, data []byte) error {
	return func(ctx context.Context, subject, id string, data []byte) error {
		_, err := js.Publish(ctx, subject, data, jetstream.WithMsgID(id))
		return err
	}
}

// DeadLetter is a pipeline.DeadLetter on a JetStream subject.
type DeadLetter struct {
	JS      jetstream.JetStream
	Subject string
}

// Put implements pipeline.DeadLetter.
func (d DeadLetter) Put(ctx context.Context, line []byte) error {
	if _, err := d.JS.Publish(ctx, d.Subject, line); err != nil {
		return fmt.Errorf("dead letter %s: %w", d.Subject, err)
	}
	return nil
}

// Sink publishes each output record as JSON to a JetStream subject, with
// the record id as message id (replays within the stream's duplicate window
// are dropped by the server). Rejected records are skipped: they belong to
// the dead letter. Publishing is asynchronous; Sink is a pipeline.Committer
// whose records are durable once the server acked them in order.
type Sink struct {
	js      jetstream.JetStream
	subject string
	futures []jetstream.PubAckFuture // not yet acked, in write order; nil for skipped records
	acked   int64
}

// NewSink publishes to subject. Bound the unacked publishes with
// jetstream.WithPublishAsyncMaxPending when creating js.
func NewSink(js jetstream.JetStream, subject string) *Sink {
	return &Sink{js: js, subject: subject}
}

// Write implements pipeline.Sink.
func (s *Sink) Write(_ context.Context, r *pipeline.Record) error {
	if r.Err != nil {
		s.futures = append(s.futures, nil)
		return nil
	}
	b, err := pipeline.MarshalRecord(r)
	if err != nil {
		return err
	}
	f, err := s.js.PublishMsgAsync(&nats.Msg{Subject: s.subject, Data: b}, jetstream.WithMsgID(r.ID))
	if err != nil {
		return fmt.Errorf("publish %s to %s: %w", r.ID, s.subject, err)
	}
	s.futures = append(s.futures, f)
	return nil
}

// Commit implements pipeline.Committer: it counts the records acked in
// order; with all, it waits for every ack.
func (s *Sink) Commit(ctx context.Context, all bool) (int64, error) {
	i := 0
	defer func() { s.futures = s.futures[i:] }()
	for ; i < len(s.futures); i++ {
		f := s.futures[i]
		if f == nil {
			s.acked++
			continue
		}
		if !all {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return s.acked, fmt.Errorf("publish to %s: %w", s.subject, err)
			default:
				return s.acked, nil
			}
		} else {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return s.acked, fmt.Errorf("publish to %s: %w", s.subject, err)
			case <-ctx.Done():
				return s.acked, ctx.Err()
			}
		}
		s.acked++
	}
	return s.acked, nil
}

// closeTimeout bounds how long Close waits for the server's acks.
const closeTimeout = 30 * time.Second

// Close waits for the acks of what was published, at most closeTimeout, and
// not at all once the connection is closed (a crash or a cut drain: the
// acks will never come, and the records are redelivered as they were not
// acked either).
func (s *Sink) Close() error {
	if len(s.futures) == 0 {
		return nil
	}
	nc := s.js.Conn()
	closed := nc.StatusChanged(nats.CLOSED)
	defer nc.RemoveStatusListener(closed)
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	go func() {
		select {
		case <-closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	if nc.IsClosed() {
		cancel()
	}
	if _, err := s.Commit(ctx, true); err != nil {
		return fmt.Errorf("%w (%d records unacked)", err, len(s.futures))
	}
	return nil
}
