package http1

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// view renders the fields of a parsed request as strings so that test
// tables can name only the fields they care about. Nil slices print as
// "<nil>", an absent query or fragment too.
func view(r *Request, n int) map[string]string {
	str := func(b []byte) string {
		if b == nil {
			return "<nil>"
		}
		return string(b)
	}
	opt := func(b []byte, has bool) string {
		if !has {
			return "<nil>"
		}
		return string(b)
	}
	var hs []string
	for _, h := range r.Headers {
		hs = append(hs, string(h.Name)+": "+string(h.Value))
	}
	return map[string]string{
		"n":             strconv.Itoa(n),
		"Kind":          r.Kind.String(),
		"Method":        str(r.Method),
		"Target":        str(r.Target),
		"Path":          str(r.Path),
		"URI":           str(r.URI),
		"Query":         opt(r.Query, r.HasQuery),
		"Fragment":      opt(r.Fragment, r.HasFragment),
		"Version":       str(r.Version),
		"Headers":       strings.Join(hs, "|"),
		"Host":          str(r.Host),
		"HostName":      str(r.HostName),
		"ContentLength": strconv.FormatInt(r.ContentLength, 10),
		"Body":          r.Body.String(),
		"CloseWanted":   strconv.FormatBool(r.CloseWanted),
		"Expect":        str(r.Expect),
		"MsgBody":       str(r.MsgBody),
	}
}

type parseCase struct {
	name string
	in   string
	opt  Options
	want map[string]string // fields to check; "n" defaults to len(in)
	err  error             // expected error; nil means success
}

