package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chartBox is what the page says of one drawn chart.
type chartBox struct {
	W, H   float64 // laid-out size, CSS pixels
	BW, BH float64 // bounding box of the drawn content
	Shapes int     // path, line, rect, circle, polygon elements
	Texts  int
}

// checkInChromium opens the HTML file in headless Chromium and fails the
// test unless every chart drew (a laid-out SVG with a non-empty box and
// shapes), no console error or exception occurred, and no request left the
// file. Without Chromium it skips, except under CI, where .ci/run installs it.
// With VOCAL_SCREENSHOT=FILE.png it also saves a full-page screenshot.
func checkInChromium(t *testing.T, path string) {
	t.Helper()
	bin := chromium()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed: .ci/run installs the Debian package")
		}
		t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1200, 900))
	actx, cancel := chromedp.NewExecAllocator(checkContext(t), opts...)
	defer cancel()
	var mu sync.Mutex
	var problems, requests []string
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, a.Description+string(a.Value))
				}
				problems = append(problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(parts, " ")))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				problems = append(problems, "log: "+e.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		}
	}))
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, struct{}{}); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+abs)); err != nil {
		t.Fatalf("chromium: open %s: %v", abs, err)
	}
	boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[]chartBox](`[...document.querySelectorAll('figure.chart svg')].map(s => {
		const r = s.getBoundingClientRect(), b = s.getBBox();
		return {W: r.width, H: r.height, BW: b.width, BH: b.height,
			Shapes: s.querySelectorAll('path, line, rect, circle, polyline, polygon').length,
			Texts: s.querySelectorAll('text').length};
	})`))
	if err != nil {
		t.Fatalf("chromium: evaluate: %v", err)
	}
	if shot := os.Getenv("VOCAL_SCREENSHOT"); shot != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(shot, png, 0o644)
		}
		if err != nil {
			t.Errorf("screenshot: %v", err)
		}
	}
	if len(boxes) < 4 {
		t.Errorf("%d charts on the page, want at least 4 (sentiment bars, impact, impact by group, trends)", len(boxes))
	}
	for i, b := range boxes {
		t.Logf("chart %d: %.0fx%.0f px, content %.0fx%.0f, %d shapes, %d texts", i, b.W, b.H, b.BW, b.BH, b.Shapes, b.Texts)
		if b.W < 100 || b.H < 100 || b.BW < 50 || b.BH < 50 || b.Shapes < 10 || b.Texts < 3 {
			t.Errorf("chart %d did not draw: %+v", i, b)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("chromium: %s", p)
	}
	for _, u := range requests {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the report requested %s: it must be self-contained", u)
		}
	}
}
