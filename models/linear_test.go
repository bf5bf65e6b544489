package models

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// testHeader is the header of the small models these tests build.
func testHeader() Header {
	return Header{Name: "sentiment-en", Version: "t1", Classes: []string{"negative", "neutral", "positive"},
		Buckets: 8, Features: "vocal-sentiment/1", Temperature: 1.25, Trained: "by hand, for the models tests",
		Metrics: map[string]float64{"en.acc": 0.5}}
}

// testModel returns a model of testHeader with distinct weights, among them
// a negative zero and a subnormal, which must survive a round trip bit for bit.
func testModel(t testing.TB) *Linear {
	t.Helper()
	m, err := NewLinear(testHeader())
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.W {
		m.W[i] = float32(i)*0.5 - 3
	}
	m.W[1] = float32(math.Copysign(0, -1))
	m.W[2] = math.SmallestNonzeroFloat32
	m.Bias = []float32{-0.25, 0, 1.5}
	return m
}

func encode(t testing.TB, m *Linear) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := m.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gz compresses raw, the payload of a model file.
func gz(raw []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(raw)
	zw.Close()
	return b.Bytes()
}

// payload is an uncompressed model file: the header line, then the floats.
func payload(header string, floats ...float32) []byte {
	b := bytes.NewBufferString(header + "\n")
	binary.Write(b, binary.LittleEndian, floats)
	return b.Bytes()
}

// sameBits reports whether a and b hold the same float32 bit patterns.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// sameModel compares two models exactly; an empty Metrics map equals a nil
// one (the header omits it).
func sameModel(a, b *Linear) bool {
	ha, hb := a.Header, b.Header
	if len(ha.Metrics) == 0 {
		ha.Metrics = nil
	}
	if len(hb.Metrics) == 0 {
		hb.Metrics = nil
	}
	return reflect.DeepEqual(ha, hb) && sameBits(a.W, b.W) && sameBits(a.Bias, b.Bias)
}

func TestWriteReadRoundTrip(t *testing.T) {
	m := testModel(t)
	b := encode(t, m)
	got, err := ReadLinear(bytes.NewReader(b), "round.vml.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Header, m.Header) {
		t.Errorf("header\n got %+v\nwant %+v", got.Header, m.Header)
	}
	if !sameBits(got.W, m.W) || !sameBits(got.Bias, m.Bias) {
		t.Errorf("weights changed:\n got %v %v\nwant %v %v", got.Bias, got.W, m.Bias, m.W)
	}
	// The file is the gzip of one JSON header line and the floats.
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	raw.ReadFrom(zr)
	wantHeader := `{"name":"sentiment-en","version":"t1","classes":["negative","neutral","positive"],"buckets":8,` +
		`"features":"vocal-sentiment/1","temperature":1.25,"trained":"by hand, for the models tests","metrics":{"en.acc":0.5}}` + "\n"
	if !bytes.Equal(raw.Bytes(), payload(strings.TrimSuffix(wantHeader, "\n"), append(m.Bias, m.W...)...)) {
		t.Errorf("payload does not match the documented format; header line %q", strings.SplitN(raw.String(), "\n", 2)[0])
	}
	// Writing is deterministic.
	if !bytes.Equal(encode(t, got), b) {
		t.Error("re-encoding the decoded model gives other bytes")
	}
}

func TestNewLinearDefaults(t *testing.T) {
	h := testHeader()
	h.Temperature = 0
	m, err := NewLinear(h)
	if err != nil {
		t.Fatal(err)
	}
	if m.Temperature != 1 || len(m.W) != 8*3 || len(m.Bias) != 3 || m.Mask() != 7 {
		t.Errorf("temperature %v, %d weights, %d biases, mask %d; want 1, 24, 3, 7", m.Temperature, len(m.W), len(m.Bias), m.Mask())
	}
	if m.Class("positive") != 2 || m.Class("mixed") != -1 {
		t.Errorf("Class: positive %d, mixed %d", m.Class("positive"), m.Class("mixed"))
	}
}

func TestPredict(t *testing.T) {
	h := testHeader()
	h.Temperature = 2
	m, err := NewLinear(h)
	if err != nil {
		t.Fatal(err)
	}
	m.Bias = []float32{0, 0, 1}
	// Feature 9 folds into bucket 1 (mask 7): row 1 is W[3:6].
	m.W[3], m.W[5] = 2, -1
	fs := []Feature{{Index: 9, Value: 0.5}}
	logits := m.Logits(fs, nil)
	if want := []float64{1, 0, 0.5}; !reflect.DeepEqual(logits, want) {
		t.Errorf("logits %v, want %v", logits, want)
	}
	p := m.Predict(fs, nil)
	z := math.Exp(0.5) + 1 + math.Exp(0.25)
	want := []float64{math.Exp(0.5) / z, 1 / z, math.Exp(0.25) / z}
	for c := range want {
		if math.Abs(p[c]-want[c]) > 1e-12 {
			t.Errorf("P(%s) = %v, want %v (softmax of logits / temperature 2)", m.Classes[c], p[c], want[c])
		}
	}
	if p := m.Predict(nil, nil); math.Abs(p[2]-math.Exp(0.5)/(2+math.Exp(0.5))) > 1e-12 {
		t.Errorf("no features: %v, want the softmax of the bias", p)
	}
}

