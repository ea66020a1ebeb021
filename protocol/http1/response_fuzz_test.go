package http1

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// FuzzResponseParse checks that Response.Parse never panics, never claims
// more bytes than it was given, keeps its input intact, answers the same for
// every longer input once a prefix is complete or invalid, and reports
// framing that agrees with the headers it returns.
func FuzzResponseParse(f *testing.F) {
	for _, tc := range responseCases {
		f.Add([]byte(tc.in), tc.method == "HEAD")
	}
	f.Add([]byte(capGoChunked), false)
	f.Add([]byte(capGo400), false)

	f.Fuzz(func(t *testing.T, data []byte, head bool) {
		if len(data) > 4096 {
			return
		}
		method := []byte("GET")
		if head {
			method = []byte("HEAD")
		}
		orig := bytes.Clone(data)
		var r Response
		n, err := r.Parse(data, method)
		if !bytes.Equal(data, orig) {
			t.Fatal("Parse modified its input")
		}
		if n < 0 || n > len(data) || n > 0 && err != nil || err != nil && !errors.Is(err, ErrBadResponse) {
			t.Fatalf("Parse = %d, %v for %d bytes", n, err, len(data))
		}
		if n > 0 {
			checkResponse(t, &r, data[:n], head)
		}
		full := fmt.Sprintf("%d %v %+v", n, err, &r)

		var p Response
		step := 1
		if len(data) > 64 {
			step = len(data)/32 + 1
		}
		for k := 0; k < len(data); k += step {
			m, perr := p.Parse(data[:k], method)
			switch {
			case m > 0 && fmt.Sprintf("%d %v %+v", m, perr, &p) != full:
				t.Fatalf("prefix %d complete (%d), whole input gives %s", k, m, full)
			case perr != nil && perr != err:
				t.Fatalf("prefix %d fails with %v, whole input with %v", k, perr, err)
			}
		}
	})
}

func checkResponse(t *testing.T, r *Response, head []byte, isHead bool) {
	t.Helper()
	if r.Status < 100 || r.Status > 999 || len(r.Version) != 8 {
		t.Fatalf("status %d version %q", r.Status, r.Version)
	}
	if !bytes.HasSuffix(head, []byte("\n\n")) && !bytes.HasSuffix(head, []byte("\n\r\n")) {
		t.Fatalf("head does not end in an empty line: %q", head)
	}
	_, te := r.Get("transfer-encoding")
	cl, hasCL := r.Get("content-length")
	switch r.Framing {
	case FrameNone:
		if !isHead && r.Status >= 200 && r.Status != 204 && r.Status != 304 {
			t.Fatalf("no body for status %d", r.Status)
		}
	case FrameChunked:
		if !te || r.ContentLength != -1 {
			t.Fatalf("chunked without transfer-encoding, or with length %d", r.ContentLength)
		}
	case FrameLength:
		if !hasCL || te || r.ContentLength < 0 || fmt.Sprint(r.ContentLength) != string(bytes.TrimLeft(trimOWS(cl), "0")) && r.ContentLength != 0 {
			t.Fatalf("length %d from %q", r.ContentLength, cl)
		}
	case FrameClose:
		if !r.Close {
			t.Fatal("body until close on a connection kept open")
		}
	}
	if r.Upgrade && r.Status != 101 {
		t.Fatalf("upgrade with status %d", r.Status)
	}
	for _, h := range r.Headers {
		if !bytes.Equal(h.Name, bytes.ToLower(h.Name)) || len(h.Name) == 0 {
			t.Fatalf("header name %q", h.Name)
		}
	}
}
