package m2bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Summary is a target's medians over the rounds of a comparison.
type Summary struct {
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50_ms"`
	P99        float64 `json:"p99_ms"`
	P999       float64 `json:"p99_9_ms"`
	Errors     float64 `json:"errors"`
}

// Ratios compare target B with target A (B divided by A) over the
// medians: a throughput ratio above 1 and latency ratios below 1 favour B.
type Ratios struct {
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50"`
	P99        float64 `json:"p99"`
}

// Comparison is the outcome of Compare.
type Comparison struct {
	Names  [2]string    `json:"names"`
	Rounds [2][]*Result `json:"rounds"` // per target, in round order
	Median [2]Summary   `json:"median"`
	Ratio  Ratios       `json:"ratio"`
	// Merged holds each target's rounds folded into one result (latency
	// histograms merged, timelines concatenated), for reports.
	Merged [2]*Result `json:"-"`
}

// CompareOptions describe a comparison: one workload, two URLs.
type CompareOptions struct {
	HTTPOptions // URL is ignored
	URLs        [2]string
	Names       [2]string // default "A" and "B"
	Rounds      int       // at least 1
	// Settle is the pause before each run, letting the previous run's
	// connections close; 0 means half a second.
	Settle time.Duration
}

// Compare runs the workload against both targets in alternating rounds:
// A then B in odd rounds, B then A in even ones, so that a drift of the
// machine over time weighs on both alike. log, when not nil, gets a line
// per run; progress, when not nil, the live progress line.
func Compare(ctx context.Context, o CompareOptions, log, progress io.Writer) (*Comparison, error) {
	if o.Rounds < 1 {
		return nil, errors.New("m2bench: rounds must be at least 1")
	}
	c := &Comparison{Names: o.Names}
	for i, n := range c.Names {
		if n == "" {
			c.Names[i] = string(rune('A' + i))
		}
	}
	settle := o.Settle
	if settle <= 0 {
		settle = 500 * time.Millisecond
	}
	for round := range o.Rounds {
		order := []int{0, 1}
		if round%2 == 1 {
			order = []int{1, 0}
		}
		for _, t := range order {
			select {
			case <-time.After(settle):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			ho := o.HTTPOptions
			ho.URL = o.URLs[t]
			r, err := RunHTTP(ctx, ho, progress)
			if err != nil {
				return nil, err
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			c.Rounds[t] = append(c.Rounds[t], r)
			if log != nil {
				fmt.Fprintf(log, "round %d/%d %-10s %10.1f req/s  p50 %s  p99 %s  errors %d\n",
					round+1, o.Rounds, c.Names[t], r.Throughput, fmtMs(r.LatencyMs.P50), fmtMs(r.LatencyMs.P99), r.ErrorCount())
			}
		}
	}
	for t := range 2 {
		c.Median[t] = summarize(c.Rounds[t])
		c.Merged[t] = mergeResults(c.Rounds[t])
	}
	c.Ratio = Ratios{
		Throughput: ratio(c.Median[1].Throughput, c.Median[0].Throughput),
		P50:        ratio(c.Median[1].P50, c.Median[0].P50),
		P99:        ratio(c.Median[1].P99, c.Median[0].P99),
	}
	return c, nil
}

func ratio(b, a float64) float64 {
	if a == 0 {
		return 0
	}
	return b / a
}

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func summarize(rs []*Result) Summary {
	pick := func(f func(*Result) float64) float64 {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = f(r)
		}
		return median(xs)
	}
	return Summary{
		Throughput: pick(func(r *Result) float64 { return r.Throughput }),
		P50:        pick(func(r *Result) float64 { return r.LatencyMs.P50 }),
		P99:        pick(func(r *Result) float64 { return r.LatencyMs.P99 }),
		P999:       pick(func(r *Result) float64 { return r.LatencyMs.P999 }),
		Errors:     pick(func(r *Result) float64 { return float64(r.ErrorCount()) }),
	}
}

// mergeResults folds runs of one workload into one result.
func mergeResults(rs []*Result) *Result {
	var h Histogram
	errs := map[string]uint64{}
	var timeline []float64
	var secs float64
	for _, r := range rs {
		if r.hist != nil {
			h.Merge(r.hist)
		}
		for k, n := range r.Errors {
			errs[k] += n
		}
		timeline = append(timeline, r.Timeline...)
		secs += r.Seconds
	}
	first := rs[0]
	w := Workload{Connections: first.Connections, Rate: first.Rate}
	return newResult(first.Target, first.Mode, w, &h, errs, timeline, time.Duration(secs*float64(time.Second)))
}

// WriteText prints the comparison as a table of medians and ratios.
func (c *Comparison) WriteText(w io.Writer) error {
	a, b := c.Median[0], c.Median[1]
	ratioHead := c.Names[1] + "/" + c.Names[0]
	_, err := fmt.Fprintf(w, "medians over %d rounds\n"+
		"%-16s %14s %14s %16s\n"+
		"%-16s %14.1f %14.1f %16.2f\n"+
		"%-16s %14.3f %14.3f %16.2f\n"+
		"%-16s %14.3f %14.3f %16.2f\n"+
		"%-16s %14.3f %14.3f\n"+
		"%-16s %14.0f %14.0f\n",
		len(c.Rounds[0]),
		"", c.Names[0], c.Names[1], ratioHead,
		"throughput req/s", a.Throughput, b.Throughput, c.Ratio.Throughput,
		"p50 ms", a.P50, b.P50, c.Ratio.P50,
		"p99 ms", a.P99, b.P99, c.Ratio.P99,
		"p99.9 ms", a.P999, b.P999,
		"errors", a.Errors, b.Errors)
	return err
}

// WriteJSON writes the comparison as an indented JSON document.
func (c *Comparison) WriteJSON(w io.Writer) error { return writeJSON(w, c) }
