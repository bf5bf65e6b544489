package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/optimize"
)

// Example is one training item: its features, class index and weight.
type Example struct {
	Features []Feature
	Class    int
	Weight   float32 // 0 means 1
}

// FitConfig sets the learner: AdaGrad stochastic gradient descent on the
// L2-regularized log loss, examples shuffled each epoch with a fixed seed.
type FitConfig struct {
	Epochs       int     // passes over the data (default 8)
	LearningRate float64 // AdaGrad base rate (default 0.2)
	L2           float64 // per-example L2 penalty on touched weights (default 1e-6)
	Seed         uint64  // shuffle seed; the same data and seed give the same model
}

func (c *FitConfig) defaults() {
	if c.Epochs <= 0 {
		c.Epochs = 8
	}
	if c.LearningRate <= 0 {
		c.LearningRate = 0.2
	}
	if c.L2 < 0 {
		c.L2 = 0
	} else if c.L2 == 0 {
		c.L2 = 1e-6
	}
}

// Fit trains a model for h on examples. It is deterministic for a given
// input order and seed.
func Fit(h Header, examples []Example, cfg FitConfig) (*Linear, error) {
	m, err := NewLinear(h)
	if err != nil {
		return nil, err
	}
	cfg.defaults()
	k := len(m.Classes)
	for i, ex := range examples {
		if ex.Class < 0 || ex.Class >= k {
			return nil, fmt.Errorf("example %d: class %d out of range", i, ex.Class)
		}
	}
	gw := make([]float32, len(m.W)) // AdaGrad accumulators
	gb := make([]float64, k)
	order := make([]int, len(examples))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x766f63616c))
	mask := m.Mask()
	p := make([]float64, k)
	lr := cfg.LearningRate
	for range cfg.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			ex := examples[i]
			p = m.Logits(ex.Features, p)
			softmax(p, 1)
			wt := float64(ex.Weight)
			if wt == 0 {
				wt = 1
			}
			for c := range k {
				g := p[c] * wt
				if c == ex.Class {
					g -= wt
				}
				if g == 0 {
					continue
				}
				gb[c] += g * g
				m.Bias[c] -= float32(lr * g / math.Sqrt(gb[c]+1e-8))
				for _, f := range ex.Features {
					j := int(f.Index&mask)*k + c
					gj := g*float64(f.Value) + cfg.L2*float64(m.W[j])
					gw[j] += float32(gj * gj)
					m.W[j] -= float32(lr * gj / math.Sqrt(float64(gw[j])+1e-8))
				}
			}
		}
	}
	return m, nil
}

// Calibrate fits the softmax temperature that minimises the log loss on
// held-out examples (temperature scaling) and stores it in m.
func Calibrate(m *Linear, heldOut []Example) error {
	if len(heldOut) == 0 {
		return fmt.Errorf("model %s: no held-out examples to calibrate on", m.Name)
	}
	logits := make([][]float64, len(heldOut))
	for i, ex := range heldOut {
		logits[i] = m.Logits(ex.Features, nil)
	}
	nll := func(x []float64) float64 {
		t := math.Exp(x[0])
		loss := 0.0
		p := make([]float64, len(m.Classes))
		for i, ex := range heldOut {
			copy(p, logits[i])
			softmax(p, t)
			loss -= math.Log(max(p[ex.Class], 1e-12))
		}
		return loss / float64(len(heldOut))
	}
	res, err := optimize.Minimize(optimize.Problem{Func: nll}, []float64{0}, nil, &optimize.NelderMead{})
	if err != nil {
		return fmt.Errorf("model %s: calibrate: %w", m.Name, err)
	}
	m.Temperature = math.Exp(res.X[0])
	return nil
}
