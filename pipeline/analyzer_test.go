package pipeline

import "testing"

// TestAnalyzeEnquiry checks that risk alone does not make a question or
// request negative, while the risk flag still fires.
func TestAnalyzeEnquiry(t *testing.T) {
	for _, an := range []*Analyzer{realAnalyzer(t), lexiconAnalyzer(t)} {
		for _, tc := range []struct {
			text, label, risk string
		}{
			{"请帮我注销账户，谢谢。", "neutral", "medium"},
			{"Please forward my file to my lawyer.", "neutral", "high"},
			{"我的银行卡昨天被盗刷了，请问要怎么挂失？", "neutral", "critical"},
			// a reported incident or threat without a request is a complaint
			{"My lawyer will contact you.", "negative", "high"},
			{"The charger caught fire last night.", "negative", "critical"},
			{"我的卡又被盗刷了，请问怎么办？", "negative", "critical"},
		} {
			a := an.Analyze(tc.text)
			if a.Sentiment.Label != tc.label || a.Risk.Level != tc.risk {
				t.Errorf("%s %q: sentiment %s risk %s, want %s %s (evidence %+v)", an.ModelsVersion(), tc.text,
					a.Sentiment.Label, a.Risk.Level, tc.label, tc.risk, a.Sentiment.Evidence)
			}
		}
	}
}
