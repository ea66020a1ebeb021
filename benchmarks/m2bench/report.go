package m2bench

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// colour is the colour of a report's i-th series.
func colour(i int) string {
	p := [...]string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}
	return p[i%len(p)]
}

// WriteReport writes a self-contained HTML page (inline SVG and CSS, no
// scripts or external assets) with a summary table, latency by percentile
// and throughput over time for each result. Series are named by label, or
// by their target when labels run short. The markup is well-formed XML.
func WriteReport(w io.Writer, title string, labels []string, results []*Result) error {
	bw := bufio.NewWriter(w)
	esc := html.EscapeString
	name := func(i int) string {
		if i < len(labels) && labels[i] != "" {
			return labels[i]
		}
		return results[i].Target
	}
	fmt.Fprintf(bw, `<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta charset="utf-8"/>
<title>%s</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
svg { display: block; margin-bottom: 1.5em; }
svg text { font-family: sans-serif; font-size: 12px; }
</style>
</head>
<body>
<h1>%s</h1>
<p>Generated %s.</p>
<table>
<tr><th>series</th><th>mode</th><th>conns</th><th>rate</th><th>requests</th><th>req/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>errors</th></tr>
`, esc(title), esc(title), time.Now().UTC().Format(time.RFC3339))
	for i, r := range results {
		rate := "closed"
		if r.Rate > 0 {
			rate = fmt.Sprintf("%.0f/s", r.Rate)
		}
		l := r.LatencyMs
		fmt.Fprintf(bw, `<tr><td><span style="color:%s">&#9632;</span> %s</td><td>%s</td><td>%d</td><td>%s</td><td>%d</td><td>%.1f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%s</td></tr>
`, colour(i), esc(name(i)), esc(r.Mode), r.Connections, rate, r.Requests, r.Throughput,
			l.P50, l.P90, l.P99, l.P999, l.Max, esc(fmtErrors(r.Errors)))
	}
	bw.WriteString("</table>\n")

	var lat, thr []line
	for i, r := range results {
		ll := line{name: name(i), color: colour(i)}
		for _, p := range r.Curve {
			if p.Percentile < 99.99+1e-9 {
				ll.pts = append(ll.pts, [2]float64{-math.Log10(1 - p.Percentile/100), p.Ms})
			}
		}
		lat = append(lat, ll)
		tl := line{name: name(i), color: ll.color}
		// A step per second: each sample is the rate over its second.
		for s, v := range r.Timeline {
			tl.pts = append(tl.pts, [2]float64{float64(s), v}, [2]float64{float64(s + 1), v})
		}
		thr = append(thr, tl)
	}
	pctTicks := []tick{{0, "0%"}, {math.Log10(2), "50%"}, {1, "90%"}, {2, "99%"}, {3, "99.9%"}, {4, "99.99%"}}
	writePlot(bw, "latency", "Latency by percentile", "percentile", "latency (ms, log scale)", lat, pctTicks, 0, 4, true)
	maxT := 1.0
	for _, l := range thr {
		maxT = max(maxT, float64(len(l.pts)/2))
	}
	writePlot(bw, "throughput", "Throughput over time", "seconds", "requests/s", thr, linearTicks(maxT), 0, maxT, false)
	bw.WriteString("</body>\n</html>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("m2bench: report: %w", err)
	}
	return nil
}

// line is one series of a plot, in data coordinates.
type line struct {
	name, color string
	pts         [][2]float64
}

// tick is an axis mark at a data coordinate.
type tick struct {
	at    float64
	label string
}

// Plot geometry, in pixels.
const (
	plotW, plotH           = 900, 360
	padL, padR, padT, padB = 70, 160, 40, 50
	innerW, innerH         = plotW - padL - padR, plotH - padT - padB
)

