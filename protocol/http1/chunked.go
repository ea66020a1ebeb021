package http1

import (
	"errors"
	"fmt"
)

// ErrBadChunked is matched (with errors.Is) by every error ChunkedScanner
// returns: the bytes can never be a valid chunked body.
var ErrBadChunked = errors.New("http1: bad chunked body")

// The specific chunked-body errors all wrap ErrBadChunked.
var (
	// ErrChunkSize means a chunk-size line does not start with a hex
	// digit, or the size does not fit in 60 bits.
	ErrChunkSize = fmt.Errorf("http1: invalid chunk size: %w", ErrBadChunked)
	// ErrChunkTooLarge means a chunk is larger than MaxChunkSize.
	ErrChunkTooLarge = fmt.Errorf("http1: chunk larger than the limit: %w", ErrBadChunked)
	// ErrChunkLine means a chunk-size or trailer line is longer than
	// MaxLineLength.
	ErrChunkLine = fmt.Errorf("http1: chunk line too long: %w", ErrBadChunked)
	// ErrChunkCRLF means a line or a chunk's data does not end in CR LF
	// exactly (a bare CR or LF).
	ErrChunkCRLF = fmt.Errorf("http1: chunk not followed by CRLF: %w", ErrBadChunked)
)

// DefaultMaxChunkLine is the longest chunk-size or trailer line, CR LF
// included, when ChunkedScanner.MaxLineLength is 0.
const DefaultMaxChunkLine = 4096

// maxChunkDigits keeps a chunk size below 2^60.
const maxChunkDigits = 15

type chunkState uint8

const (
	chSize        chunkState = iota // first hex digit of a chunk-size line
	chSizeDigits                    // more hex digits, or the end of the size
	chSizeRest                      // extensions (ignored) up to CR
	chSizeLF                        // LF ending the chunk-size line
	chData                          // chunk data
	chDataCR                        // CR after the data
	chDataLF                        // LF after the data
	chTrailer                       // start of a trailer line or the final CR LF
	chTrailerRest                   // rest of a trailer line up to CR
	chTrailerLF                     // LF ending a trailer line
	chEndLF                         // LF of the final empty line
	chDone
)

// ChunkedScanner follows a chunked body (RFC 9112 §7.1) fed to it in pieces
// of any size, and finds where it ends: a proxy relays the bytes verbatim
// and needs to know which of them belong to the body. It can also remove
// the framing (Decode). It keeps only a few integers of state and never
// allocates.
//
// The grammar: a chunk-size of hex digits, then anything up to CR LF
// (extensions, ignored as Mongrel2 ignores them); the chunk data followed by
// CR LF exactly; after the last (zero-size) chunk, trailer lines up to an
// empty line. Every line must end in CR LF: a bare LF or CR is an error, so
// that no two parsers can disagree about where the body ends.
type ChunkedScanner struct {
	// MaxLineLength bounds a chunk-size or trailer line, CR LF included;
	// 0 means DefaultMaxChunkLine.
	MaxLineLength int
	// MaxChunkSize bounds the size of one chunk; 0 means no limit beyond
	// 2^60. (Mongrel2's upload path used 102400.)
	MaxChunkSize int64

	state  chunkState
	digits int   // hex digits of the current size
	size   int64 // current chunk size, then the data bytes left
	line   int   // bytes of the current line so far
}

// Reset prepares s for a new body, keeping its limits.
func (s *ChunkedScanner) Reset() {
	*s = ChunkedScanner{MaxLineLength: s.MaxLineLength, MaxChunkSize: s.MaxChunkSize}
}

// Done reports whether the end of the body has been seen.
func (s *ChunkedScanner) Done() bool { return s.state == chDone }

// Scan consumes the next bytes of the body. It returns how many bytes of p
// belong to the body: all of them unless the body ended inside p (then
// Done is true and p[n:] is what follows the body) or p is invalid (then
// err matches ErrBadChunked and n is meaningless). After the end it
// returns 0.
func (s *ChunkedScanner) Scan(p []byte) (n int, err error) {
	_, n, err = s.run(nil, p, false)
	return n, err
}

// Decode is Scan that also appends the chunk data in p[:n] to dst and
// returns the extended slice. dst may be p[:0] to decode in place.
func (s *ChunkedScanner) Decode(dst, p []byte) ([]byte, int, error) {
	return s.run(dst, p, true)
}

func (s *ChunkedScanner) maxLine() int {
	if s.MaxLineLength <= 0 {
		return DefaultMaxChunkLine
	}
	return s.MaxLineLength
}

func (s *ChunkedScanner) run(dst, p []byte, decode bool) ([]byte, int, error) {
	i := 0
	for i < len(p) && s.state != chDone {
		if s.state == chData {
			k := min(int64(len(p)-i), s.size)
			if decode {
				dst = append(dst, p[i:i+int(k)]...)
			}
			i += int(k)
			if s.size -= k; s.size == 0 {
				s.state = chDataCR
			}
			continue
		}
		c := p[i]
		i++
		switch s.state {
		case chSize, chSizeDigits:
			if v, ok := hexValue(c); ok {
				if s.digits == maxChunkDigits {
					return dst, i, ErrChunkSize
				}
				s.digits++
				s.line++
				s.size = s.size<<4 | int64(v)
				s.state = chSizeDigits
				break
			}
			if s.state == chSize {
				return dst, i, ErrChunkSize
			}
			if s.MaxChunkSize > 0 && s.size > s.MaxChunkSize {
				return dst, i, ErrChunkTooLarge
			}
			s.state = chSizeRest
			if err := s.lineByte(c, chSizeLF); err != nil {
				return dst, i, err
			}
		case chSizeRest:
			if err := s.lineByte(c, chSizeLF); err != nil {
				return dst, i, err
			}
		case chSizeLF, chDataLF, chTrailerLF, chEndLF:
			if c != '\n' {
				return dst, i, ErrChunkCRLF
			}
			s.line = 0
			switch s.state {
			case chSizeLF:
				s.digits = 0
				if s.size == 0 {
					s.state = chTrailer
				} else {
					s.state = chData
				}
			case chDataLF:
				s.state = chSize
			case chTrailerLF:
				s.state = chTrailer
			case chEndLF:
				s.state = chDone
			}
		case chDataCR:
			if c != '\r' {
				return dst, i, ErrChunkCRLF
			}
			s.state = chDataLF
		case chTrailer:
			if c == '\r' {
				s.state = chEndLF
				break
			}
			s.state = chTrailerRest
			if err := s.lineByte(c, chTrailerLF); err != nil {
				return dst, i, err
			}
		case chTrailerRest:
			if err := s.lineByte(c, chTrailerLF); err != nil {
				return dst, i, err
			}
		}
	}
	return dst, i, nil
}

// lineByte takes one byte of the rest of a line: CR moves to the state
// expecting its LF, a bare LF is an error, anything else counts towards the
// line length.
func (s *ChunkedScanner) lineByte(c byte, lf chunkState) error {
	s.line++
	switch {
	case s.line+1 > s.maxLine(): // room for the LF
		return ErrChunkLine
	case c == '\r':
		s.state = lf
	case c == '\n':
		return ErrChunkCRLF
	}
	return nil
}

func hexValue(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
