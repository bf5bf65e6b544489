package models

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// separable is a three-class problem: each example has its class's cue
// feature (index 10+class), one feature they all share and a distractor of
// seven; with 64 buckets every index has its own.
func separable() []Example {
	var out []Example
	for i := range 30 {
		c := i % 3
		out = append(out, Example{Class: c, Features: []Feature{
			{Index: uint32(10 + c), Value: 1},
			{Index: 1, Value: 0.5},
			{Index: uint32(20 + i%7), Value: 0.3},
		}})
	}
	return out
}

func argmax(p []float64) int {
	best := 0
	for c := range p {
		if p[c] > p[best] {
			best = c
		}
	}
	return best
}

func accuracy(m *Linear, examples []Example) float64 {
	ok := 0
	for _, ex := range examples {
		if argmax(m.Predict(ex.Features, nil)) == ex.Class {
			ok++
		}
	}
	return float64(ok) / float64(len(examples))
}

func fitHeader(buckets int) Header {
	return Header{Name: "fit-test", Classes: []string{"negative", "neutral", "positive"}, Buckets: buckets}
}

func TestFitSeparable(t *testing.T) {
	examples := separable()
	tests := []struct {
		name string
		cfg  FitConfig
	}{
		{"defaults", FitConfig{}},
		{"one epoch", FitConfig{Epochs: 1, Seed: 7}},
		{"no L2", FitConfig{Epochs: 3, L2: -1, LearningRate: 0.05, Seed: 3}},
		{"weighted", FitConfig{Epochs: 2, Seed: 11}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := examples
			if tt.name == "weighted" {
				ex = append([]Example(nil), examples...)
				for i := range ex {
					ex[i].Weight = 2
				}
			}
			m, err := Fit(fitHeader(64), ex, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if acc := accuracy(m, examples); acc != 1 {
				t.Errorf("training accuracy %v, want 1", acc)
			}
			if m.Temperature != 1 {
				t.Errorf("temperature %v before calibration, want 1", m.Temperature)
			}
		})
	}
}

func TestFitDeterministic(t *testing.T) {
	examples := separable()
	fit := func(seed uint64) *Linear {
		m, err := Fit(fitHeader(16), examples, FitConfig{Epochs: 3, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := fit(1), fit(1)
	if !sameModel(a, b) {
		t.Error("the same data and seed gave different weights")
	}
	// The seed drives the shuffle, and AdaGrad's steps depend on the order.
	if c := fit(2); sameBits(a.W, c.W) {
		t.Error("seeds 1 and 2 gave identical weights: is the seed used?")
	}
}

func TestFitErrors(t *testing.T) {
	tests := []struct {
		name     string
		h        Header
		examples []Example
		want     string
	}{
		{"class out of range", fitHeader(16), []Example{{Class: 0}, {Class: 3}}, "example 1: class 3 out of range"},
		{"negative class", fitHeader(16), []Example{{Class: -1}}, "example 0: class -1 out of range"},
		{"bad header", Header{Name: "x", Classes: []string{"a", "b"}, Buckets: 12}, nil, "buckets 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fit(tt.h, tt.examples, FitConfig{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// logLoss is the mean negative log-likelihood of m on examples.
func logLoss(m *Linear, examples []Example) float64 {
	loss := 0.0
	for _, ex := range examples {
		loss -= math.Log(m.Predict(ex.Features, nil)[ex.Class])
	}
	return loss / float64(len(examples))
}

// noisy draws n two-class examples whose cue agrees with the label with
// probability agree.
func noisy(n int, agree float64, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 0))
	out := make([]Example, n)
	for i := range out {
		cue := rng.IntN(2)
		class := cue
		if rng.Float64() > agree {
			class = 1 - cue
		}
		out[i] = Example{Class: class, Features: []Feature{{Index: uint32(cue), Value: 1}, {Index: uint32(2 + rng.IntN(6)), Value: 0.2}}}
	}
	return out
}

func TestCalibrate(t *testing.T) {
	h := Header{Name: "calibrate-test", Classes: []string{"negative", "positive"}, Buckets: 8}
	tests := []struct {
		name    string
		train   []Example
		cfg     FitConfig
		heldOut []Example
		cooler  bool // the fitted temperature is above 1 (the model was overconfident)
		warmer  bool // the fitted temperature is below 1 (the model was underconfident)
	}{
		// Trained long on clean cues, tested where a quarter of the cues lie.
		{"overconfident", noisy(200, 1, 1), FitConfig{Epochs: 20, Seed: 1}, noisy(400, 0.75, 2), true, false},
		// One short pass at a small rate on clean cues, tested where one cue in ten lies.
		{"underconfident", noisy(40, 1, 3), FitConfig{Epochs: 1, LearningRate: 0.02, Seed: 1}, noisy(400, 0.9, 4), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Fit(h, tt.train, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			before := logLoss(m, tt.heldOut)
			if err := Calibrate(m, tt.heldOut); err != nil {
				t.Fatal(err)
			}
			after := logLoss(m, tt.heldOut)
			t.Logf("T=%.3g, held-out log loss %.4f at T=1, %.4f after", m.Temperature, before, after)
			if !(m.Temperature > 0) || math.IsInf(m.Temperature, 0) {
				t.Fatalf("temperature %v", m.Temperature)
			}
			if after > before+1e-12 {
				t.Errorf("held-out log loss %v at T=%v, %v at T=1: calibration made it worse", after, m.Temperature, before)
			}
			if tt.cooler && m.Temperature <= 1 || tt.warmer && m.Temperature >= 1 {
				t.Errorf("temperature %v (log loss %v -> %v)", m.Temperature, before, after)
			}
		})
	}
	m, _ := NewLinear(h)
	if err := Calibrate(m, nil); err == nil || !strings.Contains(err.Error(), "calibrate-test") {
		t.Errorf("no held-out examples: error %v, want one naming the model", err)
	}
}
