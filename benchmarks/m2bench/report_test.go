package m2bench

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// syntheticResult builds a result from a known latency distribution: n
// requests spread from lo to hi, and a flat timeline.
func syntheticResult(target string, n int, lo, hi time.Duration, rps float64) *Result {
	var h Histogram
	for i := range n {
		// Quadratic spread: most requests fast, a tail of slow ones.
		f := float64(i) / float64(n-1)
		h.Record(lo + time.Duration(f*f*f*float64(hi-lo)))
	}
	timeline := []float64{rps * 0.9, rps, rps * 1.05, rps, rps * 0.97, rps}
	return newResult(target, "http", Workload{Connections: 50}, &h, map[string]uint64{"timeout": 2}, timeline, 6*time.Second)
}

// element counts the start tags of an XML document by name, failing on
// anything that is not well-formed.
func elements(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.Entity = map[string]string{}
	count := map[string]int{}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return count
		}
		if err != nil {
			t.Fatalf("report is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			count[se.Name.Local]++
		}
	}
}

func TestReport(t *testing.T) {
	a := syntheticResult("http://127.0.0.1:28080/handler", 10000, 200*time.Microsecond, 40*time.Millisecond, 9000)
	b := syntheticResult("http://127.0.0.1:28081/handler", 10000, 100*time.Microsecond, 15*time.Millisecond, 15000)
	var buf bytes.Buffer
	if err := WriteReport(&buf, "m2bench <test> & report", []string{"mongrel2", "bareku"}, []*Result{a, b}); err != nil {
		t.Fatal(err)
	}
	doc := bytes.Clone(buf.Bytes())
	count := elements(t, doc)
	want := map[string]int{"html": 1, "svg": 2, "polyline": 4, "table": 1, "tr": 3}
	for name, n := range want {
		if count[name] != n {
			t.Errorf("%d <%s> elements, want %d", count[name], name, n)
		}
	}
	for _, s := range []string{"<script", "src=", "href=", "@import", "url("} {
		if bytes.Contains(doc, []byte(s)) {
			t.Errorf("report contains %q: it must be self-contained", s)
		}
	}
	for _, s := range []string{"m2bench &lt;test&gt; &amp; report", "mongrel2", "bareku", "99.9%", "Latency by percentile", "Throughput over time"} {
		if !bytes.Contains(doc, []byte(s)) {
			t.Errorf("report lacks %q", s)
		}
	}

	// A single run, and an empty one, render too.
	var empty Histogram
	none := newResult("x", "handler", Workload{Connections: 1}, &empty, nil, nil, 0)
	for _, rs := range [][]*Result{{a}, {none}} {
		buf.Reset()
		if err := WriteReport(&buf, "one", nil, rs); err != nil {
			t.Fatal(err)
		}
		if c := elements(t, buf.Bytes()); c["svg"] != 2 {
			t.Errorf("%d svg elements, want 2", c["svg"])
		}
	}

	screenshot(t, doc)
}

// screenshot renders the report in headless Chromium, when there is one,
// and checks that the plot lines show up in the series' colours.
func screenshot(t *testing.T, doc []byte) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Log("chromium not installed; not rendering the report")
		return
	}
	if testing.Short() {
		return
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	shot := filepath.Join(dir, "report.png")
	if err := os.WriteFile(page, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--screenshot="+shot, "--window-size=1200,1400", "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// Count pixels close to the first two series colours.
	near := map[string]int{}
	colours := map[string][3]int{"blue": {0x1f, 0x77, 0xb4}, "red": {0xd6, 0x27, 0x28}}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			for name, c := range colours {
				if abs(int(r>>8)-c[0]) < 24 && abs(int(g>>8)-c[1]) < 24 && abs(int(b>>8)-c[2]) < 24 {
					near[name]++
				}
			}
		}
	}
	t.Logf("screenshot %v: %v pixels in the series colours", bounds.Size(), near)
	for name := range colours {
		// Two polylines of several hundred pixels each, 2px wide.
		if near[name] < 500 {
			t.Errorf("only %d %s pixels in the screenshot: the plots did not render", near[name], name)
		}
	}
	if keep := os.Getenv("M2BENCH_SCREENSHOT"); keep != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(keep, data, 0o644)
		os.WriteFile(strings.TrimSuffix(keep, ".png")+".html", doc, 0o644)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestTicks(t *testing.T) {
	labels := func(ts []tick) string {
		var s []string
		for _, t := range ts {
			s = append(s, t.label)
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		name string
		got  []tick
		want string
	}{
		{"linear 0..1", linearTicks(1), "0 0.2 0.4 0.6 0.8 1"},
		{"linear 0..9000", linearTicks(9000), "0 2000 4000 6000 8000 10000"},
		{"linear 0..37", linearTicks(37), "0 10 20 30 40"},
		{"linear empty", linearTicks(0), "0 0.2 0.4 0.6 0.8 1"},
		{"log 0.3..40ms", first(logTicks(0.3, 40)), "0.1 0.2 0.5 1 2 5 10 20 50 100"},
		{"log 0.05..1100ms", first(logTicks(0.05, 1100)), "0.01 0.1 1 10 100 1000 10000"},
		{"log one value", first(logTicks(3, 3)), "1 2 5 10"},
	}
	for _, tt := range tests {
		if got := labels(tt.got); got != tt.want {
			t.Errorf("%s: ticks %q, want %q", tt.name, got, tt.want)
		}
	}
}

func first(ts []tick, _, _ float64) []tick { return ts }
