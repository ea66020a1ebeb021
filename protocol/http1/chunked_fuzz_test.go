package http1

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzChunkedScanner feeds the same bytes whole and in pieces of a fuzzed
// size and checks the answers agree: the same end, the same decoded data,
// the same error. A body that ends must also re-encode to something that
// scans to the same data.
func FuzzChunkedScanner(f *testing.F) {
	for _, tc := range chunkedCases {
		f.Add([]byte(tc.in), uint8(1), uint8(tc.maxLine))
	}
	f.Add([]byte(capGoChunked[bytes.Index([]byte(capGoChunked), []byte("\r\n\r\n"))+4:]), uint8(7), uint8(0))

	f.Fuzz(func(t *testing.T, data []byte, step, maxLine uint8) {
		whole := ChunkedScanner{MaxLineLength: int(maxLine)}
		wdata, wn, werr := whole.Decode(nil, data)
		if wn < 0 || wn > len(data) || werr != nil && !errors.Is(werr, ErrBadChunked) {
			t.Fatalf("Decode = %d, %v", wn, werr)
		}
		if werr == nil && wn < len(data) && !whole.Done() {
			t.Fatalf("stopped at %d of %d without ending", wn, len(data))
		}

		parts := ChunkedScanner{MaxLineLength: int(maxLine)}
		var pdata []byte
		var perr error
		pos := 0
		for pos < len(data) && perr == nil && !parts.Done() {
			p := data[pos:min(pos+int(step)+1, len(data))]
			var n int
			pdata, n, perr = parts.Decode(pdata, p)
			pos += n
		}
		if (werr == nil) != (perr == nil) || whole.Done() != parts.Done() || !bytes.Equal(wdata, pdata) {
			t.Fatalf("whole: %q %v done %v; in pieces: %q %v done %v", wdata, werr, whole.Done(), pdata, perr, parts.Done())
		}
		if werr == nil && whole.Done() && pos != wn {
			t.Fatalf("ends at %d whole, %d in pieces", wn, pos)
		}

		if whole.Done() {
			var again ChunkedScanner
			enc := []byte("0\r\n\r\n")
			if len(wdata) > 0 {
				enc = appendHexChunk(nil, wdata)
			}
			out, n, err := again.Decode(nil, enc)
			if err != nil || n != len(enc) || !again.Done() || !bytes.Equal(out, wdata) {
				t.Fatalf("re-encoded body: %q, %d, %v", out, n, err)
			}
		}
	})
}

// appendHexChunk encodes data as one chunk and the last chunk.
func appendHexChunk(dst, data []byte) []byte {
	const hex = "0123456789abcdef"
	var size []byte
	for n := len(data); n > 0; n >>= 4 {
		size = append([]byte{hex[n&15]}, size...)
	}
	dst = append(dst, size...)
	dst = append(dst, "\r\n"...)
	dst = append(dst, data...)
	return append(dst, "\r\n0\r\n\r\n"...)
}
