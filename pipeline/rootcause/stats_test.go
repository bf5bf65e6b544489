package rootcause

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestNPS(t *testing.T) {
	var a npsAcc
	for _, s := range []float64{10, 9, 8, 7, 6, 0} {
		a.add(s)
	}
	if a != (npsAcc{n: 6, prom: 2, det: 2}) || a.value() != 0 {
		t.Fatalf("acc %+v value %v", a, a.value())
	}
	// One pseudo-count per class: p = d = 3/9, variance 1e4 * (2/3) / 6.
	lo, hi := a.interval()
	h := z95 * math.Sqrt(1e4*(2.0/3)/6)
	if !near(lo, -h, 1e-9) || !near(hi, h, 1e-9) {
		t.Errorf("interval [%v, %v], want ±%v", lo, hi, h)
	}
	if v := (npsAcc{}).value(); !math.IsNaN(v) {
		t.Errorf("empty NPS %v, want NaN", v)
	}
}

func TestNPSImpact(t *testing.T) {
	// 4 detractors mention the topic, 6 promoters do not: NPS(all) 20,
	// NPS(others) 100, impact -80 = w (NPS_m - NPS_o) = 0.4 * -200.
	all, ment := npsAcc{n: 10, prom: 6, det: 4}, npsAcc{n: 4, det: 4}
	v, lo, hi := npsImpact(all, ment)
	others := npsAcc{n: 6, prom: 6}
	se := math.Sqrt(0.16*(ment.variance()+others.variance()) + 200*200*0.4*0.6/10)
	if v != -80 || !near(lo, -80-z95*se, 1e-9) || !near(hi, -80+z95*se, 1e-9) {
		t.Errorf("impact %v [%v, %v], want -80 ± %v", v, lo, hi, z95*se)
	}
	for _, ment := range []npsAcc{{}, all} {
		if v, _, _ := npsImpact(all, ment); !math.IsNaN(v) {
			t.Errorf("impact with mentioners %+v: %v, want NaN (no one to compare)", ment, v)
		}
	}
}

func TestMeanInterval(t *testing.T) {
	a := meanAcc{topLevel: 4}
	for _, x := range []float64{1, 2, 3, 4, 5} {
		a.add(x)
	}
	lo, hi := a.interval()
	// t(4, 0.975) = 2.7764451; se = sqrt(2.5 / 5).
	h := 2.7764451051977987 * math.Sqrt(0.5)
	if a.mean() != 3 || a.topShare() != 40 || !near(lo, 3-h, 1e-9) || !near(hi, 3+h, 1e-9) {
		t.Errorf("mean %v top %v interval [%v, %v], want 3, 40, 3 ± %v", a.mean(), a.topShare(), lo, hi, h)
	}
	one := meanAcc{}
	one.add(4)
	if lo, _ := one.interval(); !math.IsNaN(lo) {
		t.Errorf("interval of one answer: %v, want NaN", lo)
	}
}

func TestOLS(t *testing.T) {
	// y = 2 + 3a with residuals ±1; b duplicates a and is dropped; c is rare.
	a := newOLSAcc(3)
	a.add(1, nil)
	a.add(3, nil)
	a.add(4, []int{0, 1})
	a.add(6, []int{0, 1, 2})
	res, ok := a.fit(1)
	if !ok {
		t.Fatal("no fit")
	}
	if len(res.terms) != 2 || res.terms[0] != 0 && res.terms[0] != 1 || res.terms[1] != 2 {
		t.Fatalf("terms %v: want one of a, b (collinear) and c", res.terms)
	}
	// With c in the model the fit is exact for the c=1 answer; check against
	// a fit without it (minCount 2 drops c).
	res, ok = a.fit(2)
	if !ok || len(res.terms) != 1 {
		t.Fatalf("fit(2): %v %+v", ok, res)
	}
	// RSS 4, df 2, sigma² 2, se(a) = sqrt(2 (1/2 + 1/2)); t = 3/sqrt 2 with 2
	// df: p = 1 - t/sqrt(2 + t²).
	tv := 3 / math.Sqrt2
	wantP := 1 - tv/math.Sqrt(2+tv*tv)
	if !near(res.coef[0], 2, 1e-9) || !near(res.coef[1], 3, 1e-9) || !near(res.se[1], math.Sqrt2, 1e-9) ||
		!near(res.pval[1], wantP, 1e-9) || !near(res.r2, 1-4.0/13, 1e-9) || res.n != 4 {
		t.Errorf("fit %+v, want coef [2 3], se(a) %v, p %v, r2 %v", res, math.Sqrt2, wantP, 1-4.0/13)
	}
	if _, ok := newOLSAcc(1).fit(1); ok {
		t.Error("fit of no answers succeeded")
	}
}

func TestOutside(t *testing.T) {
	hist := []float64{10, 12, math.NaN(), 11, 9}
	for _, tt := range []struct {
		v, se float64
		min   int
		want  bool
	}{
		{30, 0, 3, true},   // 19.5 from the mean, sd 1.29
		{13, 0, 3, false},  // 2.5 from the mean
		{30, 10, 3, false}, // the value's own error widens the band
		{30, 0, 5, false},  // only 4 defined values in the history
	} {
		if got := outside(tt.v, tt.se, hist, 3, tt.min); got != tt.want {
			t.Errorf("outside(%v, se %v, min %d) = %v, want %v", tt.v, tt.se, tt.min, got, tt.want)
		}
	}
}
