package static

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/bareku/bareku/config"
)

// makeFeatureTree is makeTree plus files with precompressed siblings:
//
//	static/enc/both.txt      "identity body\n" (14 bytes), with
//	static/enc/both.txt.br   "BR!" (3 bytes) and
//	static/enc/both.txt.gz   "GZIP!" (5 bytes)
//	static/enc/gzonly.txt    "gz only\n", with gzonly.txt.gz "GZ"
//	static/enc/plain.txt     "no siblings\n"
//	static/enc/out.txt       "out\n", out.txt.br -> ../../outside/o.br
//	static/enc/in.txt        "in\n", in.txt.gz -> both.txt.gz (inside)
//	static/enc/dirsib.txt    "d\n", dirsib.txt.br is a directory
//	outside/o.br             "SECRET br"
func makeFeatureTree(t testing.TB) string {
	t.Helper()
	root := makeTree(t)
	files := map[string]string{
		"static/enc/both.txt":      "identity body\n",
		"static/enc/both.txt.br":   "BR!",
		"static/enc/both.txt.gz":   "GZIP!",
		"static/enc/gzonly.txt":    "gz only\n",
		"static/enc/gzonly.txt.gz": "GZ",
		"static/enc/plain.txt":     "no siblings\n",
		"static/enc/out.txt":       "out\n",
		"static/enc/in.txt":        "in\n",
		"static/enc/dirsib.txt":    "d\n",
		"outside/o.br":             "SECRET br",
	}
	writeFiles(t, root, files)
	if err := os.Mkdir(filepath.Join(root, "static/enc/dirsib.txt.br"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlinks(t, root, map[string]string{
		"static/enc/out.txt.br": "../../outside/o.br",
		"static/enc/in.txt.gz":  "both.txt.gz",
	})
	settleDirs(t, root)
	return root
}

// settleDirs dates every directory below root back to fileTime, so that a
// Dir trusts their mtimes at once (fileMeta.dirSettled).
func settleDirs(t testing.TB, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil || !e.IsDir() {
			return err
		}
		return os.Chtimes(p, fileTime, fileTime)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func newFeatureDir(t testing.TB, root string, lim Limits) *Dir {
	t.Helper()
	d, err := New(&config.Dir{ID: 1, Base: filepath.Join(root, "static") + "/", IndexFile: "index.html", DefaultCType: "application/octet-stream"}, testMIME(), lim)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// head builds an expected response head: the status line, Date (testNow),
// the given lines, Server and the blank line.
func head(status string, lines ...string) string {
	return "HTTP/1.1 " + status + "\r\nDate: Fri, 27 Nov 2026 14:36:19 GMT\r\n" + joinHeaders(lines) + "Server: Mongrel2/1.12.2\r\n\r\n"
}

const (
	lm        = "Last-Modified: " + dateFile
	ar        = "Accept-Ranges: bytes"
	vary      = "Vary: Accept-Encoding"
	ctText    = "Content-Type: text/plain"
	ctOctet   = "Content-Type: application/octet-stream"
	etagBig   = "6b0994e1-186a0" // big.bin
	multipart = "Content-Type: multipart/byteranges; boundary=BOUNDARY_16BYTES"
)

// boundaryRE finds the boundary of a multipart response.
var boundaryRE = regexp.MustCompile(`boundary=([0-9a-f]{16})\r\n`)

// normalizeBoundary replaces a multipart response's random boundary with
// "BOUNDARY_16BYTES"; responses without one are returned unchanged.
func normalizeBoundary(b []byte) []byte {
	m := boundaryRE.FindSubmatch(b)
	if m == nil {
		return b
	}
	return bytes.ReplaceAll(b, m[1], []byte("BOUNDARY_16BYTES"))
}

func rangeCases() []serveCase {
	hello := "hello world\n"
	big := strings.Repeat("0123456789", bigSize/10)
	full := head("200 OK", ctText, "Content-Length: 12", lm, "ETag: "+etagData, ar) + hello
	ok := keep200(12)
	part := func(size int64) Result { return Result{Status: 206, Size: size, Log: true} }
	r416 := "HTTP/1.1 416 Range Not Satisfiable\r\nDate: Fri, 27 Nov 2026 14:36:19 GMT\r\nContent-Range: bytes */12\r\n" +
		"Content-Type: text/plain\r\nContent-Length: 21\r\nServer: Mongrel2/1.12.2\r\n\r\nRange Not Satisfiable"
	keep416 := Result{Status: 416, Log: true}
	data206 := func(cr, body string) string {
		return head("206 Partial Content", ctText, "Content-Length: "+itoa(len(body)), "Content-Range: bytes "+cr+"/12", lm, "ETag: "+etagData, ar) + body
	}
	twoParts := "--BOUNDARY_16BYTES\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/12\r\n\r\nhe" +
		"\r\n--BOUNDARY_16BYTES\r\nContent-Type: text/plain\r\nContent-Range: bytes 6-7/12\r\n\r\nwo" +
		"\r\n--BOUNDARY_16BYTES--\r\n"
	reversed := "--BOUNDARY_16BYTES\r\nContent-Type: text/plain\r\nContent-Range: bytes 6-7/12\r\n\r\nwo" +
		"\r\n--BOUNDARY_16BYTES\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/12\r\n\r\nhe" +
		"\r\n--BOUNDARY_16BYTES--\r\n"
	merged := "--BOUNDARY_16BYTES\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-2/12\r\n\r\nhel" +
		"\r\n--BOUNDARY_16BYTES\r\nContent-Type: text/plain\r\nContent-Range: bytes 6-9/12\r\n\r\nworl" +
		"\r\n--BOUNDARY_16BYTES--\r\n"
	multi := func(body string) string {
		return head("206 Partial Content", multipart, "Content-Length: "+itoa(len(body)), lm, "ETag: "+etagData, ar) + body
	}
	seventeen := "bytes=0-0" + strings.Repeat(",0-0", 16)
	return []serveCase{
		{name: "no range", raw: get("/data.txt"), want: full, result: ok},
		{name: "head no range", raw: "HEAD /data.txt HTTP/1.1\r\n\r\n", want: head("200 OK", ctText, "Content-Length: 12", lm, "ETag: "+etagData, ar), result: keep200(0)},
		{name: "single", raw: get("/data.txt", "Range: bytes=0-4"), want: data206("0-4", "hello"), result: part(5)},
		{name: "single unit any case", raw: get("/data.txt", "Range: Bytes=0-4"), want: data206("0-4", "hello"), result: part(5)},
		{name: "single last byte", raw: get("/data.txt", "Range: bytes=11-11"), want: data206("11-11", "\n"), result: part(1)},
		{name: "whole file as a range", raw: get("/data.txt", "Range: bytes=0-"), want: data206("0-11", hello), result: part(12)},
		{name: "last-pos past the end", raw: get("/data.txt", "Range: bytes=6-100"), want: data206("6-11", "world\n"), result: part(6)},
		{name: "suffix", raw: get("/data.txt", "Range: bytes=-5"), want: data206("7-11", "orld\n"), result: part(5)},
		{name: "suffix longer than file", raw: get("/data.txt", "Range: bytes=-500"), want: data206("0-11", hello), result: part(12)},
		{name: "open-ended", raw: get("/data.txt", "Range: bytes=6-"), want: data206("6-11", "world\n"), result: part(6)},
		{name: "big suffix", raw: get("/big.bin", "Range: bytes=-500"),
			want: head("206 Partial Content", ctOctet, "Content-Length: 500", "Content-Range: bytes 99500-99999/100000", lm, "ETag: "+etagBig, ar) + big[99500:], result: part(500)},
		{name: "big open-ended", raw: get("/big.bin", "Range: bytes=500-"),
			want: head("206 Partial Content", ctOctet, "Content-Length: 99500", "Content-Range: bytes 500-99999/100000", lm, "ETag: "+etagBig, ar) + big[500:], result: part(99500)},
		{name: "big middle", raw: get("/big.bin", "Range: bytes=20000-79999"),
			want: head("206 Partial Content", ctOctet, "Content-Length: 60000", "Content-Range: bytes 20000-79999/100000", lm, "ETag: "+etagBig, ar) + big[20000:80000], result: part(60000)},
		{name: "multiple", raw: get("/data.txt", "Range: bytes=0-1,6-7"), want: multi(twoParts), result: part(int64(len(twoParts)))},
		{name: "multiple with spaces and empty elements", raw: get("/data.txt", "Range: bytes= 0-1 , ,6-7,"), want: multi(twoParts), result: part(int64(len(twoParts)))},
		{name: "multiple keep their order", raw: get("/data.txt", "Range: bytes=6-7,0-1"), want: multi(reversed), result: part(int64(len(reversed)))},
		{name: "multiple with an unsatisfiable one", raw: get("/data.txt", "Range: bytes=0-1,50-60"), want: data206("0-1", "he"), result: part(2)},
		{name: "overlapping coalesce to one", raw: get("/data.txt", "Range: bytes=0-4,2-7"), want: data206("0-7", "hello wo"), result: part(8)},
		{name: "adjacent after overlap coalesce", raw: get("/data.txt", "Range: bytes=0-4,5-7,3-3"), want: data206("0-7", "hello wo"), result: part(8)},
		{name: "overlapping sorted and merged", raw: get("/data.txt", "Range: bytes=6-9,1-2,0-1,7-8"), want: multi(merged), result: part(int64(len(merged)))},
		{name: "unsatisfiable", raw: get("/data.txt", "Range: bytes=12-"), want: r416, result: keep416},
		{name: "unsatisfiable zero suffix", raw: get("/data.txt", "Range: bytes=-0"), want: r416, result: keep416},
		{name: "unsatisfiable several", raw: get("/data.txt", "Range: bytes=20-30, 12-12"), want: r416, result: keep416},
		{name: "unsatisfiable huge", raw: get("/data.txt", "Range: bytes=99999999999999999999999-"), want: r416, result: keep416},
		{name: "unsatisfiable http10 closes", raw: "GET /data.txt HTTP/1.0\r\nRange: bytes=12-\r\n\r\n", want: r416, result: Result{Status: 416, Close: true, Log: true}},
		{name: "invalid reversed", raw: get("/data.txt", "Range: bytes=5-1"), want: full, result: ok},
		{name: "invalid garbage", raw: get("/data.txt", "Range: bytes=abc"), want: full, result: ok},
		{name: "invalid one of several", raw: get("/data.txt", "Range: bytes=0-1,x"), want: full, result: ok},
		{name: "invalid unit", raw: get("/data.txt", "Range: items=0-1"), want: full, result: ok},
		{name: "invalid empty set", raw: get("/data.txt", "Range: bytes=,"), want: full, result: ok},
		{name: "invalid space before =", raw: get("/data.txt", "Range: bytes =0-1"), want: full, result: ok},
		{name: "invalid signed", raw: get("/data.txt", "Range: bytes=+1-2"), want: full, result: ok},
		{name: "too many ranges", raw: get("/data.txt", "Range: "+seventeen), want: full, result: ok},
		{name: "sixteen ranges coalesce", raw: get("/data.txt", "Range: "+seventeen[:len(seventeen)-4]), want: data206("0-0", "h"), result: part(1)},
		{name: "head with range", raw: "HEAD /data.txt HTTP/1.1\r\nRange: bytes=0-4\r\n\r\n", want: head("200 OK", ctText, "Content-Length: 12", lm, "ETag: "+etagData, ar), result: keep200(0)},
		{name: "if-range bare etag", raw: get("/data.txt", "Range: bytes=0-4", "If-Range: "+etagData), want: data206("0-4", "hello"), result: part(5)},
		{name: "if-range quoted etag", raw: get("/data.txt", "Range: bytes=0-4", `If-Range: "`+etagData+`"`), want: data206("0-4", "hello"), result: part(5)},
		{name: "if-range other etag", raw: get("/data.txt", "Range: bytes=0-4", `If-Range: "6b0994e1-d"`), want: full, result: ok},
		{name: "if-range weak etag", raw: get("/data.txt", "Range: bytes=0-4", `If-Range: W/"`+etagData+`"`), want: full, result: ok},
		{name: "if-range date", raw: get("/data.txt", "Range: bytes=0-4", "If-Range: "+dateFile), want: data206("0-4", "hello"), result: part(5)},
		{name: "if-range older date", raw: get("/data.txt", "Range: bytes=0-4", "If-Range: "+dateOlder), want: full, result: ok},
		{name: "if-range later date", raw: get("/data.txt", "Range: bytes=0-4", "If-Range: "+dateLater), want: full, result: ok},
		{name: "if-range mismatch with unsatisfiable range", raw: get("/data.txt", "Range: bytes=50-", "If-Range: nope"), want: full, result: ok},
		{name: "if-range without range", raw: get("/data.txt", "If-Range: nope"), want: full, result: ok},
		{name: "not modified beats range", raw: get("/data.txt", "Range: bytes=0-4", "If-None-Match: "+etagData), want: wire304, result: keep304},
		{name: "failed precondition beats range", raw: get("/data.txt", "Range: bytes=0-4", "If-Match: nope"), want: wire412, result: keep412},
		{name: "redirect ignores range", raw: get("/sub", "Range: bytes=0-4"), want: wire301("//(null)/sub/"), result: keep301},
	}
}

func TestRanges(t *testing.T) {
	root := makeFeatureTree(t)
	d := newFeatureDir(t, root, Limits{Ranges: true, Precompressed: true})
	runCases(t, d, rangeCases())
}

// TestRangesTCP sends the range cases over one TCP connection, where the
// ranges of big.bin go out with sendfile(2) from an offset.
func TestRangesTCP(t *testing.T) {
	root := makeFeatureTree(t)
	d := newFeatureDir(t, root, Limits{Ranges: true, Precompressed: true})
	var cases []serveCase
	for _, tc := range rangeCases() {
		if !strings.Contains(tc.raw, "HTTP/1.0") && tc.result.Status != 301 {
			cases = append(cases, tc)
		}
	}
	for i := range cases {
		cases[i].prefix = "/"
	}
	// Every multipart answer has its own boundary: normalise them one
	// response at a time by splitting on the status lines.
	serveOverTCP(t, d, cases, func(b []byte) []byte {
		var out []byte
		for _, r := range bytes.SplitAfter(b, []byte("--\r\n")) {
			out = append(out, normalizeBoundary(r)...)
		}
		return out
	})
}

// TestSmallSendBufferRanges makes every range larger than the send buffer,
// so each goes out through Seek and the copy loop.
func TestSmallSendBufferRanges(t *testing.T) {
	root := makeFeatureTree(t)
	d := newFeatureDir(t, root, Limits{Ranges: true, SendBuffer: 8})
	runCases(t, d, []serveCase{
		{name: "single", raw: get("/data.txt", "Range: bytes=2-9"),
			want:   head("206 Partial Content", ctText, "Content-Length: 8", "Content-Range: bytes 2-9/12", lm, "ETag: "+etagData, ar) + "llo worl",
			result: Result{Status: 206, Size: 8, Log: true}},
	})
}

func runCases(t *testing.T, d *Dir, cases []serveCase) {
	t.Helper()
	for _, tc := range cases {
		if tc.prefix == "" {
			tc.prefix = "/"
		}
		for pass := range 2 {
			var out bytes.Buffer
			res, err := d.Serve(&out, parseRequest(t, tc.raw), tc.prefix, testNow)
			if err != nil {
				t.Errorf("%s (pass %d): %v", tc.name, pass, err)
			}
			if got := string(normalizeBoundary(out.Bytes())); got != tc.want {
				t.Errorf("%s (pass %d):\n got %q\nwant %q", tc.name, pass, trunc(got), trunc(tc.want))
			}
			if res != tc.result {
				t.Errorf("%s (pass %d): result %+v, want %+v", tc.name, pass, res, tc.result)
			}
		}
	}
}

func itoa(n int) string { return string(appendUint(nil, uint64(n))) }

const (
	etagBoth = "6b0994e1-e"    // both.txt
	etagBr   = "6b0994e1-3-br" // both.txt.br
	etagGz   = "6b0994e1-5-gz" // both.txt.gz
)

func precompressedCases() []serveCase {
	identity := head("200 OK", ctText, "Content-Length: 14", lm, "ETag: "+etagBoth, ar, vary) + "identity body\n"
	br := head("200 OK", ctText, "Content-Encoding: br", "Content-Length: 3", lm, "ETag: "+etagBr, ar, vary) + "BR!"
	gz := head("200 OK", ctText, "Content-Encoding: gzip", "Content-Length: 5", lm, "ETag: "+etagGz, ar, vary) + "GZIP!"
	plain := head("200 OK", ctText, "Content-Length: 12", lm, "ETag: 6b0994e1-c", ar) + "no siblings\n"
	both := func(ae string) string { return get("/enc/both.txt", "Accept-Encoding: "+ae) }
	return []serveCase{
		{name: "no accept-encoding", raw: get("/enc/both.txt"), want: identity, result: keep200(14)},
		{name: "br preferred", raw: both("gzip, br"), want: br, result: keep200(3)},
		{name: "br preferred on equal weights", raw: both("gzip;q=0.8, br;q=0.8"), want: br, result: keep200(3)},
		{name: "gzip weighted higher", raw: both("br;q=0.5, gzip"), want: gz, result: keep200(5)},
		{name: "gzip only", raw: both("gzip"), want: gz, result: keep200(5)},
		{name: "x-gzip", raw: both("x-gzip"), want: gz, result: keep200(5)},
		{name: "names in any case", raw: both("GZIP;Q=1, BR;q=0.001"), want: gz, result: keep200(5)},
		{name: "br refused", raw: both("br;q=0, gzip"), want: gz, result: keep200(5)},
		{name: "both refused", raw: both("br;q=0, gzip;q=0.000"), want: identity, result: keep200(14)},
		{name: "star", raw: both("*"), want: br, result: keep200(3)},
		{name: "star but not br", raw: both("br;q=0, *"), want: gz, result: keep200(5)},
		{name: "star refused", raw: both("*;q=0"), want: identity, result: keep200(14)},
		{name: "identity weighted higher", raw: both("identity, br;q=0.5"), want: identity, result: keep200(14)},
		{name: "identity on equal weights", raw: both("identity, br"), want: br, result: keep200(3)},
		{name: "deflate only", raw: both("deflate"), want: identity, result: keep200(14)},
		{name: "bad weight skipped", raw: both("br;q=2, gzip;q=0.5"), want: gz, result: keep200(5)},
		{name: "bad weight alone", raw: both("br;q=x"), want: identity, result: keep200(14)},
		{name: "other parameter", raw: both("br;level=5"), want: br, result: keep200(3)},
		{name: "empty", raw: both(""), want: identity, result: keep200(14)},
		{name: "head br", raw: "HEAD /enc/both.txt HTTP/1.1\r\nAccept-Encoding: br\r\n\r\n",
			want: head("200 OK", ctText, "Content-Encoding: br", "Content-Length: 3", lm, "ETag: "+etagBr, ar, vary), result: keep200(0)},
		{name: "missing sibling", raw: get("/enc/plain.txt", "Accept-Encoding: br, gzip"), want: plain, result: keep200(12)},
		{name: "br missing, gzip there", raw: get("/enc/gzonly.txt", "Accept-Encoding: br"),
			want: head("200 OK", ctText, "Content-Length: 8", lm, "ETag: 6b0994e1-8", ar, vary) + "gz only\n", result: keep200(8)},
		{name: "gzip sibling", raw: get("/enc/gzonly.txt", "Accept-Encoding: br, gzip"),
			want: head("200 OK", ctText, "Content-Encoding: gzip", "Content-Length: 2", lm, "ETag: 6b0994e1-2-gz", ar, vary) + "GZ", result: keep200(2)},
		{name: "sibling symlink out of the base", raw: get("/enc/out.txt", "Accept-Encoding: br"),
			want: head("200 OK", ctText, "Content-Length: 4", lm, "ETag: 6b0994e1-4", ar) + "out\n", result: keep200(4)},
		{name: "sibling symlink inside the base", raw: get("/enc/in.txt", "Accept-Encoding: gzip"),
			want: head("200 OK", ctText, "Content-Encoding: gzip", "Content-Length: 5", lm, "ETag: "+etagGz, ar, vary) + "GZIP!", result: keep200(5)},
		{name: "sibling is a directory", raw: get("/enc/dirsib.txt", "Accept-Encoding: br"),
			want: head("200 OK", ctText, "Content-Length: 2", lm, "ETag: 6b0994e1-2", ar) + "d\n", result: keep200(2)},
		{name: "sibling requested by its name", raw: get("/enc/both.txt.gz"),
			want: head("200 OK", "Content-Type: application/x-gzip", "Content-Length: 5", lm, "ETag: 6b0994e1-5", ar) + "GZIP!", result: keep200(5)},
		{name: "304 with vary", raw: get("/enc/both.txt", "Accept-Encoding: br", "If-None-Match: "+etagBr),
			want: "HTTP/1.1 304 Not Modified\r\nConnection: close\r\nContent-Length: 0\r\nVary: Accept-Encoding\r\nServer: Mongrel2/1.12.2\r\n\r\n", result: keep304},
		{name: "identity etag does not match br", raw: get("/enc/both.txt", "Accept-Encoding: br", "If-None-Match: "+etagBoth), want: br, result: keep200(3)},
		{name: "304 without siblings has no vary", raw: get("/enc/plain.txt", "Accept-Encoding: br", "If-None-Match: 6b0994e1-c"), want: wire304, result: keep304},
		{name: "range of br", raw: get("/enc/both.txt", "Accept-Encoding: br", "Range: bytes=1-"),
			want:   head("206 Partial Content", ctText, "Content-Encoding: br", "Content-Length: 2", "Content-Range: bytes 1-2/3", lm, "ETag: "+etagBr, ar, vary) + "R!",
			result: Result{Status: 206, Size: 2, Log: true}},
		{name: "if-range br", raw: get("/enc/both.txt", "Accept-Encoding: br", "Range: bytes=1-", "If-Range: "+etagBoth), want: br, result: keep200(3)},
		{name: "several ranges of br", raw: get("/enc/both.txt", "Accept-Encoding: br", "Range: bytes=0-0,2-2"), want: br, result: keep200(3)},
		{name: "range of br unsatisfiable", raw: get("/enc/both.txt", "Accept-Encoding: br", "Range: bytes=3-"),
			want: "HTTP/1.1 416 Range Not Satisfiable\r\nDate: Fri, 27 Nov 2026 14:36:19 GMT\r\nContent-Range: bytes */3\r\n" + vary +
				"\r\nContent-Type: text/plain\r\nContent-Length: 21\r\nServer: Mongrel2/1.12.2\r\n\r\nRange Not Satisfiable",
			result: Result{Status: 416, Log: true}},
	}
}

func TestPrecompressed(t *testing.T) {
	root := makeFeatureTree(t)
	d := newFeatureDir(t, root, Limits{Ranges: true, Precompressed: true})
	runCases(t, d, precompressedCases())
}

// TestFeaturesOff: with the zero Limits, Range, Accept-Encoding and the
// siblings change nothing, as in Mongrel2.
func TestFeaturesOff(t *testing.T) {
	root := makeFeatureTree(t)
	d := newFeatureDir(t, root, Limits{})
	ok := func(ctype string, size int, etag, body string) string {
		return head("200 OK", ctype, "Content-Length: "+itoa(size), lm, "ETag: "+etag) + body
	}
	runCases(t, d, []serveCase{
		{name: "accept-encoding", raw: get("/enc/both.txt", "Accept-Encoding: br, gzip"), want: ok(ctText, 14, etagBoth, "identity body\n"), result: keep200(14)},
		{name: "range", raw: get("/enc/both.txt", "Range: bytes=0-1"), want: ok(ctText, 14, etagBoth, "identity body\n"), result: keep200(14)},
		{name: "bad range", raw: get("/enc/both.txt", "Range: bytes=50-"), want: ok(ctText, 14, etagBoth, "identity body\n"), result: keep200(14)},
	})
	// Each switch on its own.
	d = newFeatureDir(t, root, Limits{Precompressed: true})
	runCases(t, d, []serveCase{
		{name: "precompressed only, range", raw: get("/enc/both.txt", "Range: bytes=0-1", "Accept-Encoding: gzip"),
			want: head("200 OK", ctText, "Content-Encoding: gzip", "Content-Length: 5", lm, "ETag: "+etagGz, vary) + "GZIP!", result: keep200(5)},
		{name: "precompressed only, no sibling", raw: get("/data.txt", "Accept-Encoding: gzip"), want: ok200("text/plain", 12) + "hello world\n", result: keep200(12)},
	})
	d = newFeatureDir(t, root, Limits{Ranges: true})
	runCases(t, d, []serveCase{
		{name: "ranges only, accept-encoding", raw: get("/enc/both.txt", "Range: bytes=0-1", "Accept-Encoding: gzip"),
			want:   head("206 Partial Content", ctText, "Content-Length: 2", "Content-Range: bytes 0-1/14", lm, "ETag: "+etagBoth, ar) + "id",
			result: Result{Status: 206, Size: 2, Log: true}},
	})
}

// TestSiblingChanges adds, rewrites and removes siblings of a cached file
// and expects every answer to describe the files as they are.
func TestSiblingChanges(t *testing.T) {
	root := makeFeatureTree(t)
	d := newFeatureDir(t, root, Limits{Precompressed: true})
	dir := filepath.Join(root, "static", "enc")
	serve := func() string {
		seeChanges(d)
		var out bytes.Buffer
		if _, err := d.Serve(&out, parseRequest(t, get("/enc/plain.txt", "Accept-Encoding: br")), "/", testNow); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	plain := head("200 OK", ctText, "Content-Length: 12", lm, "ETag: 6b0994e1-c") + "no siblings\n"
	brWith := func(body string) string {
		return head("200 OK", ctText, "Content-Encoding: br", "Content-Length: "+itoa(len(body)), lm,
			"ETag: 6b0994e1-"+string(appendHex(nil, uint64(len(body))))+"-br", vary) + body
	}
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, fileTime, fileTime); err != nil {
			t.Fatal(err)
		}
	}
	cached := func() *fileMeta {
		d.cache.mu.RLock()
		defer d.cache.mu.RUnlock()
		return d.cache.entries["/\x00/enc/plain.txt"]
	}
	if got := serve(); got != plain {
		t.Fatalf("before: %q", got)
	}
	if m := cached(); m == nil || serve() != plain || cached() != m {
		t.Fatal("the entry of a file in a settled directory is not reused")
	}
	write("plain.txt.br", "new")
	if got := serve(); got != brWith("new") {
		t.Fatalf("sibling added: %q", got)
	}
	// The directory changed just now: its entry is built again on every
	// request until its mtime is a second old.
	if m := cached(); m == nil || m.dirSettled || serve() != brWith("new") || cached() == m {
		t.Fatal("the entry of a file in a directory changed just now is reused")
	}
	settleDirs(t, root)
	if got := serve(); got != brWith("new") || !cached().dirSettled {
		t.Fatalf("settled again: %q", got)
	}
	// Rewritten in place: the directory does not change, the sibling
	// does. The request that notices sends the file itself, the next one
	// the new sibling.
	write("plain.txt.br", "newer!")
	if got := serve(); got != strings.Replace(plain, "\r\nServer", "\r\n"+vary+"\r\nServer", 1) {
		t.Fatalf("sibling rewritten: %q", got)
	}
	if got := serve(); got != brWith("newer!") {
		t.Fatalf("sibling rewritten, next request: %q", got)
	}
	if err := os.Remove(filepath.Join(dir, "plain.txt.br")); err != nil {
		t.Fatal(err)
	}
	if got := serve(); got != plain {
		t.Fatalf("sibling removed: %q", got)
	}
	settleDirs(t, root)
	// Replaced by a symlink out of the base.
	if err := os.Symlink("../../outside/o.br", filepath.Join(dir, "plain.txt.br")); err != nil {
		t.Fatal(err)
	}
	if got := serve(); got != plain {
		t.Fatalf("sibling symlinked out: %q", got)
	}
}

// TestFeaturesWriteErrors fails the connection at points inside 206 and
// 416 answers: Serve must report the error and ask for the connection to
// be closed, without logging.
func TestFeaturesWriteErrors(t *testing.T) {
	root := makeFeatureTree(t)
	d := newFeatureDir(t, root, Limits{Ranges: true, Precompressed: true})
	for _, tc := range []struct {
		name, raw string
		n         int
		status    int
	}{
		{"small range", get("/data.txt", "Range: bytes=0-4"), 10, 206},
		{"big range header", get("/big.bin", "Range: bytes=500-"), 10, 206},
		{"big range body", get("/big.bin", "Range: bytes=500-"), 50_000, 206},
		{"416", get("/data.txt", "Range: bytes=50-"), 10, 416},
		{"br", get("/enc/both.txt", "Accept-Encoding: br"), 10, 200},
	} {
		res, err := d.Serve(&failWriter{n: tc.n}, parseRequest(t, tc.raw), "/", testNow)
		if err == nil || !res.Close || res.Log || res.Status != tc.status {
			t.Errorf("%s: %+v %v", tc.name, res, err)
		}
	}
	// A multipart body is written in several pieces: fail at every byte.
	raw := get("/data.txt", "Range: bytes=0-1,6-7")
	var full bytes.Buffer
	if _, err := d.Serve(&full, parseRequest(t, raw), "/", testNow); err != nil {
		t.Fatal(err)
	}
	for n := range full.Len() {
		res, err := d.Serve(&failWriter{n: n}, parseRequest(t, raw), "/", testNow)
		if err == nil || !res.Close || res.Log || res.Status != 206 {
			t.Fatalf("multipart failing after %d of %d bytes: %+v %v", n, full.Len(), res, err)
		}
	}
}

// TestConcurrentFeatures serves the range and precompressed cases from
// many goroutines at once (run with -race).
func TestConcurrentFeatures(t *testing.T) {
	root := makeFeatureTree(t)
	d := newFeatureDir(t, root, Limits{Ranges: true, Precompressed: true})
	cases := append(rangeCases(), precompressedCases()...)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 2 * len(cases) {
				tc := cases[(k+g*7)%len(cases)]
				var out bytes.Buffer
				res, err := d.Serve(&out, parseRequest(t, tc.raw), "/", testNow)
				if err != nil || string(normalizeBoundary(out.Bytes())) != tc.want || res != tc.result {
					t.Errorf("%s: %+v %v", tc.name, res, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
