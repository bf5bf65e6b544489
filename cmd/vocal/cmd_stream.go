package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/natsio"
)

// streamOptions are the flags of `vocal stream`.
type streamOptions struct {
	natsURL, stream, consumer, subject string
	maxDeliveries, maxAckPending       int
	fetch, maxInFlight                 int
	ackWait, drainTimeout              time.Duration
	outSubject, outDir                 string
	rollMB                             int64
	rollAge                            time.Duration
	deadLetter, deadLetterSubject      string
	metricsAddr, logFormat, logLevel   string
	index                              indexOptions
}

func newStreamCmd(g *globalOptions) *cobra.Command {
	o := &streamOptions{}
	c := &cobra.Command{
		Use:   "stream",
		Short: "Streaming stage: tag records from stdin or NATS JetStream as they arrive; alerts to the routes",
		Long: `Runs the stage of vocal run on an endless stream: JSONL on stdin (each line
tagged as soon as it arrives) or a durable JetStream pull consumer (--nats).
Output records go to stdout as JSONL, or to a JetStream subject (--out-subject);
--out DIR also writes the dataset layout as rolling parts (--roll-mb, --roll-age);
--index DIR upserts into a Bleve index, committed every --index-batch records
or --index-commit.
Alert rules and routes come from the config file (alerts:).

A NATS message is acked only once every output of its record is durable: the
output published and acked by the server, its alerts delivered or in a dead
letter, its dataset part and index batch committed. Unacked messages are
redelivered; after --max-deliveries a message goes to the dead letter.
Rejected records go to the dead letter (or stderr). SIGINT/SIGTERM stops reading, drains the records in
flight, acks them and closes the outputs; a second signal or --drain-timeout
cuts the drain short (unacked messages are redelivered).`,
		Example: `  vocal tag-like use:  tail -f feedback.jsonl | vocal stream --dead-letter rejects.jsonl
  vocal stream --nats nats://127.0.0.1:4222 --stream FEEDBACK --consumer vocal \
    --out-subject feedback.tagged --dead-letter-subject feedback.dead \
    --config alerts.yaml --metrics-addr :9464`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("stream takes no arguments (stdin or --nats)")
			}
			cfg, err := g.load(cmd)
			if err != nil {
				return err
			}
			return runStream(cmd.Context(), cfg, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.natsURL, "nats", "", "NATS server URL; empty reads JSONL from stdin")
	f.StringVar(&o.stream, "stream", "FEEDBACK", "JetStream stream to read (must exist)")
	f.StringVar(&o.consumer, "consumer", "vocal", "durable consumer name, shared by every worker")
	f.StringVar(&o.subject, "subject", "", "subject filter within the stream (empty: all)")
	f.IntVar(&o.maxDeliveries, "max-deliveries", 5, "deliveries before a message goes to the dead letter")
	f.DurationVar(&o.ackWait, "ack-wait", 60*time.Second, "redeliver a message not acked within this")
	f.IntVar(&o.maxAckPending, "max-ack-pending", 10000, "messages delivered and not yet acked, per consumer (keep above records/s x --roll-age with --out)")
	f.IntVar(&o.fetch, "fetch", 128, "messages buffered by the client")
	f.IntVar(&o.maxInFlight, "max-in-flight", 0, "records read and not yet written (0 = 64 per worker)")
	f.StringVar(&o.outSubject, "out-subject", "", "publish output records to this JetStream subject instead of stdout")
	f.StringVar(&o.outDir, "out", "", "also write the dataset layout to DIR, in rolling parts")
	f.Int64Var(&o.rollMB, "roll-mb", 64, "start a new dataset part after this many MB of record text and fields")
	f.DurationVar(&o.rollAge, "roll-age", time.Minute, "start a new dataset part this long after its first record")
	f.StringVar(&o.deadLetter, "dead-letter", "", "append rejected records and poison messages to this file")
	f.StringVar(&o.deadLetterSubject, "dead-letter-subject", "", "publish rejected records and poison messages to this JetStream subject")
	f.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address at /metrics (e.g. :9464)")
	f.DurationVar(&o.drainTimeout, "drain-timeout", 30*time.Second, "after SIGINT/SIGTERM, give up draining after this")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	c.Flags().StringVar(&g.cfg.TimeField, "time-field", "created_at", "field whose day partitions the dataset records (--out)")
	o.index.register(c)
	addLLMFlags(c, g, true)
	return c
}

