package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/alert"
)

// TestStreamStdin: records from stdin to stdout, rejects to the dead
// letter, alerts by the config's rules to a file route; alerts.jsonl and the
// dataset parts with --out.
func TestStreamStdin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vocal.yaml")
	alertsFile := filepath.Join(dir, "vip.jsonl")
	writeTestFile(t, cfg, `alerts:
  rules:
    - name: vip-unhappy
      when: csat <= 2 and customer_tier == "VIP"
      routes: [vip]
    - name: fire
      when: risk.level == "critical"
  routes:
    - name: vip
      type: file
      path: `+alertsFile+"\n")
	dead := filepath.Join(dir, "dead.jsonl")
	out := filepath.Join(dir, "ds")
	in := `{"id":"v1","text":"客服态度太差了","csat":1,"customer_tier":"VIP"}
not json
{"id":"f1","text":"充电器昨晚起火了","customer_tier":"VIP","csat":4}
{"id":"n1","text":"物流很快","csat":2,"customer_tier":"normal"}
`
	r := vocal(t, in, "stream", "--config", cfg, "--dead-letter", dead, "--out", out, "--workers", "2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var ids []string
	for _, l := range lines(r.stdout) {
		var rec struct{ ID string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("stdout line %q: %v", l, err)
		}
		ids = append(ids, rec.ID)
	}
	if strings.Join(ids, ",") != "v1,f1,n1" {
		t.Errorf("stdout ids %v", ids)
	}
	deadLines := readTestLines(t, dead)
	if len(deadLines) != 1 || !strings.Contains(deadLines[0], `"line":2,"reason":"not JSON`) {
		t.Errorf("dead letter %q", deadLines)
	}
	vip := readTestLines(t, alertsFile)
	if len(vip) != 1 || !strings.Contains(vip[0], `"rule":"vip-unhappy"`) || !strings.Contains(vip[0], `"id":"v1"`) {
		t.Errorf("vip route %q", vip)
	}
	// alerts.jsonl of the dataset: every record a rule fired for.
	var alerted []string
	for _, l := range readTestLines(t, filepath.Join(out, "alerts.jsonl")) {
		var rec struct{ ID string }
		json.Unmarshal([]byte(l), &rec)
		alerted = append(alerted, rec.ID)
	}
	if strings.Join(alerted, ",") != "v1,f1" {
		t.Errorf("alerts.jsonl ids %v", alerted)
	}
	var m pipeline.Manifest
	if b, err := os.ReadFile(filepath.Join(out, "manifest.json")); err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.Counts != (pipeline.Counts{Read: 4, Written: 3, Rejected: 1}) || len(m.Files) != 2 {
		t.Errorf("manifest counts %+v files %v", m.Counts, m.Files)
	}
}

func TestStreamUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badRule := filepath.Join(dir, "bad.yaml")
	writeTestFile(t, badRule, "alerts:\n  rules:\n    - name: broken\n      when: csat <=\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"stream", "--nats", "nats://127.0.0.1:1"}, "--nats needs --dead-letter FILE or --dead-letter-subject SUBJECT"},
		{[]string{"stream", "--out-subject", "x"}, "--out-subject and --dead-letter-subject need --nats"},
		{[]string{"stream", "--log-format", "xml"}, `--log-format "xml": want text or json`},
		{[]string{"stream", "--config", badRule}, `alerts: rule "broken": when: unexpected token EOF`},
		{[]string{"run", "--config", badRule, "--input", fixture("feedback.jsonl"), "--out", dir}, `alerts: rule "broken": when:`},
	}
	for _, tt := range tests {
		r := vocal(t, "", tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("vocal %v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// TestStreamNATSGracefulStop runs the binary against a real NATS server:
// records in, tagged records out on a subject, a critical one to a signed
// webhook that fails its first call, a poison message to the dead-letter
// subject; SIGTERM drains and acks everything and exits 0.
func TestStreamNATSGracefulStop(t *testing.T) {
	t.Parallel()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	for name, subj := range map[string]string{"FEEDBACK": "feedback.in", "TAGGED": "feedback.tagged", "DEAD": "feedback.dead"} {
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subj}}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	calls, got := 0, []string{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !alert.Verify([]byte("s3"), body, r.Header.Get(alert.SignatureHeader)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if calls++; calls == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		got = append(got, r.Header.Get(alert.IDHeader))
	}))
	defer hook.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vocal.yaml")
	writeTestFile(t, cfg, fmt.Sprintf(`alerts:
  rules:
    - name: critical
      when: risk.level == "critical"
      routes: [risk-team]
  routes:
    - name: risk-team
      type: webhook
      url: %s
      secret_env: VOCAL_TEST_HOOK_SECRET
      backoff: 10ms
      dead_letter: %s
`, hook.URL, filepath.Join(dir, "alerts.dead.jsonl")))

	cmd := exec.CommandContext(ctx, vocalBin, "stream", "--nats", ns.ClientURL(), "--config", cfg,
		"--out-subject", "feedback.tagged", "--dead-letter-subject", "feedback.dead", "--metrics-addr", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = append(os.Environ(), "VOCAL_TEST_HOOK_SECRET=s3")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{`{"id":"a","text":"物流很快"}`, `{"id":"b","text":"充电器昨晚起火了"}`, `{oops`, `{"id":"c","text":"价格太贵"}`} {
		if _, err := js.Publish(ctx, "feedback.in", []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	tagged, _ := js.Stream(ctx, "TAGGED")
	dead, _ := js.Stream(ctx, "DEAD")
	for {
		ti, err1 := tagged.Info(ctx)
		di, err2 := dead.Info(ctx)
		if err1 == nil && err2 == nil && ti.State.Msgs == 3 && di.State.Msgs == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("outputs never arrived; stderr:\n%s", stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
	}
	cons, err := js.Consumer(ctx, "FEEDBACK", "vocal")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := cons.Info(ctx)
	if err != nil || ci.NumAckPending != 0 || ci.NumPending != 0 {
		t.Errorf("consumer after stop: %+v, %v; want everything acked", ci, err)
	}
	mu.Lock()
	if len(got) != 1 || got[0] != alert.AlertID("critical", "b") || calls != 2 {
		t.Errorf("webhook calls %d, alerts %v; want 2 calls and the alert of b", calls, got)
	}
	mu.Unlock()
	for _, want := range []string{`"msg":"stream started"`, `"msg":"stopping: draining records in flight"`, `"msg":"stream stopped","read":4,"written":3,"rejected":1`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, stderr.String())
		}
	}
}

func writeTestFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readTestLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return lines(string(b))
}
