package rootcause

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// z95 is the two-sided 95% normal quantile.
const z95 = 1.959963984540054

// npsAcc counts NPS answers: promoters score 9-10, detractors 0-6.
type npsAcc struct{ n, prom, det int64 }

func (a *npsAcc) add(score float64) {
	a.n++
	switch {
	case score >= 9:
		a.prom++
	case score <= 6:
		a.det++
	}
}

func (a npsAcc) minus(b npsAcc) npsAcc { return npsAcc{a.n - b.n, a.prom - b.prom, a.det - b.det} }

// value is the NPS in points: % promoters - % detractors; NaN when empty.
func (a npsAcc) value() float64 {
	if a.n == 0 {
		return math.NaN()
	}
	return 100 * float64(a.prom-a.det) / float64(a.n)
}

// variance is the variance of value(), in points², from the trinomial with
// one pseudo-count per class (adjusted Wald), so that a small group of equal
// answers does not get a zero-width interval.
func (a npsAcc) variance() float64 {
	if a.n == 0 {
		return math.NaN()
	}
	n := float64(a.n) + 3
	p, d := (float64(a.prom)+1)/n, (float64(a.det)+1)/n
	return 1e4 * (p + d - (p-d)*(p-d)) / float64(a.n)
}

// interval is the 95% normal interval of value().
func (a npsAcc) interval() (lo, hi float64) {
	if a.n == 0 {
		return math.NaN(), math.NaN()
	}
	h := z95 * math.Sqrt(a.variance())
	v := a.value()
	return v - h, v + h
}

// npsImpact is NPS(all) - NPS(all without the mentioners), with a 95%
// delta-method interval. With w the mentioners' share of the answers,
// impact = w * (NPS(mentioners) - NPS(others)) exactly, and
// Var ≈ w²(Var_m + Var_o) + (NPS_m - NPS_o)² w(1-w)/n.
func npsImpact(all, ment npsAcc) (impact, lo, hi float64) {
	others := all.minus(ment)
	if ment.n == 0 || others.n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	n := float64(all.n)
	w := float64(ment.n) / n
	diff := ment.value() - others.value()
	impact = all.value() - others.value()
	v := w*w*(ment.variance()+others.variance()) + diff*diff*w*(1-w)/n
	h := z95 * math.Sqrt(v)
	return impact, impact - h, impact + h
}

// meanAcc accumulates a score's mean and variance, and the count of answers
// at or above top (CSAT 4-5).
type meanAcc struct {
	n, top   int64
	sum, sq  float64
	topLevel float64
}

func (a *meanAcc) add(x float64) {
	a.n++
	a.sum += x
	a.sq += x * x
	if x >= a.topLevel {
		a.top++
	}
}

func (a meanAcc) minus(b meanAcc) meanAcc {
	return meanAcc{n: a.n - b.n, top: a.top - b.top, sum: a.sum - b.sum, sq: a.sq - b.sq, topLevel: a.topLevel}
}

func (a meanAcc) mean() float64 {
	if a.n == 0 {
		return math.NaN()
	}
	return a.sum / float64(a.n)
}

// topShare is the percentage of answers at or above the top level.
func (a meanAcc) topShare() float64 {
	if a.n == 0 {
		return math.NaN()
	}
	return 100 * float64(a.top) / float64(a.n)
}

// stdErr is the standard error of the mean; NaN below two answers.
func (a meanAcc) stdErr() float64 {
	if a.n < 2 {
		return math.NaN()
	}
	n := float64(a.n)
	v := (a.sq - a.sum*a.sum/n) / (n - 1)
	return math.Sqrt(math.Max(v, 0) / n)
}

// interval is the 95% Student t interval of the mean; NaN below two answers.
func (a meanAcc) interval() (lo, hi float64) {
	se := a.stdErr()
	if math.IsNaN(se) {
		return math.NaN(), math.NaN()
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(a.n - 1)}.Quantile(0.975)
	m := a.mean()
	return m - t*se, m + t*se
}

