package static

import (
	"fmt"
	"math"
	"testing"
)

func TestParseRange(t *testing.T) {
	const open = -1
	for _, tc := range []struct {
		v    string
		want []rangeSpec // nil: the header is ignored
	}{
		{"bytes=0-499", []rangeSpec{{0, 499}}},
		{"BYTES=0-0", []rangeSpec{{0, 0}}},
		{"bytes=500-", []rangeSpec{{500, open}}},
		{"bytes=-500", []rangeSpec{{-1, 500}}},
		{"bytes=-0", []rangeSpec{{-1, 0}}},
		{"bytes=0-1,6-7", []rangeSpec{{0, 1}, {6, 7}}},
		{"bytes= 0-1 ,\t6-7 ", []rangeSpec{{0, 1}, {6, 7}}},
		{"bytes=,0-1,,", []rangeSpec{{0, 1}}},
		{"bytes=5-5", []rangeSpec{{5, 5}}},
		{"bytes=99999999999999999999-", []rangeSpec{{math.MaxInt64, open}}},
		{"bytes=0-99999999999999999999", []rangeSpec{{0, math.MaxInt64}}},
		{"bytes=-99999999999999999999", []rangeSpec{{-1, math.MaxInt64}}},
		{"bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,15-15",
			[]rangeSpec{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}, {9, 9}, {10, 10}, {11, 11}, {12, 12}, {13, 13}, {14, 14}, {15, 15}}},
		{"bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,15-15,16-16", nil},
		{"bytes=5-4", nil},
		{"bytes=", nil},
		{"bytes=,", nil},
		{"bytes", nil},
		{"", nil},
		{"bytes =0-1", nil},
		{"bytes= 0 -1", nil},
		{"bytes=0-1;x", nil},
		{"bytes=-", nil},
		{"bytes=--1", nil},
		{"bytes=+0-1", nil},
		{"bytes=0x1-2", nil},
		{"bytes=1-2-3", nil},
		{"bytes=-1-2", nil},
		{"items=0-1", nil},
		{"bytes\x1d0-1", nil},
	} {
		var specs [maxRanges]rangeSpec
		n, ok := parseRange([]byte(tc.v), &specs)
		if tc.want == nil {
			if ok {
				t.Errorf("%q: parsed %v, want it ignored", tc.v, specs[:n])
			}
			continue
		}
		if !ok || fmt.Sprint(specs[:n]) != fmt.Sprint(tc.want) {
			t.Errorf("%q: got %v %v, want %v", tc.v, specs[:n], ok, tc.want)
		}
	}
}

func TestResolveRanges(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []rangeSpec
		size  int64
		want  []byteRange
		what  int
	}{
		{"first bytes", []rangeSpec{{0, 4}}, 12, []byteRange{{0, 4}}, rangesPartial},
		{"clamped", []rangeSpec{{6, 100}}, 12, []byteRange{{6, 11}}, rangesPartial},
		{"open", []rangeSpec{{6, -1}}, 12, []byteRange{{6, 11}}, rangesPartial},
		{"suffix", []rangeSpec{{-1, 5}}, 12, []byteRange{{7, 11}}, rangesPartial},
		{"long suffix", []rangeSpec{{-1, math.MaxInt64}}, 12, []byteRange{{0, 11}}, rangesPartial},
		{"at end", []rangeSpec{{12, -1}}, 12, nil, rangesUnsatisfiable},
		{"zero suffix", []rangeSpec{{-1, 0}}, 12, nil, rangesUnsatisfiable},
		{"one satisfiable", []rangeSpec{{20, 30}, {0, 0}}, 12, []byteRange{{0, 0}}, rangesPartial},
		{"kept order", []rangeSpec{{6, 7}, {0, 1}}, 12, []byteRange{{6, 7}, {0, 1}}, rangesPartial},
		{"touching, no overlap: kept", []rangeSpec{{0, 1}, {2, 3}}, 12, []byteRange{{0, 1}, {2, 3}}, rangesPartial},
		{"overlap merges", []rangeSpec{{0, 4}, {2, 7}}, 12, []byteRange{{0, 7}}, rangesPartial},
		{"contained", []rangeSpec{{0, 11}, {3, 4}}, 12, []byteRange{{0, 11}}, rangesPartial},
		{"overlap sorts and merges touching", []rangeSpec{{8, 9}, {0, 2}, {1, 3}, {4, 5}}, 12, []byteRange{{0, 5}, {8, 9}}, rangesPartial},
		{"suffix overlapping", []rangeSpec{{0, -1}, {-1, 3}}, 12, []byteRange{{0, 11}}, rangesPartial},
		{"empty file", []rangeSpec{{0, -1}}, 0, nil, rangesUnsatisfiable},
		{"empty file suffix", []rangeSpec{{-1, 5}}, 0, nil, rangesIgnore},
		{"empty file zero suffix", []rangeSpec{{-1, 0}}, 0, nil, rangesUnsatisfiable},
	} {
		var out [maxRanges]byteRange
		n, what := resolveRanges(tc.specs, tc.size, &out)
		if what != tc.what || fmt.Sprint(out[:n]) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v %d, want %v %d", tc.name, out[:n], what, tc.want, tc.what)
		}
	}
}