// parseCases are the verified examples of spec §2.3, §2.7 and §3.1-§3.4.
var parseCases = []parseCase{
	// §3.1 request line
	{name: "simple GET", in: "GET / HTTP/1.1\r\n\r\n", want: map[string]string{
		"Kind": "HTTP", "Method": "GET", "Target": "/", "Path": "/", "URI": "/", "Query": "<nil>",
		"Fragment": "<nil>", "Version": "HTTP/1.1", "Headers": "", "Host": "<nil>", "HostName": "<nil>",
		"ContentLength": "0", "Body": "none", "CloseWanted": "false", "Expect": "<nil>", "MsgBody": "<nil>",
	}},
	{name: "lower-case method", in: "get / HTTP/1.1\r\n\r\n", err: ErrMethod},
	{name: "method with dash", in: "M-SEARCH / HTTP/1.1\r\n\r\n", err: ErrMethod},
	{name: "any upper-case token", in: "PROPFIND / HTTP/1.1\r\n\r\n", want: map[string]string{"Method": "PROPFIND"}},
	{name: "digits in method", in: "GET2 / HTTP/1.1\r\n\r\n", want: map[string]string{"Method": "GET2"}},
	{name: "20-char method", in: "ABCDEFGHIJKLMNOPQRST / HTTP/1.1\r\n\r\n", want: map[string]string{"Method": "ABCDEFGHIJKLMNOPQRST"}},
	{name: "21-char method", in: "ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\n\r\n", err: ErrMethod},
	{name: "empty method", in: " / HTTP/1.1\r\n\r\n", err: ErrMethod},
	{name: "leading CRLF", in: "\r\nGET / HTTP/1.1\r\n\r\n", err: ErrMethod},
	{name: "leading LF", in: "\nGET / HTTP/1.1\r\n\r\n", err: ErrMethod},
	{name: "two spaces after method", in: "GET  / HTTP/1.1\r\n\r\n", err: ErrVersion},
	{name: "two spaces before version", in: "GET /  HTTP/1.1\r\n\r\n", err: ErrVersion},
	{name: "tab separator", in: "GET\t/ HTTP/1.1\r\n\r\n", err: ErrMethod},
	{name: "HTTP/1.0", in: "GET / HTTP/1.0\r\n\r\n", want: map[string]string{"Version": "HTTP/1.0", "CloseWanted": "true"}},
	{name: "HTTP/1.2", in: "GET / HTTP/1.2\r\n\r\n", err: ErrVersion},
	{name: "HTTP/2.0", in: "GET / HTTP/2.0\r\n\r\n", err: ErrVersion},
	{name: "lower-case version", in: "GET / http/1.1\r\n\r\n", err: ErrVersion},
	{name: "HTTP/0.9 style", in: "GET /\r\n\r\n", err: ErrTarget},
	{name: "space after version", in: "GET / HTTP/1.1 \r\n\r\n", err: ErrVersion},
	{name: "CR CR LF after version", in: "GET / HTTP/1.1\r\r\n\r\n", err: ErrVersion},

	// §3.1 request target
	{name: "space in target", in: "GET /a b HTTP/1.1\r\n\r\n", err: ErrVersion},
	{name: "braces in target", in: "GET /{} HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "pipe in target", in: "GET /| HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "non-ASCII in target", in: "GET /\xc3\xa9 HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "bad escape", in: "GET /%zz HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "short escape", in: "GET /%4 HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "escape", in: "GET /%4a%4B HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "/%4a%4B"}},
	{name: "caret", in: "GET /^ HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "relaxed caret", in: "GET /^ HTTP/1.1\r\n\r\n", opt: Options{Relaxed: true}, want: map[string]string{"Path": "/^"}},
	{name: "relaxed braces", in: "GET /{a}?{b}#{c} HTTP/1.1\r\n\r\n", opt: Options{Relaxed: true},
		want: map[string]string{"Path": "/{a}", "Query": "{b}", "Fragment": "{c}"}},
	{name: "relaxed still no pipe", in: "GET /| HTTP/1.1\r\n\r\n", opt: Options{Relaxed: true}, err: ErrTarget},
	{name: "quote", in: "GET /\" HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "backslash", in: "GET /\\ HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "backquote", in: "GET /` HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "angle brackets", in: "GET /< HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "control byte", in: "GET /\x01 HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "bracket in path", in: "GET /a[ HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "all allowed bytes", in: "GET /azAZ09-._~!$&'()*+,;=:@/ HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "/azAZ09-._~!$&'()*+,;=:@/"}},
	{name: "star", in: "OPTIONS * HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "*", "URI": "*"}},
	{name: "no leading slash", in: "GET handler HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "handler", "URI": "handler"}},
	{name: "absolute form", in: "GET http://host/x HTTP/1.1\r\nHost: localhost\r\n\r\n", want: map[string]string{
		"Target": "http://host/x", "Path": "//host/x", "URI": "//host/x", "Host": "localhost"}},
	{name: "absolute form with port and query", in: "GET http://h:80?q HTTP/1.1\r\n\r\n", want: map[string]string{
		"Path": "//h:80", "URI": "//h:80?q", "Query": "q"}},
	{name: "absolute form with userinfo", in: "GET https://u:p@h/x HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "//u:p@h/x"}},
	{name: "scheme only", in: "GET http: HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "", "URI": ""}},
	{name: "rootless absolute", in: "GET mailto:x@y HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "x@y"}},
	{name: "scheme chars", in: "GET a+b.c-d:x HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "x"}},
	{name: "colon in first relative segment", in: "GET 1a:b HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "colon after non-scheme char", in: "GET a_b:c HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "colon after escape", in: "GET %41:b HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "colon in later segment", in: "GET x/a:b HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "x/a:b"}},
	{name: "empty target", in: "GET  HTTP/1.1\r\n\r\n", want: map[string]string{"Target": "", "Path": "", "URI": ""}},
	{name: "query only", in: "GET ?x HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "", "URI": "?x", "Query": "x"}},
	{name: "fragment only", in: "GET #f HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "", "URI": "", "Fragment": "f"}},
	{name: "question mark in query", in: "GET /a?b=c?d/e HTTP/1.1\r\n\r\n", want: map[string]string{
		"Path": "/a", "URI": "/a?b=c?d/e", "Query": "b=c?d/e", "Fragment": "<nil>"}},
	{name: "query and fragment", in: "GET /tnet/a/b?x=1&y=%20z#frag HTTP/1.1\r\n\r\n", want: map[string]string{
		"Path": "/tnet/a/b", "URI": "/tnet/a/b?x=1&y=%20z", "Query": "x=1&y=%20z", "Fragment": "frag"}},
	{name: "empty query", in: "GET /a? HTTP/1.1\r\n\r\n", want: map[string]string{"URI": "/a?", "Query": ""}},
	{name: "empty fragment", in: "GET /a# HTTP/1.1\r\n\r\n", want: map[string]string{"URI": "/a", "Fragment": ""}},
	{name: "hash in fragment", in: "GET /a#b#c HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "question mark in fragment", in: "GET /a#b?c HTTP/1.1\r\n\r\n", want: map[string]string{"Fragment": "b?c", "Query": "<nil>"}},
	{name: "dot segments kept", in: "GET /a/../b HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "/a/../b"}},
	{name: "authority with empty port", in: "GET //h:/x HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "//h:/x"}},
	{name: "authority with bad port", in: "GET //h:8a/x HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "authority with two ports", in: "GET //h:80:90/ HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "authority with two @", in: "GET //a@b@c/ HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "escaped userinfo", in: "GET //%41:%42@h/ HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "//%41:%42@h/"}},
	{name: "IPv6 loopback", in: "GET //[::1]:8/ HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "//[::1]:8/"}},
	{name: "IPv6 after userinfo", in: "GET //u@[::1]/ HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "//u@[::1]/"}},
	{name: "IPv4-mapped IPv6", in: "GET //[::ffff:1.2.3.4]/ HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "//[::ffff:1.2.3.4]/"}},
	{name: "IPv6 Mongrel2 rejects", in: "GET //[2001:db8::1]/ HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "IPv6 eight groups", in: "GET //[1:2:3:4:5:6:7:8]/ HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "IPv6 nine groups then ::", in: "GET //[1:2:3:4:5:6:7:8:9::]/ HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "//[1:2:3:4:5:6:7:8:9::]/"}},
	{name: "IPv6 with control byte", in: "GET //[\x061:1:2]/ HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "IPvFuture", in: "GET //[v1.x:y]:80/ HTTP/1.1\r\n\r\n", want: map[string]string{"Path": "//[v1.x:y]:80/"}},
	{name: "IPvFuture upper-case V", in: "GET //[V1.x]/ HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "junk after IP literal", in: "GET //[::1]x/ HTTP/1.1\r\n\r\n", err: ErrTarget},
	{name: "bracket inside host", in: "GET //h[/ HTTP/1.1\r\n\r\n", err: ErrTarget},

	// §3.1 line ends and header lines
	{name: "bare LF everywhere", in: "GET /handler HTTP/1.1\n\n", want: map[string]string{"Path": "/handler"}},
	{name: "mixed line ends", in: "GET / HTTP/1.1\nA: 1\r\nB: 2\n\r\n", want: map[string]string{"Headers": "a: 1|b: 2"}},
	{name: "space before colon", in: "GET / HTTP/1.1\r\nX-Sp : v\r\n\r\n", err: ErrHeaderName},
	{name: "folding with space", in: "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", err: ErrHeaderName},
	{name: "folding with tab", in: "GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n", err: ErrHeaderName},
	{name: "folding in leading white space", in: "GET / HTTP/1.1\r\nX-A:\r\n b\r\n\r\n", err: ErrHeaderName},
	{name: "empty header name", in: "GET / HTTP/1.1\r\n: v\r\n\r\n", err: ErrHeaderName},
	{name: "separator in name", in: "GET / HTTP/1.1\r\nX(: v\r\n\r\n", err: ErrHeaderName},
	{name: "non-ASCII in name", in: "GET / HTTP/1.1\r\nX\xe9: v\r\n\r\n", err: ErrHeaderName},
	{name: "CR in name", in: "GET / HTTP/1.1\r\nX\rY: v\r\n\r\n", err: ErrHeaderName},
	{name: "line without colon", in: "GET / HTTP/1.1\r\nX\r\n\r\n", err: ErrHeaderName},
	{name: "lone CR as blank line", in: "GET / HTTP/1.1\r\nX: a\r\n\rX\r\n\r\n", err: ErrHeaderValue},
	{name: "empty value", in: "GET / HTTP/1.1\r\nX-Empty:\r\n\r\n", want: map[string]string{"Headers": "x-empty: "}},
	{name: "white space only value", in: "GET / HTTP/1.1\r\nX-Empty: \t \r\n\r\n", want: map[string]string{"Headers": "x-empty: "}},
	{name: "value white space", in: "GET / HTTP/1.1\r\nX-A: a\tb \r\nX-B:\t\t x\r\nX:  \t a \t\r\n\r\n",
		want: map[string]string{"Headers": "x-a: a\tb |x-b: x|x: a \t"}},
	{name: "controls and 8-bit in values", in: "GET / HTTP/1.1\r\nX-Tab: a\tb\r\nX-Ctl: \x01\x1b\x0b\r\nX-Hi: \xff\xfe\r\n\r\n",
		want: map[string]string{"Headers": "x-tab: a\tb|x-ctl: \x01\x1b\x0b|x-hi: \xff\xfe"}},
	{name: "colon in value", in: "GET / HTTP/1.1\r\nX: a: b\r\n\r\n", want: map[string]string{"Headers": "x: a: b"}},
	{name: "NUL in value", in: "GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", err: ErrHeaderValue},
	{name: "DEL in value", in: "GET / HTTP/1.1\r\nX: a\x7fb\r\n\r\n", err: ErrHeaderValue},
	{name: "bare CR in value", in: "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", err: ErrHeaderValue},
	{name: "names lower-cased", in: "GET / HTTP/1.1\r\nContent-Type: a\r\ncontent-type: b\r\nCONTENT-TYPE: c\r\nUser-Agent: t\r\n\r\n",
		want: map[string]string{"Headers": "content-type: a|content-type: b|content-type: c|user-agent: t"}},
	{name: "token characters in name", in: "GET / HTTP/1.1\r\n!#$%&'*+-.^_`|~09Az: v\r\n\r\n", want: map[string]string{"Headers": "!#$%&'*+-.^_`|~09az: v"}},
	{name: "five values kept", in: "GET / HTTP/1.1\r\nX-Dup: 0\r\nX-Dup: 1\r\nA: a\r\nX-Dup: 2\r\nX-Dup: 3\r\nX-Dup: 4\r\nX-Dup: 5\r\nX-Dup: 6\r\nB: b\r\n\r\n",
		want: map[string]string{"Headers": "x-dup: 0|x-dup: 1|a: a|x-dup: 2|x-dup: 3|x-dup: 4|b: b"}},
	{name: "first host wins", in: "GET / HTTP/1.1\r\nHost: localhost\r\nHost: second\r\n\r\n",
		want: map[string]string{"Host": "localhost", "HostName": "localhost", "Headers": "host: localhost|host: second"}},

	// §3.6 host name
	{name: "host with port", in: "GET / HTTP/1.1\r\nHost: localhost:18080\r\n\r\n", want: map[string]string{"Host": "localhost:18080", "HostName": "localhost"}},
	{name: "IPv6 host", in: "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", want: map[string]string{"Host": "[::1]:80", "HostName": "["}},
	{name: "host colon first", in: "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", want: map[string]string{"Host": ":80", "HostName": ":80"}},
	{name: "empty host", in: "GET / HTTP/1.1\r\nHost:\r\n\r\n", want: map[string]string{"Host": "", "HostName": ""}},
	{name: "host case kept", in: "GET / HTTP/1.1\r\nHOST: EXAMPLE.COM\r\n\r\n", want: map[string]string{"HostName": "EXAMPLE.COM"}},

	// §3.3 body framing
	{name: "content-length", in: "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", want: map[string]string{"ContentLength": "11", "Body": "length"}},
	{name: "content-length zero", in: "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", want: map[string]string{"ContentLength": "0", "Body": "none"}},
	{name: "content-length trailing garbage", in: "POST / HTTP/1.1\r\nContent-Length: 5abc\r\n\r\n", want: map[string]string{"ContentLength": "5", "Body": "length"}},
	{name: "content-length not numeric", in: "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", want: map[string]string{"ContentLength": "0", "Body": "none"}},
	{name: "content-length negative", in: "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", want: map[string]string{"ContentLength": "0", "Body": "none"}},
	{name: "content-length first value", in: "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 9\r\n\r\n", want: map[string]string{"ContentLength": "3"}},
	{name: "chunked", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", want: map[string]string{"Body": "chunked", "ContentLength": "0"}},
	{name: "chunked any case", in: "POST / HTTP/1.1\r\nTransfer-Encoding:  Chunked \r\n\r\n", want: map[string]string{"Body": "chunked"}},
	{name: "chunked last coding", in: "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", want: map[string]string{"Body": "chunked"}},
	{name: "chunked over two lines", in: "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", want: map[string]string{"Body": "chunked"}},
	{name: "chunked with empty elements", in: "POST / HTTP/1.1\r\nTransfer-Encoding: , chunked ,\r\n\r\n", want: map[string]string{"Body": "chunked"}},
	{name: "not chunked", in: "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", err: ErrTransferEncoding},
	{name: "chunked not last", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", err: ErrTransferEncoding},
	{name: "chunked then another line", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", err: ErrTransferEncoding},
	{name: "chunked twice", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", err: ErrTransferEncoding},
	{name: "empty transfer-encoding", in: "POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", err: ErrTransferEncoding},
	{name: "chunked with content-length", in: "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", err: ErrTransferEncoding},
	{name: "chunked with zero content-length", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", err: ErrTransferEncoding},
	{name: "chunked with bogus content-length", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: abc\r\n\r\n", err: ErrTransferEncoding},
	{name: "expect", in: "POST / HTTP/1.1\r\nExpect: 100-continue\r\nExpect: x\r\n\r\n", want: map[string]string{"Expect": "100-continue"}},
	{name: "empty expect", in: "POST / HTTP/1.1\r\nExpect:\r\n\r\n", want: map[string]string{"Expect": ""}},

	// §3.4 close-wanted
	{name: "1.1 keep-alive", in: "GET / HTTP/1.1\r\n\r\n", want: map[string]string{"CloseWanted": "false"}},
	{name: "1.0 keep-alive still closes", in: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", want: map[string]string{"CloseWanted": "true"}},
	{name: "connection close", in: "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", want: map[string]string{"CloseWanted": "true"}},
	{name: "connection CLOSE", in: "GET / HTTP/1.1\r\nConnection: CLOSE\r\n\r\n", want: map[string]string{"CloseWanted": "true"}},
	{name: "connection close list", in: "GET / HTTP/1.1\r\nConnection: close, TE\r\n\r\n", want: map[string]string{"CloseWanted": "false"}},
	{name: "second connection value ignored", in: "GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", want: map[string]string{"CloseWanted": "false"}},

	// §2.7 socket messages
	{name: "JSON message", in: "@chat {\"msg\":\"hello\"}\x00", want: map[string]string{
		"Kind": "JSON", "Path": "@chat", "MsgBody": "{\"msg\":\"hello\"}", "Method": "<nil>", "URI": "<nil>", "Headers": ""}},
	{name: "JSON empty path", in: "@ {}\x00", want: map[string]string{"Path": "@", "MsgBody": "{}"}},
	{name: "JSON path with slashes", in: "@//h/x {}\x00", want: map[string]string{"Path": "@//h/x"}},
	{name: "JSON braces inside", in: "@chat {a}x}\x00", want: map[string]string{"MsgBody": "{a}x}"}},
	{name: "JSON NUL inside", in: "@chat {a\x00b}\x00", want: map[string]string{"MsgBody": "{a\x00b}"}},
	{name: "JSON stops at first brace NUL", in: "@chat {a}\x00{b}\x00", want: map[string]string{"n": "10", "MsgBody": "{a}"}},
	{name: "JSON query", in: "@chat?x {}\x00", err: ErrMessage},
	{name: "JSON fragment", in: "@chat#x {}\x00", err: ErrMessage},
	{name: "JSON colon in first segment", in: "@chat:x {}\x00", err: ErrMessage},
	{name: "JSON no space", in: "@chat{}\x00", err: ErrMessage},
	{name: "JSON two spaces", in: "@chat  {}\x00", err: ErrMessage},
	{name: "JSON not an object", in: "@chat [}\x00", err: ErrMessage},
	{name: "JSON relaxed path", in: "@a^ {}\x00", opt: Options{Relaxed: true}, want: map[string]string{"Path": "@a^"}},
	{name: "XML message", in: "<test>hi</test>\x00", want: map[string]string{
		"Kind": "XML", "Path": "<test", "MsgBody": "<test>hi</test>", "Method": "<nil>"}},
	{name: "XML policy request", in: "<policy-file-request/>\x00", want: map[string]string{
		"Path": "<policy-file-request", "MsgBody": "<policy-file-request/>"}},
	{name: "XML tag alphabet", in: "<te.st-1 x=\"1\"/>\x00", want: map[string]string{"Path": "<te.st-1"}},
	{name: "XML tab after tag", in: "<test\tx>\x00", want: map[string]string{"Path": "<test", "MsgBody": "<test\tx>"}},
	{name: "XML LF after tag", in: "<test\nx>\x00", want: map[string]string{"Path": "<test"}},
	{name: "XML NUL inside", in: "<a b>c\x00d>\x00", want: map[string]string{"Path": "<a", "MsgBody": "<a b>c\x00d>"}},
	{name: "XML empty tag", in: "<>\x00", err: ErrMessage},
	{name: "XML bad tag char", in: "<a_b/>\x00", err: ErrMessage},

	// pipelining: only the first request is consumed
	{name: "pipelined", in: "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", want: map[string]string{"n": "19", "Path": "/a"}},
	{name: "body after head", in: "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", want: map[string]string{"n": "38", "Body": "length"}},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			orig := bytes.Clone(in)
			var r Request
			n, err := r.Parse(in, tc.opt)
			if !bytes.Equal(in, orig) {
				t.Fatalf("Parse modified its input: %q", in)
			}
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !errors.Is(err, ErrBadRequest) || n != 0 {
					t.Fatalf("Parse(%q) = %d, %v; want 0, %v", tc.in, n, err, tc.err)
				}
				return
			}
			if err != nil || n == 0 {
				t.Fatalf("Parse(%q) = %d, %v; want success", tc.in, n, err)
			}
			got := view(&r, n)
			want := map[string]string{"n": strconv.Itoa(len(tc.in))}
			for k, v := range tc.want {
				want[k] = v
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestParsePrefixes checks that every proper prefix of a valid request asks
// for more bytes, and that every invalid request fails at some prefix and
// from then on.
func TestParsePrefixes(t *testing.T) {
	var r Request
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			n, err := r.Parse(in, tc.opt)
			if err == nil {
				for k := range n {
					if m, err := r.Parse(in[:k], tc.opt); m != 0 || err != nil {
						t.Fatalf("Parse(%q) = %d, %v; want 0, nil", in[:k], m, err)
					}
				}
				return
			}
			failed := false
			for k := 0; k <= len(in); k++ {
				m, err := r.Parse(in[:k], tc.opt)
				if m != 0 {
					t.Fatalf("Parse(%q) = %d; want 0", in[:k], m)
				}
				if failed && err == nil {
					t.Fatalf("Parse(%q) succeeded after a shorter prefix failed", in[:k])
				}
				failed = err != nil
			}
		})
	}
}

// TestParseFailsAtBadByte checks that an invalid byte is reported as soon as
// it is in the buffer. Each input ends with the byte that makes it invalid;
// without that byte it must still ask for more.
func TestParseFailsAtBadByte(t *testing.T) {
	cases := []struct {
		in  string
		err error
	}{
		{"g", ErrMethod},
		{"GET-", ErrMethod},
		{"ABCDEFGHIJKLMNOPQRSTU", ErrMethod},
		{"\r", ErrMethod},
		{" ", ErrMethod},
		{"GET /a|", ErrTarget},
		{"GET /%z", ErrTarget},
		{"GET /%4g", ErrTarget},
		{"GET /a#b#", ErrTarget},
		{"GET 1a:", ErrTarget},
		{"GET //h:8a/", ErrTarget},
		{"GET //h:80:9/", ErrTarget},
		{"GET //a@b@", ErrTarget},
		{"GET //[g", ErrTarget},
		{"GET //[1::", ErrTarget},
		{"GET //[::1:2:3:", ErrTarget},
		{"GET //[::01.", ErrTarget},
		{"GET //[::1.2.3.4.", ErrTarget},
		{"GET //[::256.", ErrTarget},
		{"GET //[1:2:3:4::1.", ErrTarget},
		{"GET //[v.", ErrTarget},
		{"GET //[vx", ErrTarget},
		{"GET //[::1]x", ErrTarget},
		{"GET / h", ErrVersion},
		{"GET / HTTP/1.2", ErrVersion},
		{"GET / HTTP/1.1x", ErrVersion},
		{"GET / HTTP/1.1\rx", ErrVersion},
		{"GET / HTTP/1.1\r\n ", ErrHeaderName},
		{"GET / HTTP/1.1\r\nX ", ErrHeaderName},
		{"GET / HTTP/1.1\r\n:", ErrHeaderName},
		{"GET / HTTP/1.1\r\nX\r", ErrHeaderName},
		{"GET / HTTP/1.1\r\nX: a\x00", ErrHeaderValue},
		{"GET / HTTP/1.1\r\nX: a\x7f", ErrHeaderValue},
		{"GET / HTTP/1.1\r\nX: a\rb", ErrHeaderValue},
		{"GET / HTTP/1.1\r\nX: a\r\n\rb", ErrHeaderValue},
		{"GET / HTTP/1.1\r\nX: a\r\n\t", ErrHeaderName},
		{"@chat?", ErrMessage},
		{"@chat:", ErrMessage},
		{"@chat x", ErrMessage},
		{"<>", ErrMessage},
		{"<a_", ErrMessage},
	}
	var r Request
	for _, tc := range cases {
		in := []byte(tc.in)
		if n, err := r.Parse(in[:len(in)-1], Options{}); n != 0 || err != nil {
			t.Errorf("Parse(%q) = %d, %v; want 0, nil", in[:len(in)-1], n, err)
		}
		if n, err := r.Parse(in, Options{}); n != 0 || !errors.Is(err, tc.err) {
			t.Errorf("Parse(%q) = %d, %v; want 0, %v", in, n, err, tc.err)
		}
	}
}

func TestParseIncomplete(t *testing.T) {
	for _, in := range []string{
		"",
		"GET / HTTP/1.1\r\n",
		"GET / HTTP/1.1\r\nX: a\r\n\r",
		"GET / HTTP/1.1\r\nX: a\r",
		"@chat {\"a\":1} \x00", // the NUL must follow a '}'
		"@chat {\"a\":1}",      // no NUL yet
		"<test>\x00",           // the '>' ending the tag is not the final one
		"<test/>",              // no NUL yet
		"@chat {a\x00",         // a NUL without '}' is body
		"GET //[::1",           // inside an IP literal
		"GET //[1:2:3:4:5:6:7", // more groups and "::" may follow
		"GET //[::1.2",         // an IPv4 tail in progress
	} {
		var r Request
		if n, err := r.Parse([]byte(in), Options{}); n != 0 || err != nil {
			t.Errorf("Parse(%q) = %d, %v; want 0, nil", in, n, err)
		}
	}
}

func TestMaxHeaders(t *testing.T) {
	head := func(names int, extra string) []byte {
		var b bytes.Buffer
		b.WriteString("GET / HTTP/1.1\r\n")
		for i := range names {
			fmt.Fprintf(&b, "H%d: %d\r\n", i, i)
		}
		b.WriteString(extra)
		b.WriteString("\r\n")
		return b.Bytes()
	}
	t.Run("custom cap", func(t *testing.T) {
		var r Request
		in := head(4, "H0: again\r\nHost: late\r\nContent-Length: 7\r\n")
		n, err := r.Parse(in, Options{MaxHeaders: 3})
		if n != len(in) || err != nil {
			t.Fatalf("Parse = %d, %v", n, err)
		}
		got := view(&r, n)
		if want := "h0: 0|h1: 1|h2: 2|h0: again"; got["Headers"] != want {
			t.Errorf("Headers = %q, want %q", got["Headers"], want)
		}
		if r.Host != nil {
			t.Errorf("Host = %q from a dropped header, want nil", r.Host)
		}
		// Framing does not depend on the caps.
		if r.ContentLength != 7 || r.Body != BodyLength {
			t.Errorf("ContentLength, Body = %d, %v; want 7, length", r.ContentLength, r.Body)
		}
	})
	t.Run("default 1280", func(t *testing.T) {
		var r Request
		in := head(1300, "")
		n, err := r.Parse(in, Options{MaxHeadBytes: 1 << 20})
		if n != len(in) || err != nil {
			t.Fatalf("Parse = %d, %v", n, err)
		}
		if len(r.Headers) != DefaultMaxHeaders {
			t.Fatalf("kept %d headers, want %d", len(r.Headers), DefaultMaxHeaders)
		}
		if last := r.Headers[len(r.Headers)-1]; string(last.Name) != "h1279" {
			t.Errorf("last kept header %q, want h1279", last.Name)
		}
	})
	t.Run("dropped transfer-encoding still counts", func(t *testing.T) {
		var r Request
		in := head(3, "Transfer-Encoding: gzip\r\n")
		if _, err := r.Parse(in, Options{MaxHeaders: 3}); !errors.Is(err, ErrTransferEncoding) {
			t.Errorf("err = %v, want ErrTransferEncoding", err)
		}
	})
	t.Run("dropped values still count", func(t *testing.T) {
		var r Request
		in := head(0, strings.Repeat("Transfer-Encoding: gzip\r\n", MaxValuesPerName)+"Transfer-Encoding: chunked\r\n")
		if _, err := r.Parse(in, Options{}); err != nil {
			t.Fatal(err)
		}
		if len(r.Headers) != MaxValuesPerName || r.Body != BodyChunked {
			t.Errorf("kept %d headers, body %v; want %d, chunked", len(r.Headers), r.Body, MaxValuesPerName)
		}
	})
}

func TestMaxHeadBytes(t *testing.T) {
	// A head of exactly limits.buffer_size bytes is fine, one more is not
	// (observed: 4096 bytes OK, 4097 → 400).
	mk := func(size int) []byte {
		const pre, post = "GET / HTTP/1.1\r\nX: ", "\r\n\r\n"
		return []byte(pre + strings.Repeat("a", size-len(pre)-len(post)) + post)
	}
	var r Request
	for _, tc := range []struct {
		in   []byte
		opt  Options
		n    int
		err  error
		name string
	}{
		{name: "4096", in: mk(4096), n: 4096},
		{name: "4097", in: mk(4097), err: ErrHeadTooLarge},
		{name: "4096 prefix", in: mk(4097)[:4096], err: ErrHeadTooLarge},
		{name: "4095 prefix", in: mk(4097)[:4095]},
		{name: "4096 and more bytes", in: append(mk(4096), "GET"...), n: 4096},
		{name: "custom limit", in: mk(100), opt: Options{MaxHeadBytes: 99}, err: ErrHeadTooLarge},
		{name: "JSON 4096", in: []byte("@chat {" + strings.Repeat("a", 4087) + "}\x00"), n: 4096},
		{name: "JSON 4097", in: []byte("@chat {" + strings.Repeat("a", 4088) + "}\x00"), err: ErrHeadTooLarge},
	} {
		n, err := r.Parse(tc.in, tc.opt)
		if n != tc.n || !errors.Is(err, tc.err) || (err != nil) != (tc.err != nil) {
			t.Errorf("%s: Parse = %d, %v; want %d, %v", tc.name, n, err, tc.n, tc.err)
		}
		if err != nil && !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v does not match ErrBadRequest", tc.name, err)
		}
	}
}

func TestParseContentLength(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "5": 5, "  7": 7, "\v\f8": 8, "+9": 9, "-5": 0, "-0": 0, "5abc": 5, "abc": 0, "": 0,
		"0005": 5, "2147483647": 2147483647, "2147483648": 0, "99999999999999999999999": 0,
		"12 34": 12, "+-1": 0, "0x10": 0,
	} {
		if got := parseContentLength([]byte(in)); got != want {
			t.Errorf("parseContentLength(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestReuse checks that nothing of an earlier request survives into the
// next one parsed with the same Request.
func TestReuse(t *testing.T) {
	var r Request
	first := "POST /a?q#f HTTP/1.0\r\nHost: h:1\r\nExpect: 100-continue\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nX: 1\r\n\r\n"
	if _, err := r.Parse([]byte(first), Options{}); err != nil {
		t.Fatal(err)
	}
	in := []byte("GET /b HTTP/1.1\r\nx: 2\r\n\r\n")
	n, err := r.Parse(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"n": strconv.Itoa(len(in)), "Method": "GET", "Path": "/b", "Query": "<nil>", "Fragment": "<nil>",
		"Headers": "x: 2", "Host": "<nil>", "HostName": "<nil>", "Expect": "<nil>", "Body": "none",
		"CloseWanted": "false", "ContentLength": "0",
	}
	got := view(&r, n)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	r.Reset()
	if r.Path != nil || len(r.Headers) != 0 || r.Kind != KindHTTP {
		t.Errorf("Reset left %+v", r)
	}
}

// TestHeaderNameIsolation checks that header names do not alias the input
// and cannot be grown into each other.
func TestHeaderNameIsolation(t *testing.T) {
	var r Request
	in := []byte("GET / HTTP/1.1\r\nAb: 1\r\nCd: 2\r\nAB: 3\r\n\r\n")
	if _, err := r.Parse(in, Options{}); err != nil {
		t.Fatal(err)
	}
	if cap(r.Headers[0].Name) != len(r.Headers[0].Name) {
		t.Errorf("Name has spare capacity %d", cap(r.Headers[0].Name))
	}
	if &r.Headers[0].Name[0] != &r.Headers[2].Name[0] {
		t.Errorf("repeated name %q not shared", r.Headers[2].Name)
	}
	if string(in) != "GET / HTTP/1.1\r\nAb: 1\r\nCd: 2\r\nAB: 3\r\n\r\n" {
		t.Errorf("input modified: %q", in)
	}
}

func TestGetAndPolicy(t *testing.T) {
	var r Request
	if _, err := r.Parse([]byte("GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\nY:\r\n\r\n"), Options{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{{"x-a", "1", true}, {"y", "", true}, {"z", "", false}, {"X-A", "", false}} {
		v, ok := r.Get(tc.name)
		if string(v) != tc.want || ok != tc.ok {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", tc.name, v, ok, tc.want, tc.ok)
		}
	}
	if r.IsPolicyRequest() {
		t.Error("HTTP request is a policy request")
	}
	for in, want := range map[string]bool{
		"<policy-file-request/>\x00":  true,
		"<policy-file-request >\x00":  true,
		"<policy-file-requests/>\x00": false,
		"@policy-file-request {}\x00": false,
	} {
		if _, err := r.Parse([]byte(in), Options{}); err != nil {
			t.Fatal(err)
		}
		if r.IsPolicyRequest() != want {
			t.Errorf("IsPolicyRequest(%q) = %v, want %v", in, !want, want)
		}
	}
}

func TestKindStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{KindHTTP.String(), "HTTP"}, {KindJSON.String(), "JSON"}, {KindXML.String(), "XML"}, {Kind(9).String(), "Kind(?)"},
		{BodyNone.String(), "none"}, {BodyLength.String(), "length"}, {BodyChunked.String(), "chunked"}, {BodyKind(9).String(), "BodyKind(?)"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestResetReleasesLargeScratch checks that a head with very many headers
// does not leave its scratch space behind, while ordinary ones keep theirs.
func TestResetReleasesLargeScratch(t *testing.T) {
	var r Request
	in := []byte("GET / HTTP/1.1\r\n" + strings.Repeat("a: 1\r\n", 3) + "\r\n")
	if _, err := r.Parse(in, Options{}); err != nil {
		t.Fatal(err)
	}
	r.Reset()
	if cap(r.Headers) == 0 || len(r.table) == 0 {
		t.Errorf("small scratch released: cap %d, table %d", cap(r.Headers), len(r.table))
	}
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "%x:\n", i)
	}
	b.WriteString("\n")
	if _, err := r.Parse([]byte(b.String()), Options{MaxHeadBytes: 1 << 16}); err != nil || len(r.Headers) != 1000 {
		t.Fatalf("Parse: %v, %d headers", err, len(r.Headers))
	}
	r.Reset()
	if cap(r.Headers) != 0 || r.table != nil || r.distinct != nil || r.names != nil {
		t.Errorf("large scratch kept: cap %d, table %d", cap(r.Headers), len(r.table))
	}
}

// TestParseAllocs checks the steady state allocates nothing, also for a
// head with repeated names and the derived values.
func TestParseAllocs(t *testing.T) {
	in := []byte("POST /a?b#c HTTP/1.1\r\nHost: h:1\r\nX: 1\r\nx: 2\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n")
	var r Request
	if _, err := r.Parse(in, Options{}); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(100, func() { _, _ = r.Parse(in, Options{}) }); a != 0 {
		t.Errorf("%v allocations per Parse, want 0", a)
	}
	bad := []byte("GET /| HTTP/1.1\r\n\r\n")
	if a := testing.AllocsPerRun(100, func() { _, _ = r.Parse(bad, Options{}) }); a != 0 {
		t.Errorf("%v allocations per rejected Parse, want 0", a)
	}
}
