package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/vocal-dev/vocal/pipeline"
)

// Alert is what routes deliver: the rule that fired and the output record.
type Alert struct {
	ID      string          `json:"alert_id"` // the same for a rule and a record id on every retry and replay
	Rule    string          `json:"rule"`
	FiredAt time.Time       `json:"fired_at"`
	Record  json.RawMessage `json:"record"`
}

// target delivers one alert payload; it is safe for concurrent use. An error
// wrapped in permanent is not retried.
type target interface {
	deliver(ctx context.Context, a *Alert, payload []byte) error
}

type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the request
// body under the route's secret.
const SignatureHeader = "X-Vocal-Signature"

// IDHeader carries the alert id, for receivers to deduplicate.
const IDHeader = "X-Vocal-Alert-Id"

// Sign returns the value of SignatureHeader for body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig is the signature of body under secret, in
// constant time.
func Verify(secret, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(sig))
}

type webhook struct {
	url    string
	secret []byte
	client *http.Client
	agent  string
}

func (w *webhook) deliver(ctx context.Context, a *Alert, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(payload))
	if err != nil {
		return permanent{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.agent)
	req.Header.Set(IDHeader, a.ID)
	req.Header.Set(SignatureHeader, Sign(w.secret, payload))
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("webhook %s: %s", w.url, resp.Status)
	}
	return permanent{fmt.Errorf("webhook %s: %s", w.url, resp.Status)}
}

// Publish sends data to a NATS subject and returns once the server has
// stored it; id is the message id the server deduplicates on.
type Publish func(ctx context.Context, subject, id string, data []byte) error

type natsTarget struct {
	subject string
	publish Publish
}

func (n *natsTarget) deliver(ctx context.Context, a *Alert, payload []byte) error {
	return n.publish(ctx, n.subject, a.ID, payload)
}

// fileTarget appends alerts as JSON lines, synced on each write.
type fileTarget struct {
	mu sync.Mutex
	f  *os.File
}

func (f *fileTarget) deliver(_ context.Context, _ *Alert, payload []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.f.Write(append(payload[:len(payload):len(payload)], '\n')); err != nil {
		return permanent{err}
	}
	if err := f.f.Sync(); err != nil {
		return permanent{err}
	}
	return nil
}

// route delivers alerts with a pool of workers fed from a bounded queue:
// each alert is retried with exponential backoff, and goes to the dead
// letter (if any) when every attempt failed.
type route struct {
	cfg    RouteConfig
	target target
	dl     pipeline.DeadLetter
	queue  chan job
	closer io.Closer // files the route owns
}

type job struct {
	alert   *Alert
	payload []byte
	done    func(err error)
}

// deadLine is one line of a route's dead letter.
type deadLine struct {
	Route    string          `json:"route"`
	Rule     string          `json:"rule"`
	AlertID  string          `json:"alert_id"`
	Error    string          `json:"error"`
	Attempts int             `json:"attempts"`
	Alert    json.RawMessage `json:"alert"`
}

// send makes every attempt; it returns nil once the alert is delivered or
// in the dead letter, the number of attempts, and the last delivery error.
func (r *route) send(ctx context.Context, j job) (attempts int, lastErr, err error) {
	delay := r.cfg.Backoff
	for attempts = 1; ; attempts++ {
		actx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
		lastErr = r.target.deliver(actx, j.alert, j.payload)
		cancel()
		var p permanent
		if lastErr == nil || errors.As(lastErr, &p) || attempts > r.cfg.Retries || ctx.Err() != nil {
			break
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		delay = min(2*delay, r.cfg.MaxBackoff)
	}
	if lastErr == nil {
		return attempts, nil, nil
	}
	if ctx.Err() != nil {
		// Shutting down: the record is not acked and will be replayed.
		return attempts, lastErr, ctx.Err()
	}
	if r.dl == nil {
		return attempts, lastErr, fmt.Errorf("route %q: %w", r.cfg.Name, lastErr)
	}
	line, _ := json.Marshal(deadLine{Route: r.cfg.Name, Rule: j.alert.Rule, AlertID: j.alert.ID, Error: lastErr.Error(),
		Attempts: attempts, Alert: j.payload})
	if err := r.dl.Put(ctx, line); err != nil {
		return attempts, lastErr, fmt.Errorf("route %q: %w", r.cfg.Name, err)
	}
	return attempts, lastErr, nil
}
