package rootcause

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vocal-dev/vocal/pipeline/rootcause/synth"
)

// tinyDataset is two runs: the second replaces record a (now without a
// topic), adds e, and has no time for d.
func tinyDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	m := func(topic, sent string) synth.Mention { return synth.Mention{Topic: topic, Sentiment: sent} }
	writeRun(t, dir, "20261101T000000Z-aaaaaa", []testRecord{
		{id: "a", label: "negative", mentions: []synth.Mention{m("logistics", "negative")},
			fields: fieldsOf(t, "created_at", "2026-10-05T10:00:00Z", "region", "n", "nps", 0, "csat", 1)},
		{id: "b", label: "positive", mentions: []synth.Mention{m("logistics", "positive"), m("logistics", "negative")},
			fields: fieldsOf(t, "created_at", "2026-10-06T10:00:00Z", "region", "n", "nps", 10, "csat", 5)},
		{id: "c", label: "negative", mentions: []synth.Mention{m("price", "negative")},
			fields: fieldsOf(t, "created_at", "2026-10-20T10:00:00Z", "region", "s", "nps", 9, "csat", 4)},
		{id: "d", label: "neutral", fields: fieldsOf(t, "region", "s", "nps", 7, "csat", 3)},
	})
	writeRun(t, dir, "20261102T000000Z-bbbbbb", []testRecord{
		{id: "a", label: "neutral", fields: fieldsOf(t, "created_at", "2026-10-05T10:00:00Z", "region", "n", "nps", 0, "csat", 1)},
		{id: "e", label: "negative", mentions: []synth.Mention{m("logistics", "negative")},
			fields: fieldsOf(t, "created_at", "2026-10-21T10:00:00Z", "nps", "12", "csat", 2)}, // nps out of range, no region
	})
	return dir
}

