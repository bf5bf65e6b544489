package sentiment

import (
	"math"
	"unicode"
	"unicode/utf8"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/models"
	"github.com/vocal-dev/vocal/segment"
)

// FeatureSet names the features Features builds. A model records the name it
// was trained with, and the scorer refuses a model built on other features.
const FeatureSet = "vocal-sentiment/1"

// Feature kinds, the first byte hashed with each feature's text.
const (
	fUnigram  = 'w'
	fBigram   = 'b'
	fNegated  = 'n'
	fHanPair  = 'c'
	fSubword  = 'g'
	fLexicon  = 'L'
	fLength   = 'l'
	fEmphasis = '!'
)

// Features appends the model features of a document to dst: the n-grams of
// NgramFeatures over the whole text, and the lexicon's view of the document
// (score, positive and negative mass, questions, emphasis, length).
func Features(d *segment.Doc, res Result, dst []models.Feature) []models.Feature {
	dst = NgramFeatures(d, res.Markers, 0, len(d.Norm.Runes), dst)
	return appendLexiconFeatures(d, res, dst)
}

// NgramFeatures appends the n-gram features of the normalized span [from, to)
// to dst: words and word bigrams within clauses, words in a negator's scope,
// Latin subwords and Han character bigrams (robust to segmentation errors).
// They are scaled to unit length, so long texts do not dominate.
func NgramFeatures(d *segment.Doc, markers []Marker, from, to int, dst []models.Feature) []models.Feature {
	start := len(dst)
	clause, prev := -1, ""
	negEnd, negClause := -1, -1
	for _, t := range d.Tokens {
		if t.NStart < from || t.NEnd > to {
			continue
		}
		if t.Kind == segment.Punct || t.Kind == segment.URL || t.Kind == segment.Mention || t.Kind == segment.Number {
			prev = ""
			continue
		}
		ci := d.ClauseOf(t.NStart)
		if ci != clause {
			clause, prev = ci, ""
		}
		for len(markers) > 0 && markers[0].NStart < t.NStart {
			if markers[0].Kind == lexicons.Negator {
				negEnd, negClause = markers[0].NEnd, markers[0].Clause
			}
			markers = markers[1:]
		}
		dst = append(dst, models.Feature{Index: hash(fUnigram, t.Text, ""), Value: 1})
		if prev != "" {
			dst = append(dst, models.Feature{Index: hash(fBigram, prev, t.Text), Value: 1})
		}
		if negClause == ci && negEnd >= 0 && t.NStart >= negEnd && d.TokensBetween(negEnd, t.NStart) <= negationScope {
			dst = append(dst, models.Feature{Index: hash(fNegated, t.Text, ""), Value: 1})
		}
		prev = t.Text
		dst = appendSubwords(dst, t.Text)
	}
	rs := d.Norm.Runes
	for _, c := range d.Clauses {
		for i := max(c.Start, from); i+1 < min(c.End, to); i++ {
			if unicode.Is(unicode.Han, rs[i]) && unicode.Is(unicode.Han, rs[i+1]) {
				dst = append(dst, models.Feature{Index: hash(fHanPair, string(rs[i:i+2]), ""), Value: 1})
			}
		}
	}
	if n := len(dst) - start; n > 0 {
		v := float32(1 / math.Sqrt(float64(n)))
		for i := start; i < len(dst); i++ {
			dst[i].Value = v
		}
	}
	return dst
}

// appendSubwords adds the character trigrams of a Latin word with boundary
// marks (<go, goo, ood, od>), which carry misspellings, elongations and
// inflections (gooood, disappointing) to what the model has seen.
func appendSubwords(dst []models.Feature, w string) []models.Feature {
	if len(w) < 3 || w[0] >= utf8.RuneSelf {
		return dst
	}
	var buf [64]byte
	if len(w)+2 > len(buf) {
		return dst
	}
	b := append(append(append(buf[:0], '<'), w...), '>')
	for i := 0; i+3 <= len(b); i++ {
		if b[i+2] >= utf8.RuneSelf {
			break
		}
		dst = append(dst, models.Feature{Index: hash(fSubword, string(b[i:i+3]), ""), Value: 1})
	}
	return dst
}

// negationScope is how many tokens after a negator its scope reaches for the
// model's negated-word features.
const negationScope = 3

func appendLexiconFeatures(d *segment.Doc, res Result, dst []models.Feature) []models.Feature {
	var pos, neg float64
	for _, h := range res.Hits {
		if h.Value > 0 {
			pos += h.Value
		} else {
			neg -= h.Value
		}
	}
	add := func(name string, v float64) {
		if v != 0 {
			dst = append(dst, models.Feature{Index: hash(fLexicon, name, ""), Value: float32(v)})
		}
	}
	add("score", res.Score)
	add("pos", pos/(1+pos))
	add("neg", neg/(1+neg))
	if len(res.Hits) == 0 {
		add("none", 1)
	}
	questions := 0
	for _, c := range d.Clauses {
		if c.Question {
			questions++
		}
	}
	if questions > 0 {
		add("question", 1)
	}
	for _, e := range d.Norm.Emph {
		if e {
			dst = append(dst, models.Feature{Index: hash(fEmphasis, "", ""), Value: 1})
			break
		}
	}
	n := len(d.Tokens)
	bucket := "1"
	switch {
	case n > 64:
		bucket = "65+"
	case n > 16:
		bucket = "17-64"
	case n > 4:
		bucket = "5-16"
	}
	return append(dst, models.Feature{Index: hash(fLength, bucket, ""), Value: 1})
}

// hash is 32-bit FNV-1a over the kind byte, a, a separator and b.
func hash(kind byte, a, b string) uint32 {
	const prime = 16777619
	h := uint32(2166136261)
	h = (h ^ uint32(kind)) * prime
	for i := 0; i < len(a); i++ {
		h = (h ^ uint32(a[i])) * prime
	}
	if b != "" {
		h = (h ^ 0x1f) * prime
		for i := 0; i < len(b); i++ {
			h = (h ^ uint32(b[i])) * prime
		}
	}
	return h
}