// writePlot writes a line chart as an <svg> element: x from x0 to x1 with
// the given ticks; y from 0 to a rounded-up maximum of the data, or on a
// log scale over the decades the data spans, so that sub-millisecond
// medians and second-long tails show on one plot.
func writePlot(w *bufio.Writer, id, title, xlabel, ylabel string, lines []line, xticks []tick, x0, x1 float64, logY bool) {
	ymin, ymax := math.Inf(1), 0.0
	for _, l := range lines {
		for _, p := range l.pts {
			ymax = max(ymax, p[1])
			if p[1] > 0 {
				ymin = min(ymin, p[1])
			}
		}
	}
	if x1 <= x0 {
		x1 = x0 + 1
	}
	sx := func(x float64) float64 { return padL + (x-x0)/(x1-x0)*innerW }
	var yt []tick
	var sy func(float64) float64
	if logY && ymax > 0 {
		var lo, hi float64
		yt, lo, hi = logTicks(ymin, ymax)
		sy = func(y float64) float64 {
			v := math.Log10(max(y, math.Pow(10, lo)))
			return padT + innerH - (v-lo)/(hi-lo)*innerH
		}
	} else {
		yt = linearTicks(ymax)
		y1 := yt[len(yt)-1].at
		sy = func(y float64) float64 { return padT + innerH - y/y1*innerH }
	}
	fmt.Fprintf(w, `<svg id="%s" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">
<title>%s</title>
<rect x="0" y="0" width="%d" height="%d" fill="#fff"/>
<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>
`, id, plotW, plotH, plotW, plotH, html.EscapeString(title), plotW, plotH, padL, html.EscapeString(title))
	for _, t := range yt {
		y := sy(t.at)
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>
<text x="%d" y="%.1f" text-anchor="end">%s</text>
`, padL, y, padL+innerW, y, padL-6, y+4, t.label)
	}
	for _, t := range xticks {
		x := sx(t.at)
		fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>
<text x="%.1f" y="%d" text-anchor="middle">%s</text>
`, x, padT, x, padT+innerH, x, padT+innerH+16, html.EscapeString(t.label))
	}
	fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>
<text x="%d" y="%d" text-anchor="middle">%s</text>
<text x="16" y="%d" text-anchor="middle" transform="rotate(-90 16 %d)">%s</text>
`, padL, padT, innerW, innerH, padL+innerW/2, plotH-10, html.EscapeString(xlabel),
		padT+innerH/2, padT+innerH/2, html.EscapeString(ylabel))
	for i, l := range lines {
		var b strings.Builder
		for _, p := range l.pts {
			fmt.Fprintf(&b, "%.1f,%.1f ", sx(p[0]), sy(p[1]))
		}
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>
<rect x="%d" y="%d" width="12" height="12" fill="%s"/>
<text x="%d" y="%d">%s</text>
`, l.color, strings.TrimSpace(b.String()), padL+innerW+14, padT+i*20, l.color,
			padL+innerW+32, padT+i*20+11, html.EscapeString(l.name))
	}
	w.WriteString("</svg>\n")
}

// logTicks returns ticks at 1, 2 and 5 times the powers of ten from below
// minV to above maxV (only the powers when they span more than three
// decades), and the log10 of the axis ends.
func logTicks(minV, maxV float64) (ts []tick, lo, hi float64) {
	lo, hi = math.Floor(math.Log10(minV)), math.Ceil(math.Log10(maxV))
	if hi <= lo {
		hi = lo + 1
	}
	steps := []float64{1, 2, 5}
	if hi-lo > 3 {
		steps = []float64{1}
	}
	for e := lo; e <= hi; e++ {
		for _, m := range steps {
			if v := m * math.Pow(10, e); math.Log10(v) <= hi+1e-9 {
				ts = append(ts, tick{v, fmtTick(v)})
			}
		}
	}
	return ts, lo, hi
}

// linearTicks returns about five round ticks from 0 to at least max.
func linearTicks(maxV float64) []tick {
	if maxV <= 0 {
		maxV = 1
	}
	raw := maxV / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	var ts []tick
	for v := 0.0; ; v += step {
		ts = append(ts, tick{v, fmtTick(v)})
		if v >= maxV-1e-9*step {
			return ts
		}
	}
}

func fmtTick(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}
