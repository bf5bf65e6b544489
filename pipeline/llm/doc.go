// Package llm is vocal's optional LLM assist through an OpenAI-compatible
// chat-completions endpoint (OpenAI, Azure OpenAI's v1 API, vLLM, Ollama,
// DeepSeek, Qwen), with github.com/sashabaranov/go-openai. vocal works fully
// without it; with it, the records the local tagger is unsure of get a second
// opinion, and theme summaries can be written.
//
// The Stage wraps the local tag stage (a decorator): records whose sentiment
// confidence is below llm.threshold, or that match no topic, are redacted
// (package redact) and sent with a strict JSON-schema answer format asking
// for the overall sentiment, topics of the current taxonomy with polarity and
// evidence quotes, and the risk level. The answer is validated (labels in
// the allowed sets, scores agreeing with them, every quote found in the text
// and mapped back to rune offsets of the original) and merged with source
// "llm"; any failure keeps the local result and is counted by reason. Valid
// answers are cached on disk by a hash of prompt version, model, redacted
// text and taxonomy keys.
//
// Requests go through a Client: an HTTP timeout per attempt, a rate limit,
// retries with exponential backoff and jitter on timeouts, 429, 5xx and
// connection failures (honouring Retry-After), bounded concurrency, a token
// budget per run and a circuit breaker after repeated endpoint failures.
//
//	cfg := llm.DefaultConfig()
//	cfg.BaseURL, cfg.Model = "http://localhost:11434/v1", "qwen2.5:7b"
//	client, err := llm.NewClient(cfg, os.Getenv(llm.APIKeyEnv))
//	cache, err := llm.OpenCache(dir)
//	stage, err := llm.NewStage(analyzer, client, analyzer.Lexicons.Taxonomy, llm.WithCache(cache))
//	counts, err := pipeline.Run(ctx, src, stage, sink, pipeline.RunOptions{Workers: cfg.MaxConcurrency})
//	fmt.Fprintln(os.Stderr, stage.Counters())
package llm