func TestComputeTiny(t *testing.T) {
	dir := tinyDataset(t)
	cfg := DefaultConfig()
	cfg.By = []string{"region"}
	tables, sum, err := Compute(testContext(t), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 5 || sum.DuplicateIDs != 1 || sum.RecordFiles != 6 || sum.InWindow != 5 || sum.WithoutTime != 1 ||
		sum.InvalidInline != 1 || sum.WithScore["nps"] != 4 || sum.WithScore["csat"] != 5 {
		t.Errorf("summary %+v", sum)
	}
	// All responses: a (neutral now), b, c, d, e; NPS answers a 0, b 10, c 9,
	// d 7: NPS (2 - 1) / 4 = 25. logistics: b and e mention it, b answered 10
	// (NPS 100); without them a, c, d give (1 - 1) / 3 = 0, so impact 25.
	got := map[string]DriverRow{}
	for _, r := range tables.Drivers {
		g := "*" // all responses
		if r.Group != nil {
			g = "=" + strings.Join(r.Group, ",")
		}
		got[g+"|"+r.Topic+"|"+r.Sentiment] = r
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{
		"*|logistics|", "*|logistics|negative", "*|logistics|positive", "*|price|", "*|price|negative",
		"=n|logistics|", "=n|logistics|negative", "=n|logistics|positive", "=s|price|", "=s|price|negative",
		"=|logistics|", "=|logistics|negative", // e: no region
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("drivers rows %q", keys)
	}
	l := got["*|logistics|"]
	if l.Responses != 5 || l.Mentions != 2 || l.Share != 0.4 || l.NegativeShare != 1 || l.NPSN != 4 || l.NPSAll != 25 ||
		l.NPSMentionersN != 1 || l.NPSMentioners != 100 || l.NPSImpact != 25 || l.CSATMentionersN != 2 ||
		l.CSATMentioners != 3.5 || l.CSATOthers != 8.0/3 || l.CSATPctMentioners != 50 || !math.IsNaN(l.CESMentioners) {
		t.Errorf("logistics %+v", l)
	}
	if r := got["*|logistics|positive"]; r.Mentions != 1 || r.NegativeShare != 0 || r.NPSMentioners != 100 {
		t.Errorf("logistics positive %+v", r)
	}
	// e has no region: its group is the empty value.
	if r := got["=n|logistics|"]; r.Responses != 2 || r.Mentions != 1 {
		t.Errorf("n logistics %+v", r)
	}
	if r, ok := got["*|logistics|"]; !ok || r.Group != nil {
		t.Errorf("all-responses row has group %v", r.Group)
	}

	// Trends by week: d has no time and is left out.
	var weeks []string
	for _, r := range tables.Trends {
		if r.Group == nil && r.Topic == "" {
			weeks = append(weeks, r.Period.Format("2006-01-02")+":"+strconv.FormatInt(r.Volume, 10))
		}
	}
	if want := []string{"2026-10-05:2", "2026-10-19:2"}; !reflect.DeepEqual(weeks, want) {
		t.Errorf("weekly volumes %v", weeks)
	}

	// Tables round trip through Parquet.
	if _, err := WriteTables(dir, tables); err != nil {
		t.Fatal(err)
	}
	back, err := LoadTables(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !sameTables(back, tables) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", back.Drivers[0], tables.Drivers[0])
	}
	for _, name := range []string{"drivers", "trends", "key_drivers"} {
		for _, ext := range []string{".arrow", ".parquet"} {
			if _, err := os.Stat(filepath.Join(dir, name+ext)); err != nil {
				t.Error(err)
			}
		}
	}
}

// sameTables compares tables with NaN equal to NaN.
func sameTables(a, b *Tables) bool {
	eq := func(x, y any) bool {
		return reflect.DeepEqual(nanFree(x), nanFree(y))
	}
	return reflect.DeepEqual(a.Dims, b.Dims) && eq(a.Drivers, b.Drivers) && eq(a.Trends, b.Trends) && eq(a.KeyDrivers, b.KeyDrivers)
}

// nanFree replaces NaN floats by a sentinel in a copy of a slice of row structs.
func nanFree(rows any) any {
	v := reflect.ValueOf(rows)
	out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	reflect.Copy(out, v)
	for i := range out.Len() {
		r := out.Index(i)
		for j := range r.NumField() {
			if f := r.Field(j); f.Kind() == reflect.Float64 && math.IsNaN(f.Float()) {
				f.SetFloat(-12345)
			}
		}
	}
	return out.Interface()
}

func TestScoresJoin(t *testing.T) {
	dir := tinyDataset(t)
	cfg := DefaultConfig()
	// b gets a detractor answer instead of its inline 10; x matches no record.
	s, err := ReadScores(writeFile(t, "s.csv", "id,nps\nb,2\nx,9\n"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Update(testContext(t), dir, "20261103T000000Z-cccccc", s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Scores == nil || sum.Scores.Matched != 1 || sum.Scores.Unmatched != 1 || !reflect.DeepEqual(sum.Scores.UnmatchedSample, []string{"x"}) ||
		sum.Unmatched != 1 || sum.ScoreParts != 1 || !strings.HasSuffix(sum.Scores.File, "s.csv") {
		t.Errorf("summary %+v scores %+v", sum, sum.Scores)
	}
	tables, err := LoadTables(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tables.Drivers {
		if r.Topic == "logistics" && r.Sentiment == "" && r.NPSMentioners != -100 {
			t.Errorf("logistics mentioners NPS %v, want -100 (b's joined answer 2)", r.NPSMentioners)
		}
	}
	// A later recomputation without a scores file still sees the part.
	_, sum2, err := Compute(testContext(t), dir, cfg)
	if err != nil || sum2.ScoreParts != 1 || sum2.Unmatched != 1 || sum2.Scores != nil {
		t.Errorf("recompute: %v %+v", err, sum2)
	}
}

func TestWindow(t *testing.T) {
	dir := tinyDataset(t)
	cfg := DefaultConfig()
	cfg.Window = "2d" // latest is e at 2026-10-21T10:00; c (10-20T10:00) is 1 day before
	tables, sum, err := Compute(testContext(t), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.InWindow != 2 || sum.Records != 5 {
		t.Errorf("in window %d of %d, want 2 of 5", sum.InWindow, sum.Records)
	}
	for _, r := range tables.Drivers {
		if r.Responses != 2 {
			t.Errorf("%s: %d responses, want 2", r.Topic, r.Responses)
		}
	}
}

func TestConfig(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want time.Duration
		ok   bool
	}{
		{"", 0, true}, {"90d", 90 * 24 * time.Hour, true}, {"12w", 84 * 24 * time.Hour, true}, {"36h", 36 * time.Hour, true},
		{"0d", 0, false}, {"-3d", 0, false}, {"d", 0, false}, {"soon", 0, false},
	} {
		got, err := ParseWindow(tt.s)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseWindow(%q) = %v, %v", tt.s, got, err)
		}
	}
	bad := []func(*Config){
		func(c *Config) { c.JoinKey = "" },
		func(c *Config) { c.JoinKey = "nps" },
		func(c *Config) { c.Fields.CES = "nps" },
		func(c *Config) { c.By = []string{"region", "region"} },
		func(c *Config) { c.By = []string{"topic"} },
		func(c *Config) { c.Period = "year" },
		func(c *Config) { c.Window = "x" },
		func(c *Config) { c.Spike.MinHistory = 9 },
		func(c *Config) { c.Spike.SD = 0 },
	}
	for i, f := range bad {
		c := DefaultConfig()
		f(&c)
		if c.Validate() == nil {
			t.Errorf("bad config %d accepted: %+v", i, c)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Error(err)
	}
	week, _ := periodStart("week")
	if got := week(time.Date(2026, 10, 4, 23, 0, 0, 0, time.UTC)); got.Format("2006-01-02") != "2026-09-28" {
		t.Errorf("week of Sunday 2026-10-04 starts %v, want Monday 2026-09-28", got)
	}
}

// BenchmarkCompute measures the three tables over the synthetic data set
// (24,000 records, by region, monthly), reading the Parquet records.
func BenchmarkCompute(b *testing.B) {
	dir := b.TempDir()
	items := synth.Generate(synth.DefaultSpec())
	writeRun(b, dir, "20261102T000000Z-000001", synthRecords(b, items, true))
	cfg := DefaultConfig()
	cfg.By = []string{"region"}
	cfg.Period = "month"
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Compute(b.Context(), dir, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(items))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
