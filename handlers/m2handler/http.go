package m2handler

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ReplyHTTP sends an HTTP/1.1 response to the client connection req came
// from:
//
//	HTTP/1.1 <code> <status>\r\n
//	Content-Length: <len(body)>\r\n
//	<each header: Name: value\r\n, names sorted, values in order>
//	\r\n
//	<body>
//
// The server adds nothing to it (no Date, no Server). A Content-Length in
// headers is ignored; the length of body is always used. Header names or
// values containing CR, LF or NUL, or a name containing ':', are rejected,
// so that a header cannot end the response head early.
func (c *Conn) ReplyHTTP(req *Request, code int, status string, headers http.Header, body []byte) error {
	ids := [1]uint64{req.ID}
	return c.DeliverHTTP(req.UUID, ids[:], code, status, headers, body)
}

// DeliverHTTP sends the same HTTP/1.1 response as ReplyHTTP to each of the
// connections ids.
func (c *Conn) DeliverHTTP(uuid string, ids []uint64, code int, status string, headers http.Header, body []byte) error {
	resp, err := AppendHTTP(nil, code, status, headers, body)
	if err != nil {
		return err
	}
	return c.Deliver(uuid, ids, resp)
}

// AppendHTTP appends the HTTP/1.1 response ReplyHTTP sends to dst.
func AppendHTTP(dst []byte, code int, status string, headers http.Header, body []byte) ([]byte, error) {
	if code < 100 || code > 999 {
		return dst, fmt.Errorf("m2handler: HTTP status code %d out of range", code)
	}
	if strings.ContainsAny(status, "\r\n\x00") {
		return dst, fmt.Errorf("m2handler: HTTP status text %q contains a line break", status)
	}
	names := make([]string, 0, len(headers))
	for name, values := range headers {
		if name == "" || strings.ContainsAny(name, ":\r\n\x00 ") {
			return dst, fmt.Errorf("m2handler: invalid HTTP header name %q", name)
		}
		for _, v := range values {
			if strings.ContainsAny(v, "\r\n\x00") {
				return dst, fmt.Errorf("m2handler: HTTP header %s: value %q contains a line break", name, v)
			}
		}
		if !strings.EqualFold(name, "Content-Length") {
			names = append(names, name)
		}
	}
	slices.Sort(names)

	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, ' ')
	dst = append(dst, status...)
	dst = append(dst, "\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\n"...)
	for _, name := range names {
		for _, v := range headers[name] {
			dst = append(dst, name...)
			dst = append(dst, ": "...)
			dst = append(dst, v...)
			dst = append(dst, "\r\n"...)
		}
	}
	dst = append(dst, "\r\n"...)
	return append(dst, body...), nil
}
