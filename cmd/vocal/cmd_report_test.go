package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vocal-dev/vocal/pipeline/rootcause"
	"github.com/vocal-dev/vocal/pipeline/rootcause/synth"
)

// synthDataset runs vocal run on the synthetic truth data set (tagged by the
// real analyzer) with its scores in a separate CSV joined by id, by region,
// monthly. It returns the dataset dir, the spec and the items.
func synthDataset(t *testing.T) (string, synth.Spec, []synth.Item) {
	t.Helper()
	spec := synth.DefaultSpec()
	items := synth.Generate(spec)
	tmp := t.TempDir()
	in, scores := filepath.Join(tmp, "feedback.jsonl"), filepath.Join(tmp, "scores.csv")
	var fb, sb bytes.Buffer
	if err := synth.WriteFeedback(&fb, items, false); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteScores(&sb, spec, items); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, fb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(scores, sb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "dataset")
	r := vocal(t, "", "run", "--input", in, "--out", out, "--scores", scores, "--join-key", "id", "--by", "region", "--period", "month")
	if r.code != 0 {
		t.Fatalf("vocal run: exit %d: %s", r.code, r.stderr)
	}
	return out, spec, items
}

// TestRunRootCause checks the quality bar end to end: the tagger finds the
// planted topics, the scores join counts its unmatched keys in the manifest,
// and the tables written by vocal run recover the planted effect.
func TestRunRootCause(t *testing.T) {
	t.Parallel()
	dir, spec, items := synthDataset(t)

	m := readManifest(t, filepath.Join(dir, "manifest.json"))
	raw, _ := json.Marshal(m.Aggregates)
	var sum rootcause.Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	scored := 0
	for _, it := range items {
		if it.HasScores {
			scored++
		}
	}
	if sum.Scores == nil || sum.Scores.Unmatched != int64(spec.Unmatched) || sum.Scores.Matched != int64(scored) ||
		sum.Scores.Rows != int64(scored+spec.Unmatched) || sum.Records != int64(spec.N) || sum.WithScore["nps"] != int64(scored) {
		t.Errorf("manifest aggregates %s", raw)
	}
	if len(sum.Scores.UnmatchedSample) == 0 || sum.Scores.UnmatchedSample[0] != "missing000" {
		t.Errorf("unmatched sample %v", sum.Scores.UnmatchedSample)
	}
	for _, name := range []string{"drivers", "trends", "key_drivers"} {
		for _, ext := range []string{".arrow", ".parquet"} {
			if _, err := os.Stat(filepath.Join(dir, name+ext)); err != nil {
				t.Error(err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "scores", "part-"+m.RunID+".parquet")); err != nil {
		t.Error(err)
	}

	tables, err := rootcause.LoadTables(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The tagger's mentions are the planted ones: the mention counts match.
	planted := map[string]int64{}
	for _, it := range items {
		seen := map[string]bool{}
		for _, mn := range it.Mentions {
			if !seen[mn.Topic] {
				seen[mn.Topic] = true
				planted[mn.Topic]++
			}
		}
	}
	for _, r := range tables.Drivers {
		if r.Group == nil && r.Sentiment == "" && r.Mentions != planted[r.Topic] {
			t.Errorf("%s: %d mentions tagged, %d planted", r.Topic, r.Mentions, planted[r.Topic])
		}
	}

	truth := synth.TrueImpact(spec, items, spec.EffectRegion, spec.Start, spec.End)
	var north rootcause.DriverRow
	for _, r := range tables.Drivers {
		if slices.Equal(r.Group, []string{spec.EffectRegion}) && r.Topic == spec.EffectTopic && r.Sentiment == "" {
			north = r
		}
		if r.Topic == "price" && r.Sentiment == "" && r.Significant {
			t.Errorf("price (no effect) %v: significant, impact %.2f [%.2f, %.2f]", r.Group, r.NPSImpact, r.NPSImpactLo, r.NPSImpactHi)
		}
	}
	t.Logf("north logistics impact %.2f [%.2f, %.2f], truth %.2f", north.NPSImpact, north.NPSImpactLo, north.NPSImpactHi, truth)
	if !(north.NPSImpactLo <= truth && truth <= north.NPSImpactHi) || !north.Significant {
		t.Errorf("north logistics: interval [%.2f, %.2f] misses the truth %.2f or is not significant", north.NPSImpactLo, north.NPSImpactHi, truth)
	}
	var spikes []string
	for _, r := range tables.Trends {
		if slices.Equal(r.Group, []string{spec.EffectRegion}) && r.Topic == spec.EffectTopic && r.Spike {
			spikes = append(spikes, r.Period.Format("2006-01")+":"+r.SpikeMetric)
		}
	}
	if want := []string{"2026-08:nps,csat_mean"}; !slices.Equal(spikes, want) {
		t.Errorf("north logistics spikes %v, want %v", spikes, want)
	}
}

// TestReport renders the report of the synthetic dataset and opens it in
// headless Chromium: every chart must draw (an SVG with a non-empty box and
// shapes), with no console error and no request leaving the file.
func TestReport(t *testing.T) {
	t.Parallel()
	dir, _, _ := synthDataset(t)
	out := filepath.Join(t.TempDir(), "report.html")
	r := vocal(t, "", "report", "--run", dir, "-o", out)
	if r.code != 0 {
		t.Fatalf("vocal report: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	t.Logf("report: %d bytes", len(b))
	for _, want := range []string{"<svg", "<mark>", "Driver impact", "Spike: logistics · region=north", "2026-08-01", "caught fire", "40 unmatched"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	bare := regexp.MustCompile(`xmlns(:\w+)?="http://www\.w3\.org/[^"]*"`).ReplaceAllString(html, "")
	for _, banned := range []string{"<script", "http://", "https://", "<link", "<img"} {
		if strings.Contains(bare, banned) {
			t.Errorf("report holds %q: it must be self-contained", banned)
		}
	}
	checkInChromium(t, out)

	if r := vocal(t, "", "report", "--run", t.TempDir(), "-o", out); r.code != 1 || !strings.Contains(r.stderr, "tables") {
		t.Errorf("report of an empty dir: exit %d: %s", r.code, r.stderr)
	}
	if r := vocal(t, "", "report", "--run", dir); r.code != 2 {
		t.Errorf("report without -o: exit %d, want 2", r.code)
	}
}

// chromium finds the Debian chromium binary.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func checkContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestIndependentReaderJoin reads the record and scores Parquet files and
// drivers.parquet of the synthetic dataset with hyparquet
// (testdata/readers/join.mjs), joins records to scores there, and checks
// that its per-topic mentions and NPS of mentioners equal the drivers table.
func TestIndependentReaderJoin(t *testing.T) {
	t.Parallel()
	readers := filepath.Join("..", "..", "testdata", "readers")
	if _, err := os.Stat(filepath.Join(readers, "node_modules", "hyparquet")); err != nil {
		t.Skip("independent readers not installed: run `npm ci` in testdata/readers")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: the independent readers need Node.js")
	}
	dir, spec, items := synthDataset(t)
	cmd := exec.CommandContext(checkContext(t), node, filepath.Join(readers, "join.mjs"), dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node join.mjs: %v\n%s", err, stderr.String())
	}
	var res struct {
		Records, Scores, Joined int
		Topics                  map[string]struct {
			Mentions      int64
			NPSMentioners float64 `json:"nps_mentioners"`
		}
		Drivers []map[string]any
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("join.mjs output: %v\n%s", err, out)
	}
	scored := 0
	for _, it := range items {
		if it.HasScores {
			scored++
		}
	}
	if res.Records != spec.N || res.Scores != scored+spec.Unmatched || res.Joined != scored {
		t.Errorf("join.mjs: %d records, %d scores, %d joined; want %d, %d, %d", res.Records, res.Scores, res.Joined, spec.N, scored+spec.Unmatched, scored)
	}
	tables, err := rootcause.LoadTables(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Drivers) != len(tables.Drivers) {
		t.Errorf("hyparquet read %d drivers rows, Go %d", len(res.Drivers), len(tables.Drivers))
	}
	checked := 0
	for i, r := range tables.Drivers {
		if i < len(res.Drivers) {
			js := res.Drivers[i]
			if js["topic"] != r.Topic || js["sentiment"] != r.Sentiment || js["mentions"] != float64(r.Mentions) || (r.Group == nil) != (js["region"] == nil) {
				t.Errorf("drivers row %d: hyparquet %v, Go %+v", i, js, r)
			}
		}
		if r.Group != nil || r.Sentiment != "" {
			continue
		}
		checked++
		got := res.Topics[r.Topic]
		if got.Mentions != r.Mentions || math.Abs(got.NPSMentioners-r.NPSMentioners) > 1e-9 {
			t.Errorf("%s: join.mjs mentions %d NPS %.4f; drivers %d %.4f", r.Topic, got.Mentions, got.NPSMentioners, r.Mentions, r.NPSMentioners)
		}
	}
	if checked != len(spec.Rates) {
		t.Errorf("checked %d topics, want %d", checked, len(spec.Rates))
	}
}
