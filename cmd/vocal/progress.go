package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/vocal-dev/vocal/pipeline"
)

// progress reports the progress of vocal run on stderr: a bar with the
// bytes read, records/s and the ETA on a terminal (schollz/progressbar),
// else a log line every interval and one per phase, for cron. It reads
// counters only: the pipeline calls onWritten, the inputs count bytes.
type progress struct {
	mode      string // bar, log, none
	w         io.Writer
	log       *slog.Logger
	every     time.Duration
	total     int64 // bytes to read; -1 unknown
	bytes     *atomic.Int64
	unchanged func() int64
	written   atomic.Int64
	rejected  atomic.Int64
	began     time.Time
	bar       *progressbar.ProgressBar
	stop      chan struct{}
	done      chan struct{}
}

// newProgress resolves mode auto: a bar when w is a terminal, else log lines.
func newProgress(mode string, every time.Duration, w *os.File) *progress {
	if mode == "auto" {
		mode = "log"
		if term.IsTerminal(int(w.Fd())) {
			mode = "bar"
		}
	}
	return &progress{mode: mode, w: w, every: every, log: slog.New(slog.NewTextHandler(w, nil))}
}

// start begins reporting: total bytes to read (-1 unknown), bytes read so
// far, records skipped so far.
func (p *progress) start(total int64, bytes *atomic.Int64, unchanged func() int64) {
	p.total, p.bytes, p.unchanged, p.began = total, bytes, unchanged, time.Now()
	if p.mode == "none" || (p.mode == "bar" && total == 0) {
		return // nothing to report, or nothing to read
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	interval := p.every
	if p.mode == "bar" {
		interval = 200 * time.Millisecond
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("tagging"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionUseANSICodes(true),
		)
	} else {
		p.phase("reading", "bytes", total)
	}
	go func() {
		defer close(p.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.report()
			}
		}
	}()
}

// onWritten is the pipeline's RunOptions.OnWritten.
func (p *progress) onWritten(r *pipeline.Record, _ time.Duration) {
	if r.Err != nil {
		p.rejected.Add(1)
	} else {
		p.written.Add(1)
	}
}

func (p *progress) report() {
	written, rejected := p.written.Load(), p.rejected.Load()
	n := written + rejected
	elapsed := time.Since(p.began)
	rate := float64(n) / max(elapsed.Seconds(), 1e-3)
	done := p.bytes.Load()
	if p.total > 0 {
		// Files that grew since the start, and the start of a resumed file
		// read to check its encoding, may take the count past the total.
		done = min(done, p.total)
	}
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("%d records, %.0f/s", n, rate))
		p.bar.Set64(done)
		return
	}
	args := []any{"read", n, "written", written, "rejected", rejected, "unchanged", p.unchanged(),
		"records_per_second", int64(rate), "mb_read", mb(done)}
	if p.total > 0 {
		args = append(args, "mb_total", mb(p.total), "percent", min(100, 100*done/p.total))
		if done > 0 && done < p.total {
			eta := time.Duration(float64(elapsed) * float64(p.total-done) / float64(done))
			args = append(args, "eta", eta.Round(time.Second).String())
		}
	}
	p.log.Info("progress", args...)
}

func mb(n int64) string { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }

// phase announces a step of the run (log mode only; the bar says enough).
func (p *progress) phase(msg string, args ...any) {
	if p.mode == "log" {
		p.log.Info(msg, args...)
	}
}

// finish stops the reports after the records are read and written; a last
// log line gives the totals.
func (p *progress) finish() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.stop = nil
	p.report()
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
