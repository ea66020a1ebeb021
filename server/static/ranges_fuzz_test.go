package static

import (
	"strings"
	"testing"
)

// FuzzRangeHeaders feeds arbitrary Range, If-Range and Accept-Encoding
// values and representation sizes to their parsers. Nothing may panic; a
// parsed Range must print and parse back to the same specs; resolved
// ranges must lie inside the representation and never overlap; weights
// must be qvalues; and the chosen coding must be one the client accepts
// and that exists.
func FuzzRangeHeaders(f *testing.F) {
	for _, tc := range append(rangeCases(), precompressedCases()...) {
		for _, line := range strings.Split(tc.raw, "\r\n") {
			if v, ok := strings.CutPrefix(line, "Range: "); ok {
				f.Add(v, "", uint32(12))
			}
			if v, ok := strings.CutPrefix(line, "Accept-Encoding: "); ok {
				f.Add("", v, uint32(3))
			}
			if v, ok := strings.CutPrefix(line, "If-Range: "); ok {
				f.Add("bytes=0-4", v, uint32(12))
			}
		}
	}
	f.Add("bytes=0-0,-1,5-,1-2", "gzip;q=0.5, br;q=0.7, identity;q=0.6, *;q=0", uint32(0))
	f.Add("bytes=1-1,0-0,2-", "", uint32(1<<31))
	f.Fuzz(func(t *testing.T, rangeV, other string, size uint32) {
		var specs [maxRanges]rangeSpec
		n, ok := parseRange([]byte(rangeV), &specs)
		if ok {
			if n < 1 || n > maxRanges {
				t.Fatalf("%q: %d specs", rangeV, n)
			}
			var again [maxRanges]rangeSpec
			printed := printRange(specs[:n])
			if m, ok := parseRange([]byte(printed), &again); !ok || m != n || again != specs {
				t.Fatalf("%q parsed to %v, printed %q, parsed back to %v", rangeV, specs[:n], printed, again[:m])
			}
			var out [maxRanges]byteRange
			k, what := resolveRanges(specs[:n], int64(size), &out)
			if what == rangesPartial && k == 0 || what != rangesPartial && k != 0 {
				t.Fatalf("%q size %d: %d ranges, outcome %d", rangeV, size, k, what)
			}
			for i, r := range out[:k] {
				if r.first < 0 || r.first > r.last || r.last >= int64(size) {
					t.Fatalf("%q size %d: range %v", rangeV, size, r)
				}
				for _, q := range out[:i] {
					if r.first <= q.last && q.first <= r.last {
						t.Fatalf("%q size %d: %v overlaps %v", rangeV, size, r, q)
					}
				}
			}
		}

		ifRangeMatches([]byte(other), "6b0994e1-c", 0x6b0994e1, 0x6b0994e1+1)
		w := parseAcceptEncoding([]byte(other))
		for _, q := range []int{w.br, w.gzip, w.identity} {
			if q < 0 || q > 1000 {
				t.Fatalf("%q: weights %+v", other, w)
			}
		}
		for _, have := range [][2]bool{{true, true}, {true, false}, {false, true}, {false, false}} {
			switch chooseCoding([]byte(other), have[0], have[1]) {
			case codingBr:
				if !have[0] || w.br == 0 {
					t.Fatalf("%q: br chosen (%v, %+v)", other, have, w)
				}
			case codingGzip:
				if !have[1] || w.gzip == 0 || have[0] && w.br >= w.gzip {
					t.Fatalf("%q: gzip chosen (%v, %+v)", other, have, w)
				}
			}
		}
	})
}

// printRange writes specs back as a Range value.
func printRange(specs []rangeSpec) string {
	b := []byte("bytes=")
	for i, s := range specs {
		if i > 0 {
			b = append(b, ',')
		}
		if s.first >= 0 {
			b = appendUint(b, uint64(s.first))
		}
		b = append(b, '-')
		if s.last >= 0 {
			b = appendUint(b, uint64(s.last))
		}
	}
	return string(b)
}
