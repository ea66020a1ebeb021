package static

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/http1"
)

// Expected header for a 200 from the test tree, with testNow as Date.
func ok200(ctype string, size int) string {
	return "HTTP/1.1 200 OK\r\nDate: Fri, 27 Nov 2026 14:36:19 GMT\r\nContent-Type: " + ctype +
		"\r\nContent-Length: " + fmt.Sprint(size) +
		"\r\nLast-Modified: Fri, 27 Nov 2026 14:34:09 GMT\r\nETag: 6b0994e1-" + fmt.Sprintf("%x", size) +
		"\r\nServer: Mongrel2/1.12.2\r\n\r\n"
}

const (
	wire304 = "HTTP/1.1 304 Not Modified\r\nConnection: close\r\nContent-Length: 0\r\nServer: Mongrel2/1.12.2\r\n\r\n"
	wire404 = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 9\r\nServer: Mongrel2/1.12.2\r\n\r\nNot Found"
	wire405 = "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 18\r\nServer: Mongrel2/1.12.2\r\n\r\nMethod Not Allowed"
	wire412 = "HTTP/1.1 412 Precondition Failed\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 19\r\nServer: Mongrel2/1.12.2\r\n\r\nPrecondition Failed"
)

func wire301(loc string) string {
	return "HTTP/1.1 301 Moved Permanently\r\nLocation: " + loc + "\r\nContent-Length: 0\r\nServer: Mongrel2/1.12.2\r\n\r\n"
}

// serveCase is one request to a Dir and what must come back. The same
// table drives the comparison with the real Mongrel2 (differential_test.go):
// deviation names the cases where the answer differs on purpose.
type serveCase struct {
	name   string
	prefix string // route prefix the request is routed to
	raw    string // request head
	want   string // exact response bytes (Date fixed to testNow)
	result Result
	// deviation, when set, says why the real Mongrel2 answers differently.
	deviation string
}

func get(path string, headers ...string) string {
	return "GET " + path + " HTTP/1.1\r\n" + joinHeaders(headers) + "\r\n"
}

func joinHeaders(h []string) string {
	var b strings.Builder
	for _, x := range h {
		b.WriteString(x + "\r\n")
	}
	return b.String()
}

var (
	keep200 = func(size int64) Result { return Result{Status: 200, Size: size, Log: true} }
	keep304 = Result{Status: 304, Log: true}
	keep404 = Result{Status: 404, Log: true}
	keep412 = Result{Status: 412, Log: true}
	keep301 = Result{Status: 301, Log: true}
)

const (
	etagData  = "6b0994e1-c" // data.txt
	dateFile  = "Fri, 27 Nov 2026 14:34:09 GMT"
	dateOlder = "Thu, 26 Nov 2026 14:34:09 GMT"
	dateLater = "Fri, 27 Nov 2037 14:34:09 GMT" // in the future, still a 32-bit time_t
	date2099  = "Fri, 27 Nov 2099 14:34:09 GMT" // past 2038
)

