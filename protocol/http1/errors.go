package http1

import (
	"errors"
	"fmt"
)

// ErrBadRequest is matched (with errors.Is) by every error Parse returns:
// the bytes can never become a valid request and the connection should get
// Mongrel2's canned 400 response and be closed.
var ErrBadRequest = errors.New("http1: bad request")

// The specific errors below all wrap ErrBadRequest. They are fixed values so
// that rejecting hostile input costs no allocation.
var (
	// ErrHeadTooLarge means the head or socket message is not complete
	// within Options.MaxHeadBytes bytes.
	ErrHeadTooLarge = fmt.Errorf("http1: request head larger than limits.buffer_size: %w", ErrBadRequest)
	// ErrMethod means the method is not 1 to 20 characters of [A-Z0-9]
	// followed by one space (this includes leading blank lines).
	ErrMethod = fmt.Errorf("http1: invalid request method: %w", ErrBadRequest)
	// ErrTarget means the request-target (or the path of a JSON socket
	// message) is not a valid RFC 3986 reference of the allowed bytes.
	ErrTarget = fmt.Errorf("http1: invalid request target: %w", ErrBadRequest)
	// ErrVersion means the version is not exactly HTTP/1.0 or HTTP/1.1
	// followed by the end of the line.
	ErrVersion = fmt.Errorf("http1: invalid HTTP version: %w", ErrBadRequest)
	// ErrHeaderName means a header line does not start with a token
	// followed directly by ':' (whitespace before the colon and obsolete
	// line folding land here).
	ErrHeaderName = fmt.Errorf("http1: invalid header name: %w", ErrBadRequest)
	// ErrHeaderValue means a header value contains NUL, DEL or a CR that
	// does not end the line, or the blank line ending the head is a lone CR.
	ErrHeaderValue = fmt.Errorf("http1: invalid header value: %w", ErrBadRequest)
	// ErrTransferEncoding means a Transfer-Encoding header is present but
	// its last coding is not chunked, chunked is applied twice, or
	// Content-Length is present too. Mongrel2 ignored such headers and
	// parsed the body as the next request; this package refuses them.
	ErrTransferEncoding = fmt.Errorf("http1: unsupported transfer-encoding: %w", ErrBadRequest)
	// ErrMessage means a socket message ("@path {...}\x00" or
	// "<tag ...>\x00") is malformed.
	ErrMessage = fmt.Errorf("http1: invalid socket message: %w", ErrBadRequest)
)

// errNeedMore is the internal "incomplete" outcome; Parse turns it into
// (0, nil).
var errNeedMore = errors.New("http1: need more bytes")