// olsResult is an ordinary least squares fit with an intercept.
type olsResult struct {
	terms          []int // indices of the regressors kept, in the order of coef[1:]
	coef, se, pval []float64
	r2             float64
	n              int
}

// olsAcc accumulates the normal equations X'X, X'y of a regression of a score
// on 0/1 indicators (plus an intercept), so that a fit needs one pass and
// memory in the number of terms only.
type olsAcc struct {
	k       int
	n       int
	xtx     []float64 // (k+1)², index 0 is the intercept
	xty     []float64
	yy, sum float64
}

func newOLSAcc(k int) *olsAcc {
	return &olsAcc{k: k, xtx: make([]float64, (k+1)*(k+1)), xty: make([]float64, k+1)}
}

// add adds one answer y whose indicators set are 1 (each index once).
func (a *olsAcc) add(y float64, set []int) {
	k1 := a.k + 1
	a.n++
	a.yy += y * y
	a.sum += y
	a.xtx[0]++
	a.xty[0] += y
	for _, i := range set {
		i++
		a.xtx[i]++ // row 0, column i
		a.xty[i] += y
		for _, j := range set {
			a.xtx[i*k1+j+1]++
		}
	}
}

// fit solves the regression on the terms with at least minCount ones and
// zeros, dropping a term that would make X'X singular (a term equal to a
// combination of those before it, taken in order of frequency). It returns
// false when fewer answers than parameters + 1 remain.
func (a *olsAcc) fit(minCount int) (olsResult, bool) {
	k1 := a.k + 1
	count := func(i int) float64 { return a.xtx[(i+1)*k1+i+1] }
	var cand []int
	for i := range a.k {
		c := count(i)
		if c >= float64(minCount) && float64(a.n)-c >= float64(minCount) {
			cand = append(cand, i)
		}
	}
	// Most frequent first; ties by index, so the fit is deterministic.
	for i := 1; i < len(cand); i++ {
		for j := i; j > 0 && count(cand[j]) > count(cand[j-1]); j-- {
			cand[j], cand[j-1] = cand[j-1], cand[j]
		}
	}
	var kept []int
	var chol mat.Cholesky
	for _, c := range cand {
		try := append(append([]int{}, kept...), c)
		if chol.Factorize(a.sub(try)) && chol.Cond() < 1e10 {
			kept = try
		}
	}
	p := len(kept) + 1
	if a.n <= p {
		return olsResult{}, false
	}
	xtx := a.sub(kept)
	if !chol.Factorize(xtx) {
		return olsResult{}, false
	}
	xty := mat.NewVecDense(p, nil)
	xty.SetVec(0, a.xty[0])
	for i, t := range kept {
		xty.SetVec(i+1, a.xty[t+1])
	}
	var b mat.VecDense
	if err := chol.SolveVecTo(&b, xty); err != nil {
		return olsResult{}, false
	}
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		return olsResult{}, false
	}
	n := float64(a.n)
	rss := math.Max(a.yy-mat.Dot(&b, xty), 0)
	tss := a.yy - a.sum*a.sum/n
	df := n - float64(p)
	sigma2 := rss / df
	res := olsResult{terms: kept, n: a.n, coef: make([]float64, p), se: make([]float64, p), pval: make([]float64, p), r2: math.NaN()}
	if tss > 0 {
		res.r2 = 1 - rss/tss
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	for i := range p {
		res.coef[i] = b.AtVec(i)
		res.se[i] = math.Sqrt(sigma2 * inv.At(i, i))
		res.pval[i] = math.NaN()
		if res.se[i] > 0 {
			res.pval[i] = 2 * t.Survival(math.Abs(res.coef[i]/res.se[i]))
		}
	}
	return res, true
}

// sub is X'X restricted to the intercept and the given terms.
func (a *olsAcc) sub(terms []int) *mat.SymDense {
	k1 := a.k + 1
	idx := append([]int{-1}, terms...)
	m := mat.NewSymDense(len(idx), nil)
	for i, ti := range idx {
		for j := i; j < len(idx); j++ {
			m.SetSym(i, j, a.xtx[(ti+1)*k1+idx[j]+1])
		}
	}
	return m
}