func (o *streamOptions) logger() (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	ho := &slog.HandlerOptions{Level: lvl}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, ho)), nil
	}
	return nil, usagef("--log-format %q: want text or json", o.logFormat)
}

func (o *streamOptions) validate() error {
	switch {
	case o.deadLetter != "" && o.deadLetterSubject != "":
		return usagef("give --dead-letter or --dead-letter-subject, not both")
	case o.natsURL == "" && (o.outSubject != "" || o.deadLetterSubject != ""):
		return usagef("--out-subject and --dead-letter-subject need --nats")
	case o.natsURL != "" && o.deadLetter == "" && o.deadLetterSubject == "":
		return usagef("--nats needs --dead-letter FILE or --dead-letter-subject SUBJECT for poison messages")
	case o.maxDeliveries < 1 || o.maxAckPending < 1 || o.fetch < 1 || o.maxInFlight < 0 || o.rollMB < 1:
		return usagef("--max-deliveries, --max-ack-pending, --fetch and --roll-mb must be at least 1")
	case o.ackWait <= 0 || o.rollAge <= 0 || o.drainTimeout <= 0:
		return usagef("--ack-wait, --roll-age and --drain-timeout must be positive")
	}
	return nil
}

func runStream(parent context.Context, cfg Config, o *streamOptions) (err error) {
	if err := o.validate(); err != nil {
		return err
	}
	log, err := o.logger()
	if err != nil {
		return err
	}
	// stop ends the source (graceful: drain, commit, ack); ctx aborts the
	// run when the drain takes too long or a second signal comes.
	stop, stopped := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stopped()
	ctx, abort := context.WithCancel(parent)
	defer abort()
	defer context.AfterFunc(stop, func() {
		log.Info("stopping: draining records in flight", "timeout", o.drainTimeout)
		time.AfterFunc(o.drainTimeout, abort)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			select {
			case <-sig:
				abort()
			case <-ctx.Done():
			}
			signal.Stop(sig)
		}()
	})()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newStreamMetrics(reg)
	if o.metricsAddr != "" {
		srv, err := serveMetrics(o.metricsAddr, reg, log)
		if err != nil {
			return err
		}
		defer srv.Shutdown(context.Background())
	}

	an, err := analyzer(cfg)
	if err != nil {
		return err
	}
	st, workers, llmDone, err := tagStage(cfg, an, os.Stderr)
	if err != nil {
		return err
	}
	defer llmDone()
	ix, err := o.index.open()
	if err != nil {
		return err
	}

	var js jetstream.JetStream
	if o.natsURL != "" {
		nc, err := nats.Connect(o.natsURL, nats.Name("vocal stream"), nats.MaxReconnects(-1))
		if err != nil {
			return fmt.Errorf("nats %s: %w", o.natsURL, err)
		}
		defer nc.Drain()
		if js, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096)); err != nil {
			return err
		}
	}

	// Dead letter: rejects and poison messages.
	var dl pipeline.DeadLetter
	switch {
	case o.deadLetter != "":
		f, err := pipeline.OpenDeadLetterFile(o.deadLetter)
		if err != nil {
			return err
		}
		defer f.Close()
		dl = f
	case o.deadLetterSubject != "":
		if err := natsio.CheckSubject(ctx, js, o.deadLetterSubject); err != nil {
			return usageError{err}
		}
		dl = natsio.DeadLetter{JS: js, Subject: o.deadLetterSubject}
	}

	var src pipeline.Source
	if js != nil {
		ns, err := natsio.OpenSource(ctx, js, natsio.SourceConfig{
			Stream: o.stream, Consumer: o.consumer, FilterSubject: o.subject, MaxDeliveries: o.maxDeliveries,
			AckWait: o.ackWait, MaxAckPending: o.maxAckPending, Fetch: o.fetch, Input: cfg.Input, DeadLetter: dl,
			OnLag: func(n uint64) { m.lag.Set(float64(n)) },
		})
		if err != nil {
			return err
		}
		src = ns
	} else {
		s, err := pipeline.NewStreamSource("<stdin>", pipeline.StopReader(os.Stdin, stop), cfg.Input)
		if err != nil {
			return usageError{err}
		}
		src = s
	}
	src = pipeline.Until(countingSource{src, m}, stop)
	defer src.Close()

	alerts, err := newAlerts(ctx, cfg.Alerts, js, reg, log)
	if err != nil {
		return err
	}
	defer alerts.Close()
	sinks := []pipeline.Sink{alerts}
	switch {
	case o.outSubject != "":
		if err := natsio.CheckSubject(ctx, js, o.outSubject); err != nil {
			return usageError{err}
		}
		sinks = append(sinks, natsio.NewSink(js, o.outSubject))
	default:
		var rejects io.Writer = os.Stderr
		if dl != nil {
			rejects = io.Discard
		}
		out := pipeline.NewJSONLSink(os.Stdout, rejects)
		out.FlushEach = true
		sinks = append(sinks, out)
	}
	if dl != nil {
		sinks = append(sinks, pipeline.RejectSink{DL: dl})
	}
	if o.outDir != "" {
		started := time.Now().UTC()
		rs, err := pipeline.NewRollingSink(pipeline.RollingConfig{
			Dataset:  pipeline.DatasetConfig{Dir: o.outDir, RunID: newRunID(started), TimeField: cfg.TimeField, BatchRows: cfg.BatchRows, Alert: alerts.Match},
			MaxBytes: o.rollMB << 20, MaxAge: o.rollAge, Source: sourceName(o),
			Versions: pipeline.Versions{Vocal: version, Lexicons: an.Lexicons.Version,
				Taxonomy: fmt.Sprintf("v%d", an.Lexicons.Taxonomy.Version), Models: an.ModelsVersion()},
			Config: cfg,
		})
		if err != nil {
			return err
		}
		sinks = append(sinks, rs)
	}
	if ix != nil {
		sinks = append(sinks, ix)
	}
	sink := pipeline.Tee(sinks...)

	log.Info("stream started", "source", sourceName(o), "workers", workers, "out", outName(o))
	started := time.Now()
	counts, runErr := pipeline.Run(ctx, src, st, sink, pipeline.RunOptions{
		Workers: workers, MaxInFlight: o.maxInFlight,
		OnWritten: func(r *pipeline.Record, d time.Duration) {
			if r.Err != nil {
				m.rejected.Inc()
			} else {
				m.written.Inc()
			}
			m.latency.Observe(d.Seconds())
		},
	})
	closeErr := sink.Close()
	elapsed := time.Since(started)
	log.Info("stream stopped", "read", counts.Read, "written", counts.Written, "rejected", counts.Rejected,
		"seconds", elapsed.Seconds(), "records_per_second", float64(counts.Read)/elapsed.Seconds())
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) && stop.Err() != nil {
			return errors.New("stream: drain cut short; unacked messages will be redelivered")
		}
		return runErr
	}
	return closeErr
}

