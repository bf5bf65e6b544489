package natsio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vocal-dev/vocal/pipeline"
)

// SourceConfig configures a JetStream source.
type SourceConfig struct {
	Stream        string        // stream to read; must exist
	Consumer      string        // durable consumer name, shared by every worker
	FilterSubject string        // optional subject filter within the stream
	MaxDeliveries int           // deliveries before a message goes to the dead letter; default 5
	AckWait       time.Duration // redelivery of unacked messages after this; default 60s
	MaxAckPending int           // delivered and not yet acked, per consumer; default 10000
	Fetch         int           // messages buffered in the client; default 128
	NakDelay      time.Duration // redelivery delay of a nacked message; default 1s
	Input         pipeline.InputConfig
	DeadLetter    pipeline.DeadLetter  // required
	OnLag         func(pending uint64) // called with the messages not yet delivered, per message
}

// Source is a pipeline.Source over a durable JetStream pull consumer.
// Records carry an Ack: nil acks the message; an error leaves it to Close to
// nak, at once when the error is pipeline.ErrNotDurable (the record was not
// at fault), else with NakDelay. Next is called from one goroutine; Ack from
// any.
type Source struct {
	cfg  SourceConfig
	cons jetstream.Consumer
	it   jetstream.MessagesContext
	name string

	mu       sync.Mutex
	released []jetstream.Msg // nacked with pipeline.ErrNotDurable
	failed   []jetstream.Msg // nacked for their own failure
}

// OpenSource creates or updates the durable consumer and starts pulling.
func OpenSource(ctx context.Context, js jetstream.JetStream, cfg SourceConfig) (*Source, error) {
	if cfg.Stream == "" || cfg.Consumer == "" {
		return nil, errors.New("nats source: stream and consumer names are required")
	}
	if cfg.DeadLetter == nil {
		return nil, errors.New("nats source: a dead letter is required")
	}
	if err := cfg.Input.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxDeliveries <= 0 {
		cfg.MaxDeliveries = 5
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 60 * time.Second
	}
	if cfg.MaxAckPending <= 0 {
		cfg.MaxAckPending = 10000
	}
	if cfg.Fetch <= 0 {
		cfg.Fetch = 128
	}
	if cfg.NakDelay <= 0 {
		cfg.NakDelay = time.Second
	}
	if _, err := js.Stream(ctx, cfg.Stream); err != nil {
		return nil, fmt.Errorf("nats stream %q: %w", cfg.Stream, err)
	}
	// MaxDeliver is left unlimited: the source itself dead-letters a message
	// past MaxDeliveries, so that none is dropped silently.
	cons, err := js.CreateOrUpdateConsumer(ctx, cfg.Stream, jetstream.ConsumerConfig{
		Durable: cfg.Consumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: cfg.AckWait,
		MaxAckPending: cfg.MaxAckPending, MaxDeliver: -1, FilterSubject: cfg.FilterSubject,
	})
	if err != nil {
		return nil, fmt.Errorf("nats consumer %q on %q: %w", cfg.Consumer, cfg.Stream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(cfg.Fetch))
	if err != nil {
		return nil, fmt.Errorf("nats consumer %q: %w", cfg.Consumer, err)
	}
	return &Source{cfg: cfg, cons: cons, it: it, name: "nats:" + cfg.Stream}, nil
}

// Next implements pipeline.Source. It blocks until a message arrives or ctx
// is done.
func (s *Source) Next(ctx context.Context) (*pipeline.Record, error) {
	for {
		msg, err := s.it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		md, err := msg.Metadata()
		if err != nil {
			return nil, fmt.Errorf("%s: message on %s: %w", s.name, msg.Subject(), err)
		}
		if s.cfg.OnLag != nil {
			s.cfg.OnLag(md.NumPending)
		}
		seq := int(md.Sequence.Stream)
		if md.NumDelivered > uint64(s.cfg.MaxDeliveries) {
			if err := s.deadLetter(ctx, msg, seq, md.NumDelivered); err != nil {
				s.nack(msg, err)
				return nil, err
			}
			continue
		}
		rec := pipeline.ParseMessage(s.name, seq, msg.Data(), s.cfg.Input)
		rec.Ack = func(err error) {
			// A failed ack or nak leaves the message to be redelivered after
			// AckWait: at least once either way.
			if err == nil {
				msg.Ack()
			} else {
				s.nack(msg, err)
			}
		}
		return rec, nil
	}
}

// deadLetter stores a message that was never acked in MaxDeliveries
// deliveries and terminates it.
func (s *Source) deadLetter(ctx context.Context, msg jetstream.Msg, seq int, delivered uint64) error {
	line, _ := json.Marshal(pipeline.RejectLine{Source: s.name, Line: seq,
		Reason: fmt.Sprintf("not acknowledged after %d deliveries (subject %s)", delivered-1, msg.Subject()),
		Raw:    string(msg.Data())})
	if err := s.cfg.DeadLetter.Put(ctx, line); err != nil {
		return fmt.Errorf("%s: dead letter of message %d: %w", s.name, seq, err)
	}
	return msg.TermWithReason("dead-lettered by vocal")
}

// nack keeps a message for Close to nak: a nak sent while this source still
// pulls may be redelivered straight back to it.
func (s *Source) nack(msg jetstream.Msg, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errors.Is(err, pipeline.ErrNotDurable) {
		s.released = append(s.released, msg)
	} else {
		s.failed = append(s.failed, msg)
	}
}

// Close stops pulling, then naks the messages buffered in the client and
// those nacked by Ack, so that another worker gets them instead of after
// AckWait. The messages that were not at fault go back at once, ahead of
// those that failed, which go back after NakDelay: a worker restarted after
// a poison message processes the messages it held before taking the poison
// message again, and their deliveries do not run out with its own.
func (s *Source) Close() error {
	s.it.Drain()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Next fails once the server has dropped the pull subscription.
	var buffered []jetstream.Msg
	for {
		msg, err := s.it.Next(jetstream.NextContext(ctx))
		if err != nil {
			break
		}
		buffered = append(buffered, msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, msg := range append(s.released, buffered...) {
		msg.Nak()
	}
	for _, msg := range s.failed {
		msg.NakWithDelay(s.cfg.NakDelay)
	}
	s.released, s.failed = nil, nil
	return nil
}

// Pending reports the consumer's messages not yet delivered and delivered
// but not yet acked, from the server.
func (s *Source) Pending(ctx context.Context) (notDelivered uint64, notAcked int, err error) {
	info, err := s.cons.Info(ctx)
	if err != nil {
		return 0, 0, err
	}
	return info.NumPending, info.NumAckPending, nil
}
