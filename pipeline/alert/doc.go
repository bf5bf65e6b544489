// Package alert turns output records into alerts: rules written in the expr
// language (github.com/expr-lang/expr) over the output record and its
// passthrough fields, each with a deduplication window and a rate limit, and
// routes that deliver them: a webhook (POST JSON signed with HMAC-SHA256,
// timeout, retries with backoff, then a dead-letter file), a NATS subject, or
// a file.
//
// A rule's condition sees id, text, lang, sentiment.label, sentiment.score,
// topics (the topic keys), aspects (topic, sentiment, score, evidence, start,
// end), risk.level, risk.categories, risk.hits, and every passthrough field
// by name, decoded from JSON:
//
//	cfg := alert.Config{
//		Rules: []alert.RuleConfig{{Name: "vip", When: `csat <= 2 and customer_tier == "VIP"`, Routes: []string{"risk-team"}}},
//		Routes: []alert.RouteConfig{{Name: "risk-team", Type: "webhook", URL: "https://example.org/hook",
//			SecretEnv: "VOCAL_HOOK_SECRET", DeadLetter: "alerts.dead.jsonl"}},
//	}
//	eng, err := alert.New(cfg)
//	sink, err := eng.Sink()  // a pipeline.Sink and pipeline.Committer
//
// Delivery is at least once: the sink is durable for a record once every
// alert it raised is delivered or in a dead letter, so a stream acks the
// record only then. Receivers deduplicate by the X-Vocal-Alert-Id header (or
// the alert_id field), which is the same on every retry and replay.
package alert
