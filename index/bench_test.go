package index_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vocal-dev/vocal/index"
	"github.com/vocal-dev/vocal/pipeline"
)

var benchCache = struct {
	sync.Mutex
	recs map[int][]*pipeline.Record
}{recs: map[int][]*pipeline.Record{}}

// benchRecords returns n tagged records of about 150 bytes of text each:
// consecutive texts of cmd/vocal-gen output joined, with the first one's
// passthrough fields. Built once per n for the test binary.
func benchRecords(b testing.TB, n int) []*pipeline.Record {
	b.Helper()
	benchCache.Lock()
	defer benchCache.Unlock()
	if recs, ok := benchCache.recs[n]; ok {
		return recs
	}
	src := readRaw(b, generate(b, n*3*210>>20+1))
	recs := make([]*pipeline.Record, 0, n)
	for i := 0; len(recs) < n; {
		if i >= len(src) {
			b.Fatalf("vocal-gen output too small for %d records", n)
		}
		r := src[i]
		var sb strings.Builder
		for sb.Len() < 140 && i < len(src) {
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(src[i].Text)
			i++
		}
		r.Text = sb.String()
		recs = append(recs, r)
	}
	tagAll(b, recs)
	benchCache.recs[n] = recs
	return recs
}

func textBytes(recs []*pipeline.Record) int64 {
	var n int64
	for _, r := range recs {
		n += int64(len(r.Text))
	}
	return n
}

// BenchmarkIndex indexes 50,000 tagged records of ~150 bytes into a fresh
// on-disk index per iteration (run with -benchtime=1x or 3x) and reports
// docs/s and index bytes per doc.
func BenchmarkIndex(b *testing.B) {
	const n = 50000
	recs := benchRecords(b, n)
	b.Logf("%d records, %.0f text bytes each", n, float64(textBytes(recs))/n)
	// The first index a process opens loads the tokenizer's dictionary
	// (about 1.3 s): once per process, not per document.
	start := time.Now()
	buildIndex(b, b.TempDir(), recs[:1], 1)
	b.Logf("tokenizer loaded and first index built in %s", time.Since(start).Round(time.Millisecond))
	for _, batch := range []int{500, 2000, 8000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			var elapsed, cpu time.Duration
			for b.Loop() {
				dir := b.TempDir()
				start, cpu0 := time.Now(), cpuTime()
				idx, err := index.Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				sink := newSink(b, idx, batch)
				for _, r := range recs {
					if err := sink.Write(context.Background(), r); err != nil {
						b.Fatal(err)
					}
				}
				if err := sink.Close(); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				cpu += cpuTime() - cpu0
				size = dirSize(b, dir)
			}
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "docs/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(n*b.N), "cpu-µs/doc")
			b.ReportMetric(float64(size)/n, "B/doc")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// cpuTime is the user and system CPU time of the process so far: with other
// work on the machine, CPU time per document is steadier than docs/s.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSearch builds an on-disk index of 100,000 tagged records of ~175
// bytes once (tagging and indexing take a minute or two, logged with -v),
// opens it read-only and times one query per iteration, as vocal search runs
// it: first page of 10 hits with highlighted fragments and the default facets
// (topics, sentiment, risk_level). Besides ns/op it reports the median and
// 99th percentile of the per-query times (p50-ms, p99-ms, nearest rank over
// every iteration, the first included) and the number of matches (hits).
// Run with a fixed count, e.g. -benchtime 200x.
func BenchmarkSearch(b *testing.B) {
	const n = 100000
	start := time.Now()
	recs := benchRecords(b, n)
	b.Logf("%d records, %.0f text bytes each, read and tagged in %s", n,
		float64(textBytes(recs))/n, time.Since(start).Round(time.Millisecond))
	dir := b.TempDir()
	start = time.Now()
	buildIndex(b, dir, recs, index.DefaultBatchSize)
	b.Logf("indexed in %s, %.0f bytes/doc", time.Since(start).Round(time.Millisecond), float64(dirSize(b, dir))/n)
	idx := openReader(b, dir)

	cst := time.FixedZone("", 8*3600)
	// vocal-gen spreads created_at over 90 days from 2026-08-01.
	month := index.Query{From: time.Date(2026, 9, 1, 0, 0, 0, 0, cst), To: time.Date(2026, 10, 1, 0, 0, 0, 0, cst)}
	for _, c := range []struct {
		name string
		q    index.Query
	}{
		{"word", index.Query{Text: "物流"}},
		{"word_en", index.Query{Text: "refund"}},
		{"one_char", index.Query{Text: "快"}}, // an adjective sub-word, or the start of a word
		{"faceted", index.Query{Text: "客服", Facets: []string{"region"}}},
		{"date_range", month},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var times []time.Duration
			var hits uint64
			for b.Loop() {
				t0 := time.Now()
				res, err := index.Search(context.Background(), idx, c.q)
				times = append(times, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				hits = res.Total
			}
			slices.Sort(times)
			b.ReportMetric(percentileMS(times, 0.50), "p50-ms")
			b.ReportMetric(percentileMS(times, 0.99), "p99-ms")
			b.ReportMetric(float64(hits), "hits")
		})
	}
}

// percentileMS is the p-th quantile of sorted durations in milliseconds, by
// nearest rank.
func percentileMS(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := max(int(math.Ceil(p*float64(len(sorted))))-1, 0)
	return float64(sorted[i].Microseconds()) / 1000
}
