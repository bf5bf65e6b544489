package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	openai "github.com/sashabaranov/go-openai"
	"golang.org/x/time/rate"
)

// Reasons a request or an answer failed; the Stage counts fall-backs by them.
const (
	ReasonTimeout     = "timeout"          // an attempt outlived the timeout (after retries)
	ReasonRateLimited = "rate_limited"     // HTTP 429 (after retries), or a Retry-After beyond the limit
	ReasonServer      = "server_error"     // HTTP 5xx (after retries)
	ReasonUnreachable = "unreachable"      // connection refused, no route, unknown host (after retries)
	ReasonRejected    = "rejected"         // another HTTP 4xx (bad key, unknown model, bad request): not retried
	ReasonBadResponse = "bad_response"     // a 2xx body that is not a chat completion, no choice, a refusal
	ReasonTruncated   = "truncated"        // the answer hit max_output_tokens
	ReasonCanceled    = "canceled"         // the run stopped
	ReasonInvalidJSON = "invalid_json"     // the answer is not JSON
	ReasonSchema      = "schema"           // JSON that does not follow the schema (missing field, wrong type)
	ReasonLabel       = "invalid_label"    // a label outside the allowed sets, or a score contradicting it
	ReasonEvidence    = "evidence_missing" // an evidence quote not found in the text
	ReasonCircuitOpen = "circuit_open"     // not sent: the endpoint failed repeatedly just before
)

// Error is a failed request or a rejected answer.
type Error struct {
	Reason string
	Err    error
}

func (e *Error) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the reason of an *Error in err's chain, else "error".
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return "error"
}

