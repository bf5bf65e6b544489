package llm

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// APIKeyEnv is the environment variable holding the endpoint's API key. The
// key is never read from a file, logged or written to an output.
const APIKeyEnv = "VOCAL_LLM_API_KEY"

// Response formats: a JSON schema the server enforces (OpenAI, vLLM, recent
// Ollama), or JSON mode with the schema stated in the prompt.
const (
	FormatJSONSchema = "json_schema"
	FormatJSONObject = "json_object"
)

// CacheOff as cache_dir disables the answer cache.
const CacheOff = "off"

// Config is the llm section of vocal's configuration file. The assist is off
// while BaseURL is empty.
type Config struct {
	BaseURL           string        `yaml:"base_url"`            // OpenAI-compatible API root, e.g. https://api.openai.com/v1; "" = off
	Model             string        `yaml:"model"`               // model name sent with each request
	Threshold         float64       `yaml:"threshold"`           // sentiment confidence below which a record is sent; 1 sends all
	Timeout           time.Duration `yaml:"timeout"`             // per request attempt (the HTTP client's timeout)
	MaxConcurrency    int           `yaml:"max_concurrency"`     // requests in flight at once
	RequestsPerMinute int           `yaml:"requests_per_minute"` // request rate limit, retries included; 0 = none
	TokenBudget       int64         `yaml:"token_budget"`        // total tokens (prompt + answer, as the server reports them) per run; 0 = no limit
	MaxOutputTokens   int           `yaml:"max_output_tokens"`   // answer length limit per request
	Retries           int           `yaml:"retries"`             // retries after a timeout, 429 or 5xx, with exponential backoff
	CacheDir          string        `yaml:"cache_dir"`           // answer cache directory; "" = the user cache dir's vocal/llm, "off" = no cache
	ResponseFormat    string        `yaml:"response_format"`     // json_schema (strict structured output) or json_object
}

// DefaultConfig returns every default; the assist is off.
func DefaultConfig() Config {
	return Config{
		Threshold:         0.7,
		Timeout:           30 * time.Second,
		MaxConcurrency:    4,
		RequestsPerMinute: 60,
		TokenBudget:       200_000,
		MaxOutputTokens:   600,
		Retries:           3,
		ResponseFormat:    FormatJSONSchema,
	}
}

// Enabled reports whether the assist is configured.
func (c Config) Enabled() bool { return c.BaseURL != "" }

// Validate checks the configuration; an empty BaseURL (off) is valid.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base_url %q: want an http or https URL such as https://api.openai.com/v1", c.BaseURL)
	}
	var errs []error
	if c.Model == "" {
		errs = append(errs, errors.New("model: required when base_url is set"))
	}
	if c.Threshold < 0 || c.Threshold > 1 {
		errs = append(errs, fmt.Errorf("threshold %v: want [0, 1]", c.Threshold))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout %v: want a positive duration such as 30s", c.Timeout))
	}
	if c.MaxConcurrency < 1 || c.MaxConcurrency > 256 {
		errs = append(errs, fmt.Errorf("max_concurrency %d: want 1 to 256", c.MaxConcurrency))
	}
	if c.RequestsPerMinute < 0 {
		errs = append(errs, fmt.Errorf("requests_per_minute %d: want 0 (no limit) or more", c.RequestsPerMinute))
	}
	if c.TokenBudget < 0 {
		errs = append(errs, fmt.Errorf("token_budget %d: want 0 (no limit) or more", c.TokenBudget))
	}
	if c.MaxOutputTokens < 64 {
		errs = append(errs, fmt.Errorf("max_output_tokens %d: want at least 64", c.MaxOutputTokens))
	}
	if c.Retries < 0 || c.Retries > 10 {
		errs = append(errs, fmt.Errorf("retries %d: want 0 to 10", c.Retries))
	}
	if c.ResponseFormat != FormatJSONSchema && c.ResponseFormat != FormatJSONObject {
		errs = append(errs, fmt.Errorf("response_format %q: want %s or %s", c.ResponseFormat, FormatJSONSchema, FormatJSONObject))
	}
	return errors.Join(errs...)
}