func TestIfRangeMatches(t *testing.T) {
	const etag, mtime, now = "6b0994e1-c", 0x6b0994e1, 0x6b0994e1 + 130
	for _, tc := range []struct {
		v    string
		now  int64
		want bool
	}{
		{"6b0994e1-c", now, true},
		{`"6b0994e1-c"`, now, true},
		{` "6b0994e1-c" `, now, true},
		{`W/"6b0994e1-c"`, now, false},
		{`"6b0994e1-d"`, now, false},
		{`"6b0994e1-c`, now, false},
		{"6b0994e1-c, x", now, false},
		{"*", now, false},
		{"", now, false},
		{dateFile, now, true},
		{dateFile, mtime, false}, // Last-Modified in the current second is weak
		{dateOlder, now, false},
		{dateLater, now, false},
	} {
		if got := ifRangeMatches([]byte(tc.v), etag, mtime, tc.now); got != tc.want {
			t.Errorf("If-Range %q (now %d): %v, want %v", tc.v, tc.now, got, tc.want)
		}
	}
}

func TestParseAcceptEncoding(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want acceptWeights
	}{
		{"", acceptWeights{}},
		{"gzip", acceptWeights{gzip: 1000}},
		{"br, gzip", acceptWeights{br: 1000, gzip: 1000}},
		{"gzip, deflate, br, zstd", acceptWeights{br: 1000, gzip: 1000}},
		{"br;q=0.5, gzip;q=0.25", acceptWeights{br: 500, gzip: 250}},
		{"br ; q=0.5", acceptWeights{br: 500}},
		{"br;Q=0.001", acceptWeights{br: 1}},
		{"br;q=1.000", acceptWeights{br: 1000}},
		{"br;q=1.", acceptWeights{br: 1000}},
		{"br;q=0", acceptWeights{}},
		{"br;q=1.001", acceptWeights{}},
		{"br;q=0.0001", acceptWeights{}},
		{"br;q=", acceptWeights{}},
		{"br;q=.5", acceptWeights{}},
		{"br;level=1;q=0.5", acceptWeights{br: 500}},
		{"br x", acceptWeights{}},
		{"X-GZIP", acceptWeights{gzip: 1000}},
		{"gzip;q=0, gzip", acceptWeights{}},
		{"*;q=0.5", acceptWeights{br: 500, gzip: 500}},
		{"*, br;q=0", acceptWeights{gzip: 1000}},
		{"identity;q=0.5", acceptWeights{identity: 500, namedIdentity: true}},
		{"identity, *;q=0", acceptWeights{identity: 1000, namedIdentity: true}},
		{" , ,gzip ,", acceptWeights{gzip: 1000}},
		{"brotli, gzipx", acceptWeights{}},
	} {
		if got := parseAcceptEncoding([]byte(tc.v)); got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.v, got, tc.want)
		}
	}
}

func TestChooseCoding(t *testing.T) {
	for _, tc := range []struct {
		v              string
		haveBr, haveGz bool
		want           int
	}{
		{"br, gzip", true, true, codingBr},
		{"gzip, br", true, true, codingBr},
		{"br, gzip", false, true, codingGzip},
		{"br, gzip", true, false, codingBr},
		{"br, gzip", false, false, codingIdentity},
		{"br;q=0.5, gzip", true, true, codingGzip},
		{"br;q=0, gzip;q=0", true, true, codingIdentity},
		{"identity;q=0.6, br;q=0.5, gzip;q=0.4", true, true, codingIdentity},
		{"identity;q=0.5, br;q=0.5", true, true, codingBr},
		{"identity;q=0, br;q=0", true, true, codingIdentity},
		{"deflate", true, true, codingIdentity},
	} {
		if got := chooseCoding([]byte(tc.v), tc.haveBr, tc.haveGz); got != tc.want {
			t.Errorf("%q (br %v, gzip %v): %d, want %d", tc.v, tc.haveBr, tc.haveGz, got, tc.want)
		}
	}
}