func errorf(reason, format string, args ...any) *Error {
	return &Error{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// endpointFault reports whether a reason says the endpoint, not the answer,
// failed (what opens the Stage's circuit breaker).
func endpointFault(reason string) bool {
	switch reason {
	case ReasonTimeout, ReasonRateLimited, ReasonServer, ReasonUnreachable, ReasonRejected:
		return true
	}
	return false
}

// Client sends chat completions to an OpenAI-compatible endpoint through
// go-openai with an HTTP timeout per attempt, a request rate limit and
// retries with exponential backoff and jitter on timeouts, 429, 5xx and
// connection failures, honouring Retry-After. Safe for concurrent use.
type Client struct {
	api     *openai.Client
	key     string // to scrub from error messages
	cfg     Config
	limiter *rate.Limiter // nil: no rate limit
	opt     clientOptions
	retries atomic.Int64
}

type clientOptions struct {
	initial, max  time.Duration
	maxRetryAfter time.Duration
	transport     http.RoundTripper
}

// Option tunes a Client.
type Option func(*clientOptions)

// WithBackoff sets the first retry delay and the cap of the delays
// (defaults 1s and 30s); jitter is ±50%.
func WithBackoff(initial, max time.Duration) Option {
	return func(o *clientOptions) { o.initial, o.max = initial, max }
}

// WithMaxRetryAfter sets the longest Retry-After a client waits for (default
// 60s); a longer one fails the request as rate_limited.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(o *clientOptions) { o.maxRetryAfter = d }
}

// WithTransport sets the HTTP transport (default a clone of
// http.DefaultTransport).
func WithTransport(rt http.RoundTripper) Option {
	return func(o *clientOptions) { o.transport = rt }
}

// NewClient builds a client for cfg, which must be enabled and valid. apiKey
// may be empty for servers that need none (a local vLLM or Ollama).
func NewClient(cfg Config, apiKey string, opts ...Option) (*Client, error) {
	if !cfg.Enabled() {
		return nil, errors.New("llm: base_url is not set")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := clientOptions{initial: time.Second, max: 30 * time.Second, maxRetryAfter: time.Minute}
	for _, f := range opts {
		f(&o)
	}
	if o.transport == nil {
		o.transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	oc := openai.DefaultConfig(apiKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	// go-openai sets no timeout of its own: this one bounds each attempt,
	// body included.
	oc.HTTPClient = &http.Client{Timeout: cfg.Timeout, Transport: retryAfterTransport{o.transport}}
	c := &Client{api: openai.NewClientWithConfig(oc), key: apiKey, cfg: cfg, opt: o}
	if cfg.RequestsPerMinute > 0 {
		c.limiter = rate.NewLimiter(rate.Every(time.Minute/time.Duration(cfg.RequestsPerMinute)), min(cfg.MaxConcurrency, cfg.RequestsPerMinute))
	}
	return c, nil
}

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// Retries returns how many retries the client has made.
func (c *Client) Retries() int64 { return c.retries.Load() }

// Request is one chat completion: a system and a user message, and the JSON
// schema of the answer.
type Request struct {
	System, User string
	SchemaName   string
	Schema       json.RawMessage // marshalled once: jsonschema.Definition's MarshalJSON is not safe for concurrent use
}

// Completion is an answer: the message content and the tokens the server
// counted for the request (prompt and answer).
type Completion struct {
	Content string
	Tokens  int64
}

// Complete sends req, retrying transient failures, and returns the answer's
// content; the error is an *Error naming the reason. Complete blocks on the
// rate limiter, the network and the backoff; ctx cancels all three.
func (c *Client) Complete(ctx context.Context, req Request) (Completion, error) {
	creq := c.chatRequest(req)
	var last *Error
	op := func() (Completion, error) {
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				last = errorf(ReasonCanceled, "%w", err)
				return Completion{}, backoff.Permanent(last)
			}
		}
		hold := &retryAfter{}
		resp, err := c.api.CreateChatCompletion(context.WithValue(ctx, retryAfterKey{}, hold), creq)
		if err != nil {
			last = classify(ctx, err)
			switch last.Reason {
			case ReasonTimeout, ReasonRateLimited, ReasonServer, ReasonUnreachable:
			default:
				return Completion{}, backoff.Permanent(last)
			}
			if d := hold.get(); d > 0 {
				if d > c.opt.maxRetryAfter {
					last = errorf(last.Reason, "%v (Retry-After %s is beyond the %s limit)", last.Err, d, c.opt.maxRetryAfter)
					return Completion{}, backoff.Permanent(last)
				}
				return Completion{}, &backoff.RetryAfterError{Duration: d}
			}
			return Completion{}, last
		}
		last = nil
		return completion(resp)
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.RandomizationFactor, b.Multiplier = c.opt.initial, c.opt.max, 0.5, 2
	out, err := backoff.Retry(ctx, op,
		backoff.WithBackOff(b),
		backoff.WithMaxTries(uint(c.cfg.Retries)+1),
		backoff.WithMaxElapsedTime(0),
		backoff.WithNotify(func(error, time.Duration) { c.retries.Add(1) }))
	if err == nil {
		return out, nil
	}
	var e *Error
	switch {
	case errors.As(err, &e):
	case ctx.Err() != nil:
		e = errorf(ReasonCanceled, "%w", ctx.Err())
	case last != nil:
		e = last
	default:
		e = &Error{Reason: "error", Err: err}
	}
	return out, c.scrub(e)
}

// scrub removes the API key from an error's message, should a server echo
// it.
func (c *Client) scrub(e *Error) *Error {
	if len(c.key) < 4 || !strings.Contains(e.Err.Error(), c.key) {
		return e
	}
	return &Error{Reason: e.Reason, Err: errors.New(strings.ReplaceAll(e.Err.Error(), c.key, "[API_KEY]"))}
}

// chatRequest builds the go-openai request: JSON schema structured output
// (strict) or JSON mode with the schema in the system message.
func (c *Client) chatRequest(req Request) openai.ChatCompletionRequest {
	system := req.System
	var format *openai.ChatCompletionResponseFormat
	if c.cfg.ResponseFormat == FormatJSONObject {
		system += "\n\nAnswer with one JSON object that follows this JSON schema:\n" + string(req.Schema)
		format = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	} else {
		format = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{Name: req.SchemaName, Schema: req.Schema, Strict: true}}
	}
	cr := openai.ChatCompletionRequest{
		Model: c.cfg.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: system},
			{Role: openai.ChatMessageRoleUser, Content: req.User},
		},
		MaxCompletionTokens: c.cfg.MaxOutputTokens,
		ResponseFormat:      format,
	}
	if !reasoningModel(c.cfg.Model) {
		// go-openai drops a temperature of 0 (omitempty), which leaves the
		// server's default (1 on OpenAI). The smallest positive float32 is
		// sent as 1e-45: greedy decoding in practice. Reasoning models
		// accept no temperature at all.
		cr.Temperature = math.SmallestNonzeroFloat32
	}
	return cr
}