func TestReadLinearCorrupt(t *testing.T) {
	const good = `{"name":"m","classes":["a","b"],"buckets":2}`
	valid := payload(good, 0, 0, 1, 2, 3, 4) // 2 biases, 2x2 weights
	nan := float32(math.NaN())
	tests := []struct {
		name string
		file []byte
		want string // in the error, after "model bad.vml.gz"
	}{
		{"not gzip", []byte("sentiment weights"), "gzip: invalid header"},
		{"empty", nil, "EOF"},
		{"truncated gzip", encode(t, testModel(t))[:40], "unexpected EOF"},
		{"no header line", gz([]byte(`{"name":"m"`)), "header: EOF"},
		{"header not JSON", gz([]byte("name=m\n")), "header: invalid character"},
		{"unknown header field", gz(payload(`{"name":"m","classes":["a","b"],"buckets":2,"bias":1}`, 0, 0, 1, 2, 3, 4)), `unknown field "bias"`},
		{"buckets not a power of two", gz(payload(`{"name":"m","classes":["a","b"],"buckets":3}`)), "buckets 3"},
		{"buckets too many", gz(payload(`{"name":"m","classes":["a","b"],"buckets":134217728}`)), "buckets 134217728"},
		{"buckets not a number", gz(payload(`{"name":"m","classes":["a","b"],"buckets":"2"}`)), "header: json"},
		{"one class", gz(payload(`{"name":"m","classes":["a"],"buckets":2}`, 0, 1, 2)), "1 classes, want at least 2"},
		{"no name", gz(payload(`{"classes":["a","b"],"buckets":2}`, 0, 0, 1, 2, 3, 4)), "no name"},
		{"negative temperature", gz(payload(`{"name":"m","classes":["a","b"],"buckets":2,"temperature":-1}`, 0, 0, 1, 2, 3, 4)), "temperature -1"},
		{"no bias", gz(payload(good)), "bias: EOF"},
		{"truncated weights", gz(valid[:len(valid)-2]), "weights (4 expected)"},
		{"truncated weights: huge header", gz(payload(`{"name":"m","classes":["a","b","c"],"buckets":67108864}`, 1, 2, 3, 4, 5)), "weights (201326592 expected)"},
		{"trailing bytes", gz(append(valid, 0)), "trailing data"},
		{"NaN weight", gz(payload(good, 0, 0, 1, nan, 3, 4)), "non-finite weight"},
		{"infinite weight", gz(payload(good, 0, 0, 1, float32(math.Inf(-1)), 3, 4)), "non-finite weight"},
		{"NaN bias", gz(payload(good, nan, 0, 1, 2, 3, 4)), "non-finite bias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ReadLinear(bytes.NewReader(tt.file), "bad.vml.gz")
			if err == nil {
				t.Fatalf("read %+v, want an error", m.Header)
			}
			if !strings.HasPrefix(err.Error(), "model bad.vml.gz") && !strings.HasPrefix(err.Error(), "bad.vml.gz: model") {
				t.Errorf("error %q does not name the file", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := ReadLinear(bytes.NewReader(gz(valid)), "good.vml.gz"); err != nil {
		t.Errorf("the valid payload of the table: %v", err)
	}
}

// TestReadLinearBoundedMemory reads a file whose header asks for the largest
// model (2^26 buckets x 3 classes, 768 MiB of weights) but holds five floats:
// the reader must fail having allocated about what the file holds.
func TestReadLinearBoundedMemory(t *testing.T) {
	file := gz(payload(`{"name":"m","classes":["a","b","c"],"buckets":67108864}`, 1, 2, 3, 4, 5))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := ReadLinear(bytes.NewReader(file), "huge.vml.gz"); err == nil {
		t.Fatal("no error")
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("reading a 5-float file allocated %d MiB", n>>20)
	}
}

// FuzzReadLinear feeds arbitrary bytes to ReadLinear, both as the file and as
// the payload of a gzip file (so that the fuzzer reaches the header and
// weights): it never panics, and a model it accepts re-encodes to itself.
func FuzzReadLinear(f *testing.F) {
	f.Add(encode(f, testModel(f)))
	f.Add(payload(`{"name":"m","classes":["a","b"],"buckets":2}`, 0, 0, 1, 2, 3, 4))
	f.Add(payload(`{"name":"m","classes":["a","b"],"buckets":2,"temperature":0,"metrics":{}}`, 0, 0, 1, 2, 3, 4))
	f.Add(payload(`{"name":"m","classes":["a","b","c"],"buckets":67108864}`, 1))
	f.Add([]byte("{\"name\":\"m\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, file := range [][]byte{data, gz(data)} {
			m, err := ReadLinear(bytes.NewReader(file), "fuzz.vml.gz")
			if err != nil {
				if !strings.Contains(err.Error(), "fuzz.vml.gz") {
					t.Errorf("error %q does not name the file", err)
				}
				continue
			}
			again, err := ReadLinear(bytes.NewReader(encode(t, m)), "again.vml.gz")
			if err != nil {
				t.Fatalf("re-encoded model does not read: %v", err)
			}
			if !sameModel(again, m) {
				t.Fatalf("re-encoded model differs:\n%+v\n%+v", again.Header, m.Header)
			}
		}
	})
}
