package rootcause

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vocal-dev/vocal/pipeline/rootcause/synth"
)

// TestCalibration measures, over 30 seeds of synth.DefaultSpec, how often
// the 95% impact intervals miss the truth, how often no-effect topics come
// out significant (drivers) or with p < 0.05 (key drivers), and how often a
// trends value without an effect is flagged. It takes about a minute, so it
// runs only with VOCAL_CALIBRATE=1.
func TestCalibration(t *testing.T) {
	if os.Getenv("VOCAL_CALIBRATE") == "" {
		t.Skip("set VOCAL_CALIBRATE=1 to measure interval coverage and false-positive rates over 30 seeds")
	}
	const runs = 30
	var miss [2]int
	var fp, fpN, kfp, kfpN, spikes, spikeN int
	for seed := range runs {
		spec := synth.DefaultSpec()
		spec.Seed = uint64(seed + 1)
		items := synth.Generate(spec)
		tables, _ := computeSynth(t, items)
		for i, region := range []string{spec.EffectRegion, ""} {
			truth := synth.TrueImpact(spec, items, region, spec.Start, spec.End)
			var g []string
			if region != "" {
				g = []string{region}
			}
			r := findDriver(t, tables.Drivers, g, spec.EffectTopic, "")
			if !(r.NPSImpactLo <= truth && truth <= r.NPSImpactHi) {
				miss[i]++
			}
		}
		effect := func(g []string, topic string) bool {
			return topic == spec.EffectTopic && (g == nil || g[0] == spec.EffectRegion)
		}
		for _, r := range tables.Drivers {
			if r.Sentiment == "" && !effect(r.Group, r.Topic) {
				fpN++
				if r.Significant {
					fp++
				}
			}
		}
		for _, k := range tables.KeyDrivers {
			if k.ScoreField == "nps" && k.Term != "(intercept)" && !effect(k.Group, strings.Split(k.Term, ":")[0]) {
				kfpN++
				if k.PValue < 0.05 {
					kfp++
				}
			}
		}
		for _, r := range tables.Trends {
			if !slices.Equal(r.Group, []string{spec.EffectRegion}) && r.Group != nil && !r.Period.Before(spec.EffectFrom) {
				spikeN++
				if r.Spike {
					spikes++
				}
			}
		}
	}
	t.Logf("%d seeds: impact interval misses the truth: %s %d, all regions %d; no-effect drivers significant %d of %d; "+
		"no-effect key-driver terms p < 0.05 %d of %d; trends rows spiking without an effect %d of %d",
		runs, "north", miss[0], miss[1], fp, fpN, kfp, kfpN, spikes, spikeN)
}
