package alert

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	matched, ruleErrors   *prometheus.CounterVec
	suppressed            *prometheus.CounterVec
	sent, failed, retries *prometheus.CounterVec
	latency               *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		matched: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vocal_alerts_matched_total",
			Help: "Records for which an alert rule fired."}, []string{"rule"}),
		ruleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vocal_alert_rule_errors_total",
			Help: "Records on which a rule's condition failed to evaluate (counted as no match)."}, []string{"rule"}),
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vocal_alerts_suppressed_total",
			Help: "Alerts dropped by a rule's deduplication window or rate limit."}, []string{"rule", "reason"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vocal_alerts_sent_total",
			Help: "Alerts delivered."}, []string{"route"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vocal_alerts_failed_total",
			Help: "Alerts whose every attempt failed (sent to the dead letter)."}, []string{"route"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vocal_alert_retries_total",
			Help: "Delivery attempts after the first."}, []string{"route"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "vocal_alert_delivery_seconds",
			Help:    "Time from a rule firing to the alert's delivery, retries included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route"}),
	}
	if reg != nil {
		reg.MustRegister(m.matched, m.ruleErrors, m.suppressed, m.sent, m.failed, m.retries, m.latency)
	}
	return m
}
