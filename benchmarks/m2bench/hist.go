package m2bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram layout: values below 2*subCount nanoseconds have a bucket each;
// above, every power of two is split into subCount equal buckets, so a
// bucket is never wider than 1/subCount of its lower bound and its midpoint
// is within 1/(2*subCount) of any value in it.
const (
	subBits    = 7
	subCount   = 1 << subBits
	maxBits    = 40 // values are clamped below 2^40 ns, about 18 minutes
	maxValue   = 1<<maxBits - 1
	numBuckets = (maxBits-subBits)*subCount + subCount
)

// MaxRelativeError bounds |reported-recorded|/recorded for any quantile
// reported by a Histogram.
const MaxRelativeError = 1.0 / (2 * subCount)

// Histogram records durations in log-linear buckets. Its zero value is
// empty and ready; Record allocates nothing. It is not safe for concurrent
// use: give each goroutine its own and Merge them.
type Histogram struct {
	counts   [numBuckets]uint64
	n        uint64
	sum      float64 // nanoseconds
	min, max int64
}

// bucketOf returns the bucket index of v (0 <= v <= maxValue).
func bucketOf(v int64) int {
	shift := bits.Len64(uint64(v)) - subBits - 1
	if shift < 0 {
		shift = 0
	}
	return shift*subCount + int(v>>shift)
}

// bucketRange returns the smallest value of bucket i and how many values it
// holds.
func bucketRange(i int) (lo, width int64) {
	if i < 2*subCount {
		return int64(i), 1
	}
	shift := i/subCount - 1
	return int64(i-shift*subCount) << shift, 1 << shift
}

// Record adds one duration. Negative durations count as 0 and durations
// beyond about 18 minutes as that limit.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	v = min(max(v, 0), maxValue)
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
	h.counts[bucketOf(v)]++
}

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Min is the smallest recorded value, exactly; 0 when empty.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max is the largest recorded value, exactly; 0 when empty.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean is the exact mean of the recorded values; 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(math.Round(h.sum / float64(h.n)))
}

// Quantile returns the nearest-rank q-quantile: the ceil(q*n)-th smallest
// recorded value (the smallest for q <= 0, the largest for q >= 1), to
// within MaxRelativeError. Values below 256 ns, the minimum and the
// maximum are exact. It returns 0 when the histogram is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	if q <= 0 {
		return time.Duration(h.min)
	}
	if q >= 1 {
		return time.Duration(h.max)
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	// q*n may carry rounding error upwards (0.9*10 is 9.000000000000002).
	if r := float64(rank-1) / float64(h.n); rank > 1 && math.Abs(r-q) < 1e-12 {
		rank--
	}
	switch {
	case rank <= 1:
		return time.Duration(h.min)
	case rank >= h.n:
		return time.Duration(h.max)
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, width := bucketRange(i)
			v := lo + (width-1)/2
			return time.Duration(min(max(v, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}