// reasoningModel reports whether go-openai treats the model as a reasoning
// model (no sampling parameters).
func reasoningModel(name string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func completion(resp openai.ChatCompletionResponse) (Completion, error) {
	out := Completion{Tokens: int64(resp.Usage.TotalTokens)}
	if len(resp.Choices) == 0 {
		return out, backoff.Permanent(errorf(ReasonBadResponse, "the answer has no choices"))
	}
	ch := resp.Choices[0]
	switch {
	case ch.Message.Refusal != "":
		return out, backoff.Permanent(errorf(ReasonBadResponse, "the model refused: %.200s", ch.Message.Refusal))
	case ch.FinishReason == openai.FinishReasonLength:
		return out, backoff.Permanent(errorf(ReasonTruncated, "the answer hit max_output_tokens (%d tokens counted)", out.Tokens))
	case strings.TrimSpace(ch.Message.Content) == "":
		return out, backoff.Permanent(errorf(ReasonBadResponse, "empty answer"))
	}
	out.Content = ch.Message.Content
	return out, nil
}

// classify turns a go-openai or transport error into an *Error.
func classify(ctx context.Context, err error) *Error {
	if ctx.Err() != nil {
		return errorf(ReasonCanceled, "%w", ctx.Err())
	}
	status := 0
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	}
	var netErr net.Error
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case status == http.StatusTooManyRequests:
		return errorf(ReasonRateLimited, "HTTP 429: %w", err)
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return errorf(ReasonTimeout, "HTTP %d: %w", status, err)
	case status >= 500:
		return errorf(ReasonServer, "HTTP %d: %w", status, err)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return errorf(ReasonRejected, "HTTP %d (check %s): %w", status, APIKeyEnv, err)
	case status >= 400:
		return errorf(ReasonRejected, "HTTP %d: %w", status, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return errorf(ReasonTimeout, "%w", err)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.ECONNRESET), errors.As(err, &dnsErr), errors.As(err, &opErr) && opErr.Op == "dial":
		return errorf(ReasonUnreachable, "%w", err)
	case errors.As(err, &syntaxErr), errors.As(err, &typeErr):
		return errorf(ReasonBadResponse, "the response is not a chat completion: %w", err)
	}
	return errorf(ReasonRejected, "%w", err)
}

// retryAfter holds the delay a 429 or 503 response asked for.
type retryAfter struct {
	mu sync.Mutex
	d  time.Duration
}

func (r *retryAfter) set(d time.Duration) { r.mu.Lock(); r.d = d; r.mu.Unlock() }
func (r *retryAfter) get() time.Duration  { r.mu.Lock(); defer r.mu.Unlock(); return r.d }

type retryAfterKey struct{}

// retryAfterTransport records the Retry-After header of a response in the
// request context's *retryAfter: go-openai's errors do not carry headers.
type retryAfterTransport struct{ base http.RoundTripper }

func (t retryAfterTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if h, ok := req.Context().Value(retryAfterKey{}).(*retryAfter); ok {
			h.set(parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
		}
	}
	return resp, err
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent or past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
