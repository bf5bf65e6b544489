package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vocal-dev/vocal/pipeline/alert"
	"github.com/vocal-dev/vocal/pipeline/natsio"
)

// alerting is the alert engine and the NATS connection it opened, if any.
type alerting struct {
	*alert.Engine
	nc *nats.Conn
}

// newAlerts builds the alert engine of cfg. The nats routes publish with js,
// or connect to cfg.NATSURL when js is nil; their subjects must be stored
// by a JetStream stream.
func newAlerts(ctx context.Context, cfg alert.Config, js jetstream.JetStream, reg prometheus.Registerer, log *slog.Logger) (*alerting, error) {
	a := &alerting{}
	opts := []alert.Option{alert.WithUserAgent("vocal/" + version), alert.WithRegisterer(reg), alert.WithLogger(log)}
	var subjects []string
	for _, r := range cfg.Routes {
		if r.Type == "nats" {
			subjects = append(subjects, r.Subject)
		}
	}
	if len(subjects) > 0 {
		if js == nil {
			if cfg.NATSURL == "" {
				return nil, usagef("alerts: nats routes need nats_url in the config (or --nats with vocal stream)")
			}
			nc, err := nats.Connect(cfg.NATSURL, nats.Name("vocal alerts"))
			if err != nil {
				return nil, fmt.Errorf("alerts: nats %s: %w", cfg.NATSURL, err)
			}
			a.nc = nc
			if js, err = jetstream.New(nc); err != nil {
				nc.Close()
				return nil, err
			}
		}
		for _, s := range subjects {
			if err := natsio.CheckSubject(ctx, js, s); err != nil {
				a.closeConn()
				return nil, usagef("alerts: %w", err)
			}
		}
		opts = append(opts, alert.WithPublish(natsio.Publish(js)))
	}
	eng, err := alert.New(cfg, opts...)
	if err != nil {
		a.closeConn()
		return nil, usageError{err}
	}
	a.Engine = eng
	return a, nil
}

func (a *alerting) closeConn() {
	if a.nc != nil {
		a.nc.Close()
	}
}

// Close stops the engine, then closes the connection it used.
func (a *alerting) Close() error {
	err := a.Engine.Close()
	if a.nc != nil {
		err = errors.Join(err, a.nc.Drain())
	}
	return err
}
