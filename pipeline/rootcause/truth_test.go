package rootcause

import (
	"slices"
	"testing"
	"time"

	"github.com/vocal-dev/vocal/pipeline/rootcause/synth"
)

// TestSyntheticTruth plants an effect of known size (synth.DefaultSpec:
// logistics costs north 16 NPS points from 2026-08 on) and checks that the
// tables recover it: the drivers' impact interval holds the true impact, the
// monthly trends flag north x logistics in August and nowhere else in that
// series, the regression finds logistics in north, and no topic without an
// effect is significant.
func TestSyntheticTruth(t *testing.T) {
	spec := synth.DefaultSpec()
	items := synth.Generate(spec)
	tables, sum := computeSynth(t, items)
	if sum.Records != int64(spec.N) || sum.InWindow != int64(spec.N) || sum.DuplicateIDs != 0 || sum.InvalidInline != 0 {
		t.Errorf("summary %+v", sum)
	}
	checkTruth(t, spec, items, tables, nil)
}

// checkTruth asserts the quality bar on tables computed from items (by
// region, monthly). window, when set, bounds the records the tables cover.
func checkTruth(t *testing.T, spec synth.Spec, items []synth.Item, tables *Tables, window *[2]time.Time) {
	t.Helper()
	from, to := spec.Start, spec.End
	if window != nil {
		from, to = window[0], window[1]
	}
	for _, region := range []string{spec.EffectRegion, ""} {
		truth := synth.TrueImpact(spec, items, region, from, to)
		var group []string
		if region != "" {
			group = []string{region}
		}
		r := findDriver(t, tables.Drivers, group, spec.EffectTopic, "")
		t.Logf("drivers %q %s: impact %.2f [%.2f, %.2f], truth %.2f; NPS all %.1f, mentioners %.1f (n=%d)",
			region, spec.EffectTopic, r.NPSImpact, r.NPSImpactLo, r.NPSImpactHi, truth, r.NPSAll, r.NPSMentioners, r.NPSMentionersN)
		if !(r.NPSImpactLo <= truth && truth <= r.NPSImpactHi) || !r.Significant {
			t.Errorf("region %q: impact interval [%.2f, %.2f] misses the truth %.2f or is not significant",
				region, r.NPSImpactLo, r.NPSImpactHi, truth)
		}
	}
	// The designated no-effect topic (price) is significant nowhere; the other
	// no-effect topics are counted (5% of them are expected to be, by chance).
	var chance, cells int
	for _, r := range tables.Drivers {
		if r.Sentiment != "" || (r.Topic == spec.EffectTopic && (r.Group == nil || r.Group[0] == spec.EffectRegion)) {
			continue
		}
		cells++
		if r.Significant {
			chance++
			t.Logf("no-effect cell significant: %v %s impact %.2f [%.2f, %.2f]", r.Group, r.Topic, r.NPSImpact, r.NPSImpactLo, r.NPSImpactHi)
		}
		if r.Topic == "price" {
			t.Logf("drivers %v price (no effect): impact %.2f [%.2f, %.2f] significant=%v", r.Group, r.NPSImpact, r.NPSImpactLo, r.NPSImpactHi, r.Significant)
			if r.Significant {
				t.Errorf("%v price: significant, want not (no effect)", r.Group)
			}
		}
	}
	t.Logf("no-effect cells significant: %d of %d", chance, cells)

	// Trends: north x logistics spikes in the effect month only.
	var spikes []string
	for _, r := range tables.Trends {
		if slices.Equal(r.Group, []string{spec.EffectRegion}) && r.Topic == spec.EffectTopic {
			t.Logf("trends north logistics %s: nps %.1f (n=%d) spike=%v %s", r.Period.Format("2006-01"), r.NPS, r.NPSN, r.Spike, r.SpikeMetric)
			if r.Spike {
				spikes = append(spikes, r.Period.Format("2006-01")+":"+r.SpikeMetric)
			}
		}
	}
	want := []string{spec.EffectFrom.Format("2006-01") + ":nps,csat_mean"}
	if !slices.Equal(spikes, want) {
		t.Errorf("north x logistics spikes %v, want %v", spikes, want)
	}
	var others int
	for _, r := range tables.Trends {
		if r.Spike && !(slices.Equal(r.Group, []string{spec.EffectRegion}) || r.Group == nil) {
			others++
			t.Logf("spike outside the effect: %v %q %s %s", r.Group, r.Topic, r.Period.Format("2006-01"), r.SpikeMetric)
		}
	}
	if others > 0 {
		t.Errorf("%d spikes in regions without an effect", others)
	}

	// Key drivers: in north, logistics mentions lower the NPS score; price
	// (no effect) does not matter.
	for _, k := range tables.KeyDrivers {
		if !slices.Equal(k.Group, []string{spec.EffectRegion}) || k.ScoreField != "nps" {
			continue
		}
		t.Logf("key_drivers north nps %-28s coef %6.3f se %.3f p %.3g (r2 %.3f, n %d)", k.Term, k.Coef, k.StdErr, k.PValue, k.R2, k.N)
		switch k.Term {
		case "logistics:negative", "logistics:positive":
			if k.Coef >= 0 || k.PValue >= 0.001 {
				t.Errorf("%s: coef %.3f p %.3g, want negative and p < 0.001", k.Term, k.Coef, k.PValue)
			}
		case "price:negative", "price:positive":
			if k.PValue < 0.05 {
				t.Errorf("%s: p %.3g, want >= 0.05 (no effect)", k.Term, k.PValue)
			}
		}
	}
}

func findDriver(t *testing.T, rows []DriverRow, group []string, topic, sent string) DriverRow {
	t.Helper()
	for _, r := range rows {
		if slices.Equal(r.Group, group) && r.Topic == topic && r.Sentiment == sent {
			return r
		}
	}
	t.Fatalf("no drivers row %v %s %q", group, topic, sent)
	return DriverRow{}
}

// computeSynth writes items as one run's records and computes the tables by
// region and month.
func computeSynth(t *testing.T, items []synth.Item) (*Tables, *Summary) {
	t.Helper()
	dir := t.TempDir()
	writeRun(t, dir, "20261102T000000Z-000001", synthRecords(t, items, true))
	cfg := DefaultConfig()
	cfg.By = []string{"region"}
	cfg.Period = "month"
	tables, sum, err := Compute(testContext(t), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tables, sum
}
