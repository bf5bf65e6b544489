package natsio

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/alert"
	"github.com/vocal-dev/vocal/segment/segmenttest"
)

// benchAnalyzer is the real tag stage (embedded lexicons, no models), built
// once: the gse dictionary takes seconds to load.
var benchAnalyzer = sync.OnceValues(func() (*pipeline.Analyzer, error) {
	set, err := lexicons.Default()
	if err != nil {
		return nil, err
	}
	return pipeline.NewAnalyzer(set)
})

func mustAnalyzer(b *testing.B) *pipeline.Analyzer {
	an, err := benchAnalyzer()
	if err != nil {
		b.Fatal(err)
	}
	return an
}

// BenchmarkStream measures sustained records/s from a JetStream stream
// through the tag stage (passthrough, or the real one on the zh and en
// review corpora) to a JetStream output subject, acked, with one and
// two workers sharing the consumer (each worker one tagging goroutine, as
// one `vocal stream --workers 1` process).
func BenchmarkStream(b *testing.B) {
	for _, stage := range []string{"passthrough", "analyzer"} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", stage, workers), func(b *testing.B) {
				var st pipeline.Stage = fireStage{}
				var texts []string
				if stage == "analyzer" {
					st = mustAnalyzer(b)
					zh, _ := segmenttest.Corpus(b, "zh")
					en, _ := segmenttest.Corpus(b, "en")
					texts = append(zh, en...)
				}
				url := startServer(b)
				_, js := connect(b, url)
				setupStreams(b, js)
				publish(b, js, 0, b.N, texts...)
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				var ws []*worker
				for i := 0; i < workers; i++ {
					ws = append(ws, startWorker(b, workerConfig{url: url, stage: st, workers: 1, fetch: 256, maxInFlight: 256}))
				}
				waitFor(b, "every record written", func() bool {
					var n int64
					for _, w := range ws {
						n += w.written.Load()
					}
					return n >= int64(b.N)
				})
				var errs []error
				for _, w := range ws {
					w.stop()
					errs = append(errs, w.wait(b))
				}
				if err := errors.Join(errs...); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
			})
		}
	}
}

// BenchmarkAlertLatency publishes 3,000 records at 1,000 records/s, one in
// ten a fire (critical), through one worker with the real tag stage, and
// measures the time from publishing a record to its alert's arrival at a
// webhook (signed, verified).
func BenchmarkAlertLatency(b *testing.B) {
	an := mustAnalyzer(b)
	b.Setenv("VOCAL_NATSIO_TEST_SECRET", "hook-secret")
	const n, rate = 3000, 1000
	for i := 0; i < b.N; i++ {
		url := startServer(b)
		_, js := connect(b, url)
		setupStreams(b, js)
		hook := newHookReceiver(0)
		var mu sync.Mutex
		var lat []time.Duration
		hook.onHit = func(a alert.Alert, at time.Time) {
			var rec struct {
				SentNS int64 `json:"sent_ns"`
			}
			json.Unmarshal(a.Record, &rec)
			mu.Lock()
			lat = append(lat, at.Sub(time.Unix(0, rec.SentNS)))
			mu.Unlock()
		}
		srv := newHookServer(b, hook)
		w := startWorker(b, workerConfig{url: url, hookURL: srv.URL, hookDead: filepath.Join(b.TempDir(), "dead.jsonl"),
			stage: an, workers: 2, fetch: 128, maxInFlight: 128})
		var sent atomic.Int64
		tick := time.NewTicker(time.Second / rate)
		ctx := testContext(b)
		for j := 0; j < n; j++ {
			<-tick.C
			text := "物流很快，包装也不错"
			if j%10 == 3 {
				text = "充电器昨晚起火了，差点烧了房子"
			}
			data, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("r%05d", j), "text": text, "sent_ns": time.Now().UnixNano()})
			if _, err := js.PublishAsync("feedback.in", data); err != nil {
				b.Fatal(err)
			}
			sent.Add(1)
		}
		tick.Stop()
		select {
		case <-js.PublishAsyncComplete():
		case <-ctx.Done():
			b.Fatal("publish not acked")
		}
		waitFor(b, "every alert", func() bool { return len(hook.ids()) == n/10 })
		w.stop()
		if err := w.wait(b); err != nil {
			b.Fatal(err)
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	}
}
