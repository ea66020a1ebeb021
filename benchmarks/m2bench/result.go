package m2bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"time"
)

// Latency is a latency summary in milliseconds.
type Latency struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// Point is one point of a latency-by-percentile curve.
type Point struct {
	Percentile float64 `json:"percentile"` // 0..100
	Ms         float64 `json:"ms"`
}

// Result is the outcome of one load run.
type Result struct {
	Target      string  `json:"target"`
	Mode        string  `json:"mode"` // http, http-close, websocket or handler
	Connections int     `json:"connections"`
	Rate        float64 `json:"rate,omitempty"` // requests/s asked for; absent for closed loop
	// Seconds is the measured run time, from the first request to the
	// last answer.
	Seconds    float64           `json:"seconds"`
	Requests   uint64            `json:"requests"` // answered requests
	Throughput float64           `json:"throughput"`
	LatencyMs  Latency           `json:"latency_ms"`
	Errors     map[string]uint64 `json:"errors"`
	// Timeline is answered requests per second, second by second.
	Timeline []float64 `json:"timeline"`
	// Curve is latency by percentile, for plotting.
	Curve []Point `json:"curve"`

	hist *Histogram
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func newResult(target, mode string, w Workload, h *Histogram, errs map[string]uint64, timeline []float64, elapsed time.Duration) *Result {
	r := &Result{
		Target: target, Mode: mode, Connections: w.Connections, Rate: w.Rate,
		Seconds: elapsed.Seconds(), Requests: h.Count(), Errors: errs, Timeline: timeline, hist: h,
	}
	if elapsed > 0 {
		r.Throughput = float64(h.Count()) / elapsed.Seconds()
	}
	r.LatencyMs = Latency{
		Min: ms(h.Min()), Mean: ms(h.Mean()), P50: ms(h.Quantile(0.5)), P90: ms(h.Quantile(0.9)),
		P99: ms(h.Quantile(0.99)), P999: ms(h.Quantile(0.999)), Max: ms(h.Max()),
	}
	r.Curve = curve(h)
	return r
}

// curve samples h at percentiles evenly spaced on a log scale of 1/(1-q),
// from p0 to p99.99, then the maximum.
func curve(h *Histogram) []Point {
	if h.Count() == 0 {
		return nil
	}
	var pts []Point
	for x := 0.0; x <= 4.0001; x += 0.05 {
		q := 1 - math.Pow(10, -x)
		pts = append(pts, Point{Percentile: 100 * q, Ms: ms(h.Quantile(q))})
	}
	return append(pts, Point{Percentile: 100, Ms: ms(h.Max())})
}

// ErrorCount is the total of all errors.
func (r *Result) ErrorCount() uint64 {
	var n uint64
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// WriteText prints r for a terminal.
func (r *Result) WriteText(w io.Writer) error {
	loop := "closed loop"
	if r.Rate > 0 {
		loop = fmt.Sprintf("open loop at %.0f req/s", r.Rate)
	}
	l := r.LatencyMs
	_, err := fmt.Fprintf(w, "%s  %s, %d connections, %s, %.1fs\n"+
		"  requests   %d\n  throughput %.1f req/s\n"+
		"  latency    p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (mean %s)\n"+
		"  errors     %s\n",
		r.Target, r.Mode, r.Connections, loop, r.Seconds, r.Requests, r.Throughput,
		fmtMs(l.P50), fmtMs(l.P90), fmtMs(l.P99), fmtMs(l.P999), fmtMs(l.Max), fmtMs(l.Mean),
		fmtErrors(r.Errors))
	return err
}

// fmtMs prints milliseconds with a sensible unit.
func fmtMs(v float64) string {
	switch {
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 100:
		return fmt.Sprintf("%.2fms", v)
	case v < 10000:
		return fmt.Sprintf("%.0fms", v)
	}
	return fmt.Sprintf("%.1fs", v/1000)
}

func fmtErrors(errs map[string]uint64) string {
	if len(errs) == 0 {
		return "0"
	}
	s := ""
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%s %d", k, errs[k])
	}
	return s
}

// writeJSON writes v indented.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("m2bench: json: %w", err)
	}
	return nil
}

// WriteJSON writes r as an indented JSON document.
func (r *Result) WriteJSON(w io.Writer) error { return writeJSON(w, r) }
