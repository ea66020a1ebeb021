package http1

import (
	"errors"
	"strings"
	"testing"
)

var chunkedCases = []struct {
	name    string
	in      string
	maxLine int
	maxSize int64
	end     int    // bytes of the body; -1 when incomplete
	data    string // decoded
	err     error
}{
	{"go capture", capGoChunked[strings.Index(capGoChunked, "\r\n\r\n")+4:], 0, 0, 37, "hello world", nil},
	{"empty body", "0\r\n\r\n", 0, 0, 5, "", nil},
	{"followed by next message", "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n", 0, 0, 13, "abc", nil},
	{"upper and lower hex", "A\r\n0123456789\r\nb\r\n0123456789a\r\n0\r\n\r\n", 0, 0, 36, "01234567890123456789a", nil},
	{"leading zeros", "0005\r\nhello\r\n000\r\n\r\n", 0, 0, 20, "hello", nil},
	{"extensions ignored", "5;name=\"v\"\r\nhello\r\n0;last\r\n\r\n", 0, 0, 29, "hello", nil},
	{"space after size", "5 \r\nhello\r\n0\r\n\r\n", 0, 0, 16, "hello", nil},
	{"trailers", "1\r\nx\r\n0\r\nA: 1\r\nB: 2\r\n\r\nrest", 0, 0, 23, "x", nil},
	{"data holds CR LF", "4\r\n\r\n\r\n\r\n0\r\n\r\n", 0, 0, 14, "\r\n\r\n", nil},
	{"incomplete data", "5\r\nhel", 0, 0, -1, "hel", nil},
	{"incomplete trailer", "0\r\nA: 1\r\n", 0, 0, -1, "", nil},
	{"size line at the limit", "5;aaaa\r\nhello\r\n0\r\n\r\n", 8, 0, 20, "hello", nil},
	{"chunk at the size limit", "5\r\nhello\r\n0\r\n\r\n", 0, 5, 15, "hello", nil},

	{"no digits", "\r\n", 0, 0, 0, "", ErrChunkSize},
	{"not hex", "g\r\n", 0, 0, 0, "", ErrChunkSize},
	{"sign", "+5\r\nhello\r\n", 0, 0, 0, "", ErrChunkSize},
	{"leading space", " 5\r\nhello\r\n", 0, 0, 0, "", ErrChunkSize},
	{"size overflow", "1000000000000000\r\n", 0, 0, 0, "", ErrChunkSize},
	{"chunk over the limit", "6\r\nhello!\r\n", 0, 5, 0, "", ErrChunkTooLarge},
	{"size line too long", "5;aaaaa\r\nhello\r\n", 8, 0, 0, "", ErrChunkLine},
	{"trailer too long", "0\r\nabcdefgh\r\n\r\n", 8, 0, 0, "", ErrChunkLine},
	{"bare LF after size", "5\nhello\r\n0\r\n\r\n", 0, 0, 0, "", ErrChunkCRLF},
	{"bare CR after size", "5\rhello", 0, 0, 0, "", ErrChunkCRLF},
	{"data too long", "5\r\nhello!\r\n", 0, 0, 0, "hello", ErrChunkCRLF},
	{"bare LF after data", "5\r\nhello\n0\r\n\r\n", 0, 0, 0, "hello", ErrChunkCRLF},
	{"bare LF ending body", "0\r\n\n", 0, 0, 0, "", ErrChunkCRLF},
	{"bare LF in trailer", "0\r\nA: 1\n\r\n", 0, 0, 0, "", ErrChunkCRLF},
}

func TestChunkedScanner(t *testing.T) {
	for _, tc := range chunkedCases {
		t.Run(tc.name, func(t *testing.T) {
			// Whole input, then one byte at a time: same answer.
			for _, step := range []int{len(tc.in), 1, 3} {
				s := ChunkedScanner{MaxLineLength: tc.maxLine, MaxChunkSize: tc.maxSize}
				var data []byte
				end, err := -1, error(nil)
				pos := 0
				for pos < len(tc.in) && err == nil && !s.Done() {
					p := []byte(tc.in[pos:min(pos+max(step, 1), len(tc.in))])
					var n int
					data, n, err = s.Decode(data, p)
					if err == nil && n != len(p) && !s.Done() {
						t.Fatalf("step %d: consumed %d of %d without ending", step, n, len(p))
					}
					pos += n
				}
				if s.Done() {
					end = pos
				}
				if tc.err != nil {
					if !errors.Is(err, tc.err) || !errors.Is(err, ErrBadChunked) {
						t.Fatalf("step %d: err = %v, want %v", step, err, tc.err)
					}
					if string(data) != tc.data {
						t.Errorf("step %d: decoded %q before the error, want %q", step, data, tc.data)
					}
					continue
				}
				if err != nil || end != tc.end || string(data) != tc.data {
					t.Fatalf("step %d: end %d, data %q, err %v; want %d, %q", step, end, data, err, tc.end, tc.data)
				}
				if s.Done() {
					if n, err := s.Scan([]byte("more")); n != 0 || err != nil {
						t.Errorf("Scan after the end = %d, %v", n, err)
					}
				}
			}
		})
	}
}

func TestChunkedScanMatchesDecode(t *testing.T) {
	for _, tc := range chunkedCases {
		var a, b ChunkedScanner
		a.MaxLineLength, b.MaxLineLength = tc.maxLine, tc.maxLine
		a.MaxChunkSize, b.MaxChunkSize = tc.maxSize, tc.maxSize
		n1, err1 := a.Scan([]byte(tc.in))
		_, n2, err2 := b.Decode(nil, []byte(tc.in))
		if n1 != n2 || err1 != err2 || a.Done() != b.Done() {
			t.Errorf("%s: Scan %d, %v; Decode %d, %v", tc.name, n1, err1, n2, err2)
		}
	}
}

func TestChunkedDecodeInPlace(t *testing.T) {
	buf := []byte("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
	var s ChunkedScanner
	out, n, err := s.Decode(buf[:0], buf)
	if err != nil || n != len(buf) || string(out) != "abcde" || !s.Done() {
		t.Fatalf("Decode in place = %q, %d, %v", out, n, err)
	}
	s.Reset()
	if s.Done() {
		t.Fatal("Reset left the scanner done")
	}
}

func TestChunkedScanAllocs(t *testing.T) {
	in := []byte(chunkedCases[0].in)
	var s ChunkedScanner
	if a := testing.AllocsPerRun(100, func() { s.Reset(); s.Scan(in) }); a != 0 {
		t.Errorf("Scan allocates %v times", a)
	}
}

func BenchmarkChunkedScan(b *testing.B) {
	// 64 chunks of 1 KiB and a trailer, as a streaming backend sends them.
	var in []byte
	for range 64 {
		in = append(in, "400\r\n"...)
		in = append(in, strings.Repeat("x", 1024)...)
		in = append(in, "\r\n"...)
	}
	in = append(in, "0\r\nX-Sum: 1\r\n\r\n"...)
	var s ChunkedScanner
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		s.Reset()
		if n, err := s.Scan(in); n != len(in) || err != nil || !s.Done() {
			b.Fatal(n, err)
		}
	}
}