func sourceName(o *streamOptions) string {
	if o.natsURL == "" {
		return "<stdin>"
	}
	return "nats:" + o.stream
}

func outName(o *streamOptions) string {
	out := "stdout"
	if o.outSubject != "" {
		out = "nats:" + o.outSubject
	}
	if o.outDir != "" {
		out += "," + o.outDir
	}
	if o.index.dir != "" {
		out += ",index:" + o.index.dir
	}
	return out
}

// streamMetrics are the runner's Prometheus metrics (the alert engine
// registers its own).
type streamMetrics struct {
	read, written, rejected prometheus.Counter
	latency                 prometheus.Histogram
	lag                     prometheus.Gauge
}

func newStreamMetrics(reg prometheus.Registerer) *streamMetrics {
	m := &streamMetrics{
		read:     prometheus.NewCounter(prometheus.CounterOpts{Name: "vocal_records_read_total", Help: "Records read from the source."}),
		written:  prometheus.NewCounter(prometheus.CounterOpts{Name: "vocal_records_written_total", Help: "Records tagged and written."}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "vocal_records_rejected_total", Help: "Records rejected (to the dead letter)."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vocal_record_latency_seconds",
			Help:    "Time from reading a record to writing its outputs.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vocal_consumer_pending",
			Help: "Messages of the consumer not yet delivered, as of the last message received."}),
	}
	reg.MustRegister(m.read, m.written, m.rejected, m.latency, m.lag)
	return m
}

// countingSource counts the records read.
type countingSource struct {
	pipeline.Source
	m *streamMetrics
}

func (c countingSource) Next(ctx context.Context) (*pipeline.Record, error) {
	r, err := c.Source.Next(ctx)
	if err == nil {
		c.m.read.Inc()
	}
	return r, err
}

func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usagef("--metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	log.Info("metrics", "addr", "http://"+strings.Replace(ln.Addr().String(), "[::]", "localhost", 1)+"/metrics")
	return srv, nil
}
