package models

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// Feature is one sparse input: a hashed index below the model's Buckets and
// its value.
type Feature struct {
	Index uint32
	Value float32
}

// Header describes a model file: what it predicts, how its features are
// built, and how it was trained and measured.
type Header struct {
	Name        string   `json:"name"`    // e.g. sentiment-zh
	Version     string   `json:"version"` // e.g. 2026.11.25
	Classes     []string `json:"classes"`
	Buckets     int      `json:"buckets"`     // hashed feature space, a power of two
	Features    string   `json:"features"`    // feature extractor name and version, checked by the user
	Temperature float64  `json:"temperature"` // softmax temperature fitted on held-out data
	// Unsure is the calibrated probability below which a sentiment model
	// defers to the lexicons, chosen by the training protocol.
	Unsure  float64            `json:"unsure,omitempty"`
	Trained string             `json:"trained"` // data and command
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// Linear is a multinomial logistic regression: for class c, the score is
// Bias[c] + sum of W[f.Index*len(Classes)+c] * f.Value. It is read-only once
// built and safe for concurrent use.
type Linear struct {
	Header
	W    []float32
	Bias []float32
}

// NewLinear returns a zero model for h.
func NewLinear(h Header) (*Linear, error) {
	if err := h.validate(); err != nil {
		return nil, err
	}
	if h.Temperature == 0 {
		h.Temperature = 1
	}
	return &Linear{Header: h, W: make([]float32, h.Buckets*len(h.Classes)), Bias: make([]float32, len(h.Classes))}, nil
}

func (h Header) validate() error {
	switch {
	case h.Name == "":
		return errors.New("model has no name")
	case len(h.Classes) < 2:
		return fmt.Errorf("model %s: %d classes, want at least 2", h.Name, len(h.Classes))
	case h.Buckets < 2 || h.Buckets&(h.Buckets-1) != 0 || h.Buckets > 1<<26:
		return fmt.Errorf("model %s: buckets %d, want a power of two up to 2^26", h.Name, h.Buckets)
	case h.Temperature < 0 || math.IsNaN(h.Temperature) || math.IsInf(h.Temperature, 0):
		return fmt.Errorf("model %s: temperature %v", h.Name, h.Temperature)
	}
	return nil
}

// Mask is the bit mask that folds a hash into the model's buckets.
func (m *Linear) Mask() uint32 { return uint32(m.Buckets - 1) }

// Class returns the index of a class name, or -1.
func (m *Linear) Class(name string) int {
	for i, c := range m.Classes {
		if c == name {
			return i
		}
	}
	return -1
}

// Logits writes the raw class scores of fs into dst (grown as needed).
func (m *Linear) Logits(fs []Feature, dst []float64) []float64 {
	k := len(m.Classes)
	dst = append(dst[:0], make([]float64, k)...)
	for c := range k {
		dst[c] = float64(m.Bias[c])
	}
	mask := m.Mask()
	for _, f := range fs {
		row := m.W[int(f.Index&mask)*k:][:k]
		for c, w := range row {
			dst[c] += float64(w * f.Value)
		}
	}
	return dst
}

// Predict returns calibrated class probabilities (softmax of the logits over
// the temperature) in Classes order, written into dst.
func (m *Linear) Predict(fs []Feature, dst []float64) []float64 {
	dst = m.Logits(fs, dst)
	softmax(dst, m.Temperature)
	return dst
}

func softmax(z []float64, temp float64) {
	if temp <= 0 {
		temp = 1
	}
	hi := math.Inf(-1)
	for _, v := range z {
		hi = max(hi, v)
	}
	sum := 0.0
	for i, v := range z {
		z[i] = math.Exp((v - hi) / temp)
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
}

// Write encodes the model: gzip of the JSON header line and the weights.
func (m *Linear) Write(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	hdr, err := json.Marshal(m.Header)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(zw)
	bw.Write(append(hdr, '\n'))
	binary.Write(bw, binary.LittleEndian, m.Bias)
	if err := binary.Write(bw, binary.LittleEndian, m.W); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// ReadLinear decodes a model written by Write; name labels errors.
func ReadLinear(r io.Reader, name string) (*Linear, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	br := bufio.NewReader(zr)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("model %s: header: %w", name, err)
	}
	var h Header
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("model %s: header: %w", name, err)
	}
	if err := h.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if h.Temperature == 0 {
		h.Temperature = 1
	}
	m := &Linear{Header: h}
	if m.Bias, err = readFloats(br, len(h.Classes)); err != nil {
		return nil, fmt.Errorf("model %s: bias: %w", name, err)
	}
	if m.W, err = readFloats(br, h.Buckets*len(h.Classes)); err != nil {
		return nil, fmt.Errorf("model %s: weights (%d expected): %w", name, h.Buckets*len(h.Classes), err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("model %s: trailing data after the weights", name)
	}
	if !finite(m.Bias) {
		return nil, fmt.Errorf("model %s: non-finite bias", name)
	}
	if !finite(m.W) {
		return nil, fmt.Errorf("model %s: non-finite weight", name)
	}
	return m, nil
}

// readFloats reads n little-endian float32s in chunks, growing the result as
// the data arrives: a corrupt header asking for 2^26 buckets cannot make the
// reader allocate more than the file holds.
func readFloats(r io.Reader, n int) ([]float32, error) {
	const chunk = 1 << 16
	buf := make([]byte, 4*min(n, chunk))
	var out []float32
	for len(out) < n {
		k := min(n-len(out), chunk)
		if _, err := io.ReadFull(r, buf[:4*k]); err != nil {
			return nil, err
		}
		if len(out)+k > cap(out) {
			out = append(make([]float32, 0, min(n, 2*cap(out)+k)), out...)
		}
		for i := range k {
			out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:])))
		}
	}
	return out, nil
}

func finite(xs []float32) bool {
	for _, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}
