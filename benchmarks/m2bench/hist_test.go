package m2bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestQuantileKnownInputs(t *testing.T) {
	ns := func(vs ...int64) []time.Duration {
		ds := make([]time.Duration, len(vs))
		for i, v := range vs {
			ds[i] = time.Duration(v)
		}
		return ds
	}
	oneToHundred := make([]time.Duration, 100)
	for i := range oneToHundred {
		oneToHundred[i] = time.Duration(100 - i) // order must not matter
	}
	tests := []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"single p0", ns(42), 0, 42},
		{"negative q is min", ns(5, 9), -1, 5},
		{"single p50", ns(42), 0.5, 42},
		{"single max", ns(42), 1, 42},
		{"1..100 p0 is min", oneToHundred, 0, 1},
		{"1..100 p1", oneToHundred, 0.01, 1},
		{"1..100 p50", oneToHundred, 0.5, 50},
		{"1..100 p90", oneToHundred, 0.9, 90},
		{"1..100 p99", oneToHundred, 0.99, 99},
		{"1..100 p99.9", oneToHundred, 0.999, 100},
		{"1..100 max", oneToHundred, 1, 100},
		{"1..100 p50.5 rounds up", oneToHundred, 0.505, 51},
		{"ten p90 is 9th", ns(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.9, 9},
		{"ten p91 is 10th", ns(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.91, 10},
		{"two p50 is lower", ns(10, 20), 0.5, 10},
		{"skewed p50", ns(1, 1, 1, 200), 0.75, 1},
		{"skewed p99", ns(1, 1, 1, 200), 0.99, 200},
		// Large values are exact at the extremes (min and max are kept).
		{"large min", []time.Duration{time.Second, 3 * time.Second}, 0, time.Second},
		{"large max", []time.Duration{time.Second, 3 * time.Second}, 1, 3 * time.Second},
		{"negative counts as zero", ns(-5, 7), 0, 0},
		{"huge is clamped", []time.Duration{time.Hour}, 1, time.Duration(maxValue)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			for _, v := range tt.values {
				h.Record(v)
			}
			if got := h.Quantile(tt.q); got != tt.want {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

// TestQuantileRelativeError checks every reported quantile against the
// exact nearest-rank value of the sorted samples.
func TestQuantileRelativeError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	samples := make([]int64, 100000)
	for i := range samples {
		// Log-normal around 1ms, reaching from µs to seconds.
		v := int64(math.Exp(rng.NormFloat64()*2.5 + math.Log(1e6)))
		samples[i] = min(v, maxValue)
		h.Record(time.Duration(v))
	}
	slices.Sort(samples)
	for _, q := range []float64{0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1} {
		rank := int(math.Ceil(q * float64(len(samples))))
		want := samples[max(rank, 1)-1]
		got := int64(h.Quantile(q))
		if rel := math.Abs(float64(got-want)) / float64(want); rel > MaxRelativeError {
			t.Errorf("q=%v: got %d, exact %d, relative error %.5f > %.5f", q, got, want, rel, MaxRelativeError)
		}
	}
	if h.Count() != uint64(len(samples)) {
		t.Errorf("Count = %d, want %d", h.Count(), len(samples))
	}
	var sum float64
	for _, v := range samples {
		sum += float64(v)
	}
	if got, want := float64(h.Mean()), sum/float64(len(samples)); math.Abs(got-want) > 1 {
		t.Errorf("Mean = %v, want %v", got, want)
	}
}

// TestBuckets checks that the buckets tile the value range without gaps or
// overlaps and stay within the error bound.
func TestBuckets(t *testing.T) {
	next := int64(0)
	for i := range numBuckets {
		lo, width := bucketRange(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, lo, next)
		}
		if bucketOf(lo) != i || bucketOf(lo+width-1) != i {
			t.Fatalf("bucket %d [%d,+%d): bucketOf gives %d and %d", i, lo, width, bucketOf(lo), bucketOf(lo+width-1))
		}
		if mid := lo + (width-1)/2; float64(width-1)/2/float64(max(lo, 1)) > MaxRelativeError {
			t.Fatalf("bucket %d [%d,+%d) midpoint %d off by more than %v", i, lo, width, mid, MaxRelativeError)
		}
		next = lo + width
	}
	if next != maxValue+1 {
		t.Errorf("buckets end at %d, want %d", next, maxValue+1)
	}
}

func TestMerge(t *testing.T) {
	var a, b, all Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * time.Microsecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var empty Histogram
	a.Merge(&empty)
	a.Merge(&b)
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 1} {
		if a.Quantile(q) != all.Quantile(q) {
			t.Errorf("merged Quantile(%v) = %v, want %v", q, a.Quantile(q), all.Quantile(q))
		}
	}
	if a.Count() != all.Count() || a.Min() != all.Min() || a.Max() != all.Max() || a.Mean() != all.Mean() {
		t.Errorf("merged count/min/max/mean %d %v %v %v, want %d %v %v %v",
			a.Count(), a.Min(), a.Max(), a.Mean(), all.Count(), all.Min(), all.Max(), all.Mean())
	}
	var fresh Histogram
	fresh.Merge(&b)
	if fresh.Min() != b.Min() {
		t.Errorf("merge into empty: min %v, want %v", fresh.Min(), b.Min())
	}
}

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	for i := range b.N {
		h.Record(time.Duration(i&0xfffff) * 1000)
	}
}
