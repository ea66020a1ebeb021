package http1

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// FuzzParse checks that Parse never panics, never claims more bytes than it
// was given, and gives consistent answers for every split of the input:
// once a prefix fails, every longer one fails; once a prefix is complete,
// every longer one is complete with the same result. It also checks the
// relations between the parts of a parsed request.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in), tc.opt.Relaxed)
	}
	// Captured requests from spec §2.2 and §2.7.
	f.Add([]byte("GET /tnet/a/b?x=1&y=%20z#frag HTTP/1.1\r\nHost: localhost:18080\r\nAccept: */*\r\nX-Dup: one\r\nX-Dup: two\r\n\r\n"), false)
	f.Add([]byte("POST /handler/post HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nhello=world"), false)
	f.Add([]byte("POST /tnet/post HTTP/1.0\r\nHost: localhost\r\nContent-Length: 5\r\n\r\n\x00\x01\x02ab"), false)
	f.Add([]byte("@chat {\"msg\":\"hello\"}\x00@chat {\"a\":2}\x00"), false)
	f.Add([]byte("@chat {\"type\": \"ping\"}\x00"), false)
	f.Add([]byte("<policy-file-request/>\x00"), false)
	f.Add([]byte("GET http://[::ffff:1.2.3.4]:80/x?y#z HTTP/1.1\nHost: [::1]:80\nTransfer-Encoding: gzip, chunked\n\n"), true)

	f.Fuzz(func(t *testing.T, data []byte, relaxed bool) {
		opt := Options{Relaxed: relaxed, MaxHeaders: 4, MaxHeadBytes: 1024}
		if len(data) > 2*opt.MaxHeadBytes {
			return // beyond the head limit only the first bytes matter
		}
		orig := bytes.Clone(data)
		var r Request
		n, err := r.Parse(data, opt)
		if !bytes.Equal(data, orig) {
			t.Fatalf("Parse modified its input")
		}
		if n < 0 || n > len(data) || n > opt.MaxHeadBytes || n > 0 && err != nil || err != nil && !errors.Is(err, ErrBadRequest) {
			t.Fatalf("Parse = %d, %v for %d bytes", n, err, len(data))
		}
		var full string
		if n > 0 {
			checkInvariants(t, &r, data[:n])
			full = fmt.Sprint(view(&r, n))
		}

		// Every prefix of short inputs; about 32 prefixes of long ones, plus
		// the one just short of the end of the head.
		step := 1
		if len(data) > 64 {
			step = len(data)/32 + 1
		}
		var p Request
		checkPrefix := func(k int) {
			m, perr := p.Parse(data[:k], opt)
			switch {
			case m > 0:
				if m != n || fmt.Sprint(view(&p, m)) != full {
					t.Fatalf("prefix of %d bytes complete at %d, whole input at %d (%v)", k, m, n, err)
				}
			case perr != nil:
				if err == nil {
					t.Fatalf("prefix of %d bytes fails (%v), whole input does not (%d)", k, perr, n)
				}
			}
		}
		for k := 0; k < len(data); k += step {
			checkPrefix(k)
		}
		if n > 0 {
			checkPrefix(n - 1)
		}
	})
}

// checkInvariants checks how the parts of a parsed request relate to one
// another and to the input.
func checkInvariants(t *testing.T, r *Request, head []byte) {
	t.Helper()
	if r.Kind != KindHTTP {
		if !bytes.HasPrefix(head, r.Path) || len(r.Path) == 0 || head[len(head)-1] != 0 ||
			!bytes.Contains(head, r.MsgBody) || len(r.Headers) != 0 || r.Method != nil {
			t.Fatalf("socket message %q: Path %q MsgBody %q", head, r.Path, r.MsgBody)
		}
		return
	}
	if !bytes.HasPrefix(head, r.Method) || !bytes.HasSuffix(r.URI, r.Query) || !bytes.HasPrefix(r.URI, r.Path) ||
		!bytes.HasSuffix(r.Target, r.Fragment) || !bytes.Contains(r.Target, r.URI) {
		t.Fatalf("request line %q: Method %q Target %q Path %q URI %q Query %q Fragment %q",
			head, r.Method, r.Target, r.Path, r.URI, r.Query, r.Fragment)
	}
	if r.HasQuery != (len(r.URI) > len(r.Path)) || r.HasQuery && r.URI[len(r.Path)] != '?' {
		t.Fatalf("URI %q, Path %q, HasQuery %v", r.URI, r.Path, r.HasQuery)
	}
	if string(r.Version) != "HTTP/1.0" && string(r.Version) != "HTTP/1.1" {
		t.Fatalf("Version %q", r.Version)
	}
	counts := map[string]int{}
	for _, h := range r.Headers {
		counts[string(h.Name)]++
		if len(h.Name) == 0 || !bytes.Equal(h.Name, bytes.ToLower(h.Name)) || bytes.ContainsAny(h.Value, "\x00\x7f\r\n") {
			t.Fatalf("header %q: %q", h.Name, h.Value)
		}
	}
	if len(counts) > 4 {
		t.Fatalf("%d distinct names kept, limit 4", len(counts))
	}
	for name, c := range counts {
		if c > MaxValuesPerName {
			t.Fatalf("%d values of %q kept", c, name)
		}
	}
	if r.Body == BodyLength && r.ContentLength <= 0 || r.Body != BodyLength && r.Body != BodyChunked && r.ContentLength > 0 && r.Body != BodyNone {
		t.Fatalf("Body %v with ContentLength %d", r.Body, r.ContentLength)
	}
}