func serveCases() []serveCase {
	hello := "hello world\n"
	index := "<h1>hi</h1>\n"
	big := strings.Repeat("0123456789", bigSize/10)
	return []serveCase{
		{name: "file", prefix: "/", raw: get("/data.txt"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "head", prefix: "/", raw: "HEAD /data.txt HTTP/1.1\r\n\r\n", want: ok200("text/plain", 12), result: keep200(0)},
		{name: "http10 closes", prefix: "/", raw: "GET /data.txt HTTP/1.0\r\n\r\n", want: ok200("text/plain", 12) + hello,
			result: Result{Status: 200, Size: 12, Close: true, Log: true}},
		{name: "connection close", prefix: "/", raw: get("/data.txt", "Connection: close"), want: ok200("text/plain", 12) + hello,
			result: Result{Status: 200, Size: 12, Close: true, Log: true}},
		{name: "connection close list keeps", prefix: "/", raw: get("/data.txt", "Connection: close, TE"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "index for slash", prefix: "/", raw: get("/"), want: ok200("text/html", 12) + index, result: keep200(12)},
		{name: "index in subdir", prefix: "/", raw: get("/sub/"), want: ok200("text/html", 10) + "sub index\n", result: keep200(10)},
		{name: "subdir without index", prefix: "/", raw: get("/noindex/"), want: wire404, result: keep404},
		{name: "file in subdir without index", prefix: "/", raw: get("/noindex/file.css"), want: ok200("text/css", 4) + "b{}\n", result: keep200(4)},
		{name: "redirect no host", prefix: "/", raw: get("/sub"), want: wire301("//(null)/sub/"), result: keep301},
		{name: "redirect host and query", prefix: "/", raw: get("/sub?a=b", "Host: localhost:18080"), want: wire301("//localhost:18080/sub?a=b/"), result: keep301},
		{name: "redirect first host", prefix: "/", raw: get("/noindex", "Host: one", "Host: two"), want: wire301("//one/noindex/"), result: keep301},
		{name: "redirect http10", prefix: "/", raw: "GET /sub HTTP/1.0\r\n\r\n", want: wire301("//(null)/sub/"), result: Result{Status: 301, Close: true, Log: true}},
		{name: "redirect head", prefix: "/", raw: "HEAD /sub HTTP/1.1\r\nHost: h\r\n\r\n", want: wire301("//h/sub/"), result: keep301},
		{name: "redirect drops fragment", prefix: "/", raw: get("/sub?q#frag"), want: wire301("//(null)/sub?q/"), result: keep301},
		{name: "redirect empty host", prefix: "/", raw: get("/sub", "Host:"), want: wire301("///sub/"), result: keep301},
		{name: "redirect dot", prefix: "/", raw: get("/."), want: wire301("//(null)/./"), result: keep301},
		{name: "redirect dotdot to base", prefix: "/", raw: get("/sub/.."), want: wire301("//(null)/sub/../"), result: keep301},
		{name: "missing", prefix: "/", raw: get("/nope.txt"), want: wire404, result: keep404},
		{name: "missing http10", prefix: "/", raw: "GET /nope.txt HTTP/1.0\r\n\r\n", want: wire404, result: Result{Status: 404, Close: true, Log: true}},
		{name: "post", prefix: "/", raw: "POST /data.txt HTTP/1.1\r\nContent-Length: 0\r\n\r\n", want: wire405, result: Result{Status: 405, Close: true}},
		{name: "put", prefix: "/", raw: "PUT /data.txt HTTP/1.1\r\n\r\n", want: wire405, result: Result{Status: 405, Close: true}},
		{name: "options", prefix: "/", raw: "OPTIONS /data.txt HTTP/1.1\r\n\r\n", want: wire405, result: Result{Status: 405, Close: true}},
		{name: "path shorter than prefix", prefix: "/pre/", raw: get("/pre"), want: wire404, result: Result{Status: 404, Close: true}},
		{name: "prefix index", prefix: "/pre/", raw: get("/pre/"), want: ok200("text/html", 12) + index, result: keep200(12)},
		{name: "prefix file", prefix: "/pre/", raw: get("/pre/data.txt"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "prefix subdir redirect", prefix: "/pre/", raw: get("/pre/sub", "Host: h"), want: wire301("//h/pre/sub/"), result: keep301},
		{name: "route equal to path", prefix: "/exact.txt", raw: get("/exact.txt"), want: ok200("text/plain", 6) + "exact\n", result: keep200(6)},
		{name: "route equal prefix, more path", prefix: "/exact.txt", raw: get("/exact.txtdata.txt"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "dotdot inside", prefix: "/", raw: get("/sub/../data.txt"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "encoded dotdot inside", prefix: "/", raw: get("/sub/%2e%2e/data.txt"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "dotdot out", prefix: "/", raw: get("/../outside/o.txt"), want: wire404, result: keep404},
		{name: "encoded dotdot out", prefix: "/", raw: get("/%2e%2e/outside/o.txt"), want: wire404, result: keep404},
		{name: "sibling traversal", prefix: "/", raw: get("/../static2/secret.txt"), want: wire404, result: keep404,
			deviation: "spec §14.2 item 1: Mongrel2 serves the sibling directory static2 (prefix compare without '/')"},
		{name: "encoded sibling traversal", prefix: "/", raw: get("/%2e%2e/static2/secret.txt"), want: wire404, result: keep404,
			deviation: "spec §14.2 item 1"},
		{name: "prefix sibling traversal", prefix: "/pre/", raw: get("/pre/../static2/secret.txt"), want: wire404, result: keep404,
			deviation: "spec §14.2 item 1"},
		{name: "symlink into sibling", prefix: "/", raw: get("/sib.txt"), want: wire404, result: keep404,
			deviation: "spec §14.2 item 1: the resolved name is in static2"},
		{name: "symlink out", prefix: "/", raw: get("/link.txt"), want: wire404, result: keep404},
		{name: "symlink inside", prefix: "/", raw: get("/inlink.txt"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "space escape", prefix: "/", raw: get("/a%20b.txt"), want: ok200("text/plain", 6) + "space\n", result: keep200(6)},
		{name: "literal percent name", prefix: "/", raw: get("/x%2520y.txt"), want: ok200("text/plain", 8) + "percent\n", result: keep200(8)},
		{name: "undecoded percent name", prefix: "/", raw: get("/x%20y.txt"), want: wire404, result: keep404},
		{name: "utf8 name", prefix: "/", raw: get("/%C3%A9.txt"), want: ok200("text/plain", 5) + "utf8\n", result: keep200(5)},
		{name: "utf8 name lower-case escape", prefix: "/", raw: get("/%c3%a9.txt"), want: ok200("text/plain", 5) + "utf8\n", result: keep200(5)},
		{name: "plus not decoded", prefix: "/", raw: get("/a+b.txt"), want: wire404, result: keep404},
		{name: "file with slash", prefix: "/", raw: get("/data.txt/"), want: wire404, result: keep404},
		{name: "file then dotdot", prefix: "/", raw: get("/data.txt/../data.txt"), want: wire404, result: keep404},
		{name: "nul byte", prefix: "/", raw: get("/data.txt%00.html"), want: wire404, result: keep404,
			deviation: "Mongrel2 truncates the name at the decoded NUL and serves data.txt"},
		{name: "fragment ignored", prefix: "/", raw: get("/data.txt#top"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "absolute form", prefix: "/", raw: get("http://localhost/data.txt"), want: wire404, result: keep404},
		{name: "query ignored", prefix: "/", raw: get("/data.txt?x=1"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "range ignored", prefix: "/", raw: get("/data.txt", "Range: bytes=0-1"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "upper-case extension", prefix: "/", raw: get("/page.HTML"), want: ok200("text/html", 13) + "<p>upper</p>\n", result: keep200(13)},
		{name: "longest extension", prefix: "/", raw: get("/arch.tar.gz"), want: ok200("application/x-tgz", 11) + "not really\n", result: keep200(11)},
		{name: "default type", prefix: "/", raw: get("/noext"), want: ok200("application/octet-stream", 6) + "plain\n", result: keep200(6)},
		{name: "big file", prefix: "/", raw: get("/big.bin"), want: ok200("application/octet-stream", bigSize) + big, result: keep200(bigSize)},
		{name: "big file head", prefix: "/", raw: "HEAD /big.bin HTTP/1.1\r\n\r\n", want: ok200("application/octet-stream", bigSize), result: keep200(0)},

		// Conditional requests, spec §5 order.
		{name: "inm bare etag", prefix: "/", raw: get("/data.txt", "If-None-Match: "+etagData), want: wire304, result: keep304},
		{name: "inm star", prefix: "/", raw: get("/data.txt", "If-None-Match: *"), want: wire304, result: keep304},
		{name: "inm other", prefix: "/", raw: get("/data.txt", "If-None-Match: 6b0994e1-d"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "inm quoted", prefix: "/", raw: get("/data.txt", `If-None-Match: "`+etagData+`"`), want: wire304, result: keep304,
			deviation: "spec §14.2 item 7: Mongrel2 compares raw strings, a quoted ETag never matches"},
		{name: "inm list", prefix: "/", raw: get("/data.txt", `If-None-Match: "x", "`+etagData+`"`), want: wire304, result: keep304,
			deviation: "spec §14.2 item 7: lists are not split by Mongrel2"},
		{name: "inm weak", prefix: "/", raw: get("/data.txt", `If-None-Match: W/"`+etagData+`"`), want: wire304, result: keep304,
			deviation: "spec §14.2 item 7: weak comparison"},
		{name: "inm comma inside quotes", prefix: "/", raw: get("/data.txt", `If-None-Match: "a, `+etagData+`"`), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "inm miss then ims", prefix: "/", raw: get("/data.txt", "If-None-Match: nope", "If-Modified-Since: "+dateFile), want: wire304, result: keep304},
		{name: "inm miss ims older", prefix: "/", raw: get("/data.txt", "If-None-Match: nope", "If-Modified-Since: "+dateOlder), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "ims equal", prefix: "/", raw: get("/data.txt", "If-Modified-Since: "+dateFile), want: wire304, result: keep304},
		{name: "ims http10", prefix: "/", raw: "GET /data.txt HTTP/1.0\r\nIf-Modified-Since: " + dateFile + "\r\n\r\n", want: wire304, result: Result{Status: 304, Close: true, Log: true}},
		{name: "ims older", prefix: "/", raw: get("/data.txt", "If-Modified-Since: "+dateOlder), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "ims future", prefix: "/", raw: get("/data.txt", "If-Modified-Since: "+dateLater), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "ims past 2038", prefix: "/", raw: get("/data.txt", "If-Modified-Since: "+date2099), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "ims long names", prefix: "/", raw: get("/data.txt", "If-Modified-Since: friday, 27 november 2026 14:34:09 GMT"), want: wire304, result: keep304},
		{name: "ims garbage", prefix: "/", raw: get("/data.txt", "If-Modified-Since: yesterday"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "ims wrong zone", prefix: "/", raw: get("/data.txt", "If-Modified-Since: Fri, 27 Nov 2026 14:34:09 UTC"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "ius older", prefix: "/", raw: get("/data.txt", "If-Unmodified-Since: "+dateOlder), want: wire412, result: keep412},
		{name: "ius equal alone", prefix: "/", raw: get("/data.txt", "If-Unmodified-Since: "+dateFile), want: ok200("text/plain", 12) + hello, result: keep200(12),
			deviation: "spec §14.2 item 7: Mongrel2 answers 500 to a satisfied If-Unmodified-Since alone"},
		{name: "ius future alone", prefix: "/", raw: get("/data.txt", "If-Unmodified-Since: "+dateLater), want: ok200("text/plain", 12) + hello, result: keep200(12),
			deviation: "spec §14.2 item 7: Mongrel2 answers 500 to a satisfied If-Unmodified-Since alone"},
		{name: "ius past 2038", prefix: "/", raw: get("/data.txt", "If-Unmodified-Since: "+date2099, "If-None-Match: nope"), want: ok200("text/plain", 12) + hello, result: keep200(12),
			deviation: "Mongrel2 keeps dates in a 32-bit int: a date after 2038 wraps negative and If-Unmodified-Since fails (412)"},
		{name: "ius equal inm miss", prefix: "/", raw: get("/data.txt", "If-Unmodified-Since: "+dateFile, "If-None-Match: nope"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "ius equal inm hit", prefix: "/", raw: get("/data.txt", "If-Unmodified-Since: "+dateFile, "If-None-Match: "+etagData), want: wire304, result: keep304},
		{name: "ius equal ims", prefix: "/", raw: get("/data.txt", "If-Unmodified-Since: "+dateFile, "If-Modified-Since: "+dateFile), want: wire304, result: keep304},
		{name: "ius garbage alone", prefix: "/", raw: get("/data.txt", "If-Unmodified-Since: soon"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "im garbage", prefix: "/", raw: get("/data.txt", "If-Match: blah"), want: wire412, result: keep412},
		{name: "im star", prefix: "/", raw: get("/data.txt", "If-Match: *"), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "im bare etag", prefix: "/", raw: get("/data.txt", "If-Match: "+etagData), want: ok200("text/plain", 12) + hello, result: keep200(12)},
		{name: "im quoted etag", prefix: "/", raw: get("/data.txt", `If-Match: "`+etagData+`"`), want: ok200("text/plain", 12) + hello, result: keep200(12),
			deviation: "spec §14.2 item 7: Mongrel2 only pattern-checks If-Match, a quoted value fails the pattern"},
		{name: "im other etag", prefix: "/", raw: get("/data.txt", "If-Match: abc-1"), want: wire412, result: keep412,
			deviation: "spec §14.2 item 7: Mongrel2 accepts anything matching [a-e0-9]+-[a-e0-9]+"},
		{name: "im etag with f", prefix: "/", raw: get("/f.txt", "If-Match: 6b0994e1-f"), want: ok200("text/plain", 15) + "fifteen bytes!\n", result: keep200(15),
			deviation: "spec §14.2 item 7: Mongrel2's pattern has a-e, so an ETag with 'f' fails"},
		{name: "im weak", prefix: "/", raw: get("/data.txt", `If-Match: W/"`+etagData+`"`), want: wire412, result: keep412},
		{name: "im ok inm hit", prefix: "/", raw: get("/data.txt", "If-Match: *", "If-None-Match: "+etagData), want: wire304, result: keep304},
		{name: "im fail beats inm", prefix: "/", raw: get("/data.txt", "If-Match: blah", "If-None-Match: "+etagData), want: wire412, result: keep412},
		{name: "head 304", prefix: "/", raw: "HEAD /data.txt HTTP/1.1\r\nIf-None-Match: " + etagData + "\r\n\r\n", want: wire304, result: keep304},
		{name: "conditional on redirect ignored", prefix: "/", raw: get("/sub", "If-Match: blah"), want: wire301("//(null)/sub/"), result: keep301},
		{name: "conditional on missing ignored", prefix: "/", raw: get("/nope", "If-None-Match: *"), want: wire404, result: keep404},
	}
}

func TestServe(t *testing.T) {
	root := makeTree(t)
	d := newTestDir(t, root, testMIME())
	for _, tc := range serveCases() {
		// Twice: the second answer comes through the metadata cache.
		for pass := range 2 {
			var out bytes.Buffer
			res, err := d.Serve(&out, parseRequest(t, tc.raw), tc.prefix, testNow)
			if err != nil {
				t.Errorf("%s (pass %d): %v", tc.name, pass, err)
			}
			if got := out.String(); got != tc.want {
				t.Errorf("%s (pass %d):\n got %q\nwant %q", tc.name, pass, trunc(got), trunc(tc.want))
			}
			if res != tc.result {
				t.Errorf("%s (pass %d): result %+v, want %+v", tc.name, pass, res, tc.result)
			}
		}
	}
}

func trunc(s string) string {
	if len(s) > 400 {
		return s[:400] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

func TestResultLogStatus(t *testing.T) {
	for _, tc := range []struct{ status, want int }{{200, 200}, {301, 0}, {304, 304}, {404, 404}, {412, 412}} {
		if got := (Result{Status: tc.status}).LogStatus(); got != tc.want {
			t.Errorf("LogStatus(%d) = %d, want %d", tc.status, got, tc.want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	long := "/" + strings.Repeat("a", 254) + "/"
	for _, tc := range []struct {
		name string
		cfg  config.Dir
		lim  Limits
	}{
		{"no trailing slash", config.Dir{Base: "static"}, Limits{}},
		{"empty base", config.Dir{Base: ""}, Limits{}},
		{"base at max path", config.Dir{Base: long}, Limits{}},
		{"base over custom max", config.Dir{Base: "static/"}, Limits{MaxPath: 7}},
		{"negative ttl", config.Dir{Base: "static/", CacheTTL: -1}, Limits{}},
	} {
		if _, err := New(&tc.cfg, nil, tc.lim); err == nil {
			t.Errorf("%s: New accepted %+v", tc.name, tc.cfg)
		}
	}
	if _, err := New(&config.Dir{Base: long[1:]}, nil, Limits{}); err != nil {
		t.Errorf("255-byte base refused: %v", err)
	}
}

func TestRouteLimits(t *testing.T) {
	root := makeTree(t)
	d, err := New(&config.Dir{Base: filepath.Join(root, "static") + "/", IndexFile: "index.html"}, testMIME(), Limits{MaxPath: 100})
	if err != nil {
		t.Fatal(err)
	}
	long := "/" + strings.Repeat("p", 99)
	for _, tc := range []struct {
		name, prefix, raw, want string
		result                  Result
	}{
		{"prefix without slash", "x", "GET x/data.txt HTTP/1.1\r\n\r\n", wire404, keep404},
		{"empty prefix", "", get("/data.txt"), wire404, keep404},
		{"prefix at max path", long, get(long + "/data.txt"), wire404, keep404},
		// The rest after the prefix is "/data.txt": base + "/" + "/data.txt".
		{"prefix under max path", long[:99], get(long[:99] + "/data.txt"), ok200("text/plain", 12) + "hello world\n", keep200(12)},
	} {
		var out bytes.Buffer
		res, err := d.Serve(&out, parseRequest(t, tc.raw), tc.prefix, testNow)
		if err != nil || out.String() != tc.want || res != tc.result {
			t.Errorf("%s: %q %+v %v", tc.name, out.String(), res, err)
		}
	}
}

// TestBaseResolvedLazily covers a base that appears after the first request:
// the failed resolution is not remembered.
func TestBaseResolvedLazily(t *testing.T) {
	root := t.TempDir()
	d, err := New(&config.Dir{Base: filepath.Join(root, "later") + "/", DefaultCType: "text/plain"}, nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	serve := func() string {
		var out bytes.Buffer
		if _, err := d.Serve(&out, parseRequest(t, get("/f")), "/", testNow); err != nil {
			t.Fatal(err)
		}
		return string(normalizeDate(out.Bytes()))
	}
	if got := serve(); got != wire404 {
		t.Fatalf("before the base exists: %q", got)
	}
	if err := os.MkdirAll(filepath.Join(root, "later"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "later", "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := serve(); !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(got, "\r\n\r\nx") {
		t.Fatalf("after the base exists: %q", got)
	}
}

// TestCacheNoticesChanges rewrites, replaces and removes a file between
// requests and expects every answer to describe the file as it is.
func TestCacheNoticesChanges(t *testing.T) {
	root := makeTree(t)
	d := newTestDir(t, root, testMIME())
	name := filepath.Join(root, "static", "data.txt")
	serve := func() (string, Result) {
		seeChanges(d)
		var out bytes.Buffer
		res, err := d.Serve(&out, parseRequest(t, get("/data.txt")), "/", testNow)
		if err != nil {
			t.Fatal(err)
		}
		return out.String(), res
	}
	write := func(body string, mtime time.Time) {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(name, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := serve(); got != ok200("text/plain", 12)+"hello world\n" {
		t.Fatalf("first: %q", got)
	}
	// Same size, same second: only the nanoseconds of mtime differ.
	write("HELLO WORLD\n", fileTime.Add(time.Millisecond))
	if got, _ := serve(); got != ok200("text/plain", 12)+"HELLO WORLD\n" {
		t.Fatalf("same size rewrite: %q", got)
	}
	write("hi\n", fileTime)
	if got, _ := serve(); got != ok200("text/plain", 3)+"hi\n" {
		t.Fatalf("shorter: %q", got)
	}
	// Replaced by a symlink pointing out of the base: must not be served.
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside/o.txt", name); err != nil {
		t.Fatal(err)
	}
	if got, res := serve(); got != wire404 || res != keep404 {
		t.Fatalf("symlinked out: %q %+v", got, res)
	}
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
	if got, _ := serve(); got != wire404 {
		t.Fatalf("removed: %q", got)
	}
}

// TestCacheDirectoryReplacedBySymlink swaps a cached file's parent directory
// for a symlink leading out of the base: the cached name now reaches a
// different file, which must not be served.
func TestCacheDirectoryReplacedBySymlink(t *testing.T) {
	root := makeTree(t)
	d := newTestDir(t, root, testMIME())
	if err := os.WriteFile(filepath.Join(root, "outside", "deep.txt"), []byte("SECRET deep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := d.Serve(&out, parseRequest(t, get("/sub/deep.txt")), "/", testNow); err != nil || !strings.HasSuffix(out.String(), "deep\n") {
		t.Fatalf("first: %q %v", out.String(), err)
	}
	sub := filepath.Join(root, "static", "sub")
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside", sub); err != nil {
		t.Fatal(err)
	}
	seeChanges(d)
	out.Reset()
	res, err := d.Serve(&out, parseRequest(t, get("/sub/deep.txt")), "/", testNow)
	if err != nil || out.String() != wire404 || res != keep404 {
		t.Fatalf("after swap: %q %+v %v", out.String(), res, err)
	}
}

// TestCacheBounded fills the cache past its bound.
func TestCacheBounded(t *testing.T) {
	c := newFileCache(4)
	for i := range 10 {
		c.put([]byte(fmt.Sprint(i)), &fileMeta{})
		if len(c.entries) > 4 {
			t.Fatalf("%d entries after %d puts", len(c.entries), i+1)
		}
	}
	c.put([]byte("9"), &fileMeta{variant: variant{name: "again"}})
	if c.get([]byte("9")).name != "again" || len(c.entries) != 4 {
		t.Fatalf("replacing an entry: %d entries", len(c.entries))
	}
}

func TestNotRegular(t *testing.T) {
	root := makeTree(t)
	d := newTestDir(t, root, testMIME())
	fifo := filepath.Join(root, "static", "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := d.Serve(&out, parseRequest(t, get("/fifo")), "/", testNow)
		if err != nil || res != keep404 {
			t.Errorf("fifo: %+v %v", res, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("serving a FIFO blocked")
	}
	if out.String() != wire404 {
		t.Fatalf("fifo: %q", out.String())
	}
}

// TestServeTCP sends files over a real TCP connection, where the body goes
// out with sendfile(2), and checks the bytes the client receives.
func TestServeTCP(t *testing.T) {
	root := makeTree(t)
	d := newTestDir(t, root, testMIME())
	cases := []serveCase{}
	for _, tc := range serveCases() {
		if strings.HasPrefix(tc.name, "big file") || tc.name == "file" || tc.name == "missing" {
			cases = append(cases, tc)
		}
	}
	serveOverTCP(t, d, cases, func(b []byte) []byte { return b })
}

// serveOverTCP serves the cases one after the other on one loopback TCP
// connection and compares everything the client receives, passed through
// norm, with the cases' wants.
func serveOverTCP(t *testing.T, d *Dir, cases []serveCase, norm func([]byte) []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var want bytes.Buffer
	for _, tc := range cases {
		want.WriteString(tc.want)
	}
	errc := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		for _, tc := range cases {
			res, err := d.Serve(c, parseRequest(t, tc.raw), tc.prefix, testNow)
			if err != nil {
				errc <- err
				return
			}
			if res != tc.result {
				errc <- fmt.Errorf("%s: result %+v, want %+v", tc.name, res, tc.result)
				return
			}
		}
		errc <- nil
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	got = norm(got)
	if !bytes.Equal(got, want.Bytes()) {
		i := firstDiff(got, want.Bytes())
		t.Fatalf("got %d bytes, want %d; first difference at %d: got %q, want %q", len(got), want.Len(), i,
			trunc(string(got[max(0, i-40):min(len(got), i+40)])), trunc(string(want.Bytes()[max(0, i-40):min(want.Len(), i+40)])))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, io.ErrClosedPipe
	}
	w.n -= len(p)
	return len(p), nil
}

func TestServeWriteErrors(t *testing.T) {
	root := makeTree(t)
	d := newTestDir(t, root, testMIME())
	for _, tc := range []struct {
		name, raw string
		n         int
		status    int
	}{
		{"small file", get("/data.txt"), 10, 200},
		{"big file header", get("/big.bin"), 10, 200},
		{"big file body", get("/big.bin"), 50_000, 200},
		{"canned", get("/nope"), 3, 404},
		{"redirect", get("/sub"), 3, 301},
	} {
		res, err := d.Serve(&failWriter{n: tc.n}, parseRequest(t, tc.raw), "/", testNow)
		if err == nil || !res.Close || res.Log || res.Status != tc.status {
			t.Errorf("%s: %+v %v", tc.name, res, err)
		}
	}
}

// recorder keeps what is written and the size of every write. It has no
// ReadFrom, like a TLS connection.
type recorder struct {
	buf   bytes.Buffer
	sizes []int
}

func (r *recorder) Write(p []byte) (int, error) {
	r.sizes = append(r.sizes, len(p))
	return r.buf.Write(p)
}

// TestSendBuffer checks that limits.dir_send_buffer decides which files go
// out in one write with their header, and bounds the blocks of the others
// when the connection cannot sendfile.
func TestSendBuffer(t *testing.T) {
	root := makeTree(t)
	d, err := New(&config.Dir{Base: filepath.Join(root, "static") + "/", IndexFile: "index.html", DefaultCType: "application/octet-stream"},
		testMIME(), Limits{SendBuffer: 1024})
	if err != nil {
		t.Fatal(err)
	}
	head := len(ok200("application/octet-stream", bigSize))
	for _, tc := range []struct {
		path  string
		size  int
		check func(sizes []int) bool
	}{
		{"/data.txt", 12, func(s []int) bool { return len(s) == 1 }},
		{"/big.bin", bigSize, func(s []int) bool {
			if len(s) < 2 || s[0] != head {
				return false
			}
			for _, n := range s[1:] {
				if n > 1024 {
					return false
				}
			}
			return true
		}},
	} {
		var w recorder
		res, err := d.Serve(&w, parseRequest(t, get(tc.path)), "/", testNow)
		if err != nil || res.Size != int64(tc.size) || !tc.check(w.sizes) {
			t.Errorf("%s: %+v %v, writes %v", tc.path, res, err, w.sizes[:min(len(w.sizes), 5)])
		}
		if !strings.HasSuffix(w.buf.String(), "\r\n\r\n"+strings.Repeat("0123456789", bigSize/10)) && tc.size == bigSize {
			t.Errorf("%s: body differs", tc.path)
		}
	}
}

// TestCacheKeyHasPrefix serves the same path through two routes of one Dir.
func TestCacheKeyHasPrefix(t *testing.T) {
	root := makeTree(t)
	d := newTestDir(t, root, testMIME())
	for _, tc := range []struct {
		prefix string
		want   Result
	}{
		{"/pre/", keep200(12)},
		{"/", keep404},
		{"/pre/", keep200(12)},
	} {
		var out bytes.Buffer
		if res, err := d.Serve(&out, parseRequest(t, get("/pre/data.txt")), tc.prefix, testNow); err != nil || res != tc.want {
			t.Errorf("prefix %q: %+v %v, want %+v", tc.prefix, res, err, tc.want)
		}
	}
}

// TestConcurrent serves from many goroutines at once (run with -race).
func TestConcurrent(t *testing.T) {
	root := makeTree(t)
	d := newTestDir(t, root, testMIME())
	cases := serveCases()
	reqs := make([]*http1.Request, len(cases))
	for i, tc := range cases {
		reqs[i] = parseRequest(t, tc.raw)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 3 * len(cases) {
				i := (k + g*7) % len(cases)
				var out bytes.Buffer
				res, err := d.Serve(&out, reqs[i], cases[i].prefix, testNow)
				if err != nil || out.String() != cases[i].want || res != cases[i].result {
					t.Errorf("%s: %+v %v", cases[i].name, res, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestOpenBeneath stands for a directory swapped for a symlink out of the
// base between the realpath walk and the open: the open must fail rather
// than reach the file outside.
func TestOpenBeneath(t *testing.T) {
	root := makeTree(t)
	base, err := canonicalBase(filepath.Join(root, "static"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "outside", "deep.txt"), []byte("SECRET\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	name := base + "/sub/deep.txt"
	f, _, err := openBeneath(base, name)
	if err != nil {
		t.Fatalf("before the swap: %v", err)
	}
	f.Close()
	if f, _, err := openBeneath(base, base); err != nil {
		t.Fatalf("the base itself: %v", err)
	} else {
		f.Close()
	}
	sub := filepath.Join(base, "sub")
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside", sub); err != nil {
		t.Fatal(err)
	}
	if f, _, err := openBeneath(base, name); err == nil {
		f.Close()
		t.Fatal("opened a file through a symlink out of the base")
	}
	if f, _, err := openRegular(name); err != nil {
		t.Fatalf("a plain open does follow the link (%v), so the test is void", err)
	} else {
		f.Close()
	}
}
