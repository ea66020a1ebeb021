package http1

import "testing"

// A request as curl sends it, behind a proxy adding two headers.
const smallGET = "GET /handler?x=1&y=2 HTTP/1.1\r\n" +
	"Host: localhost:6767\r\n" +
	"User-Agent: curl/8.5.0\r\n" +
	"Accept: */*\r\n" +
	"X-Forwarded-For: 10.0.0.7\r\n" +
	"X-Request-Id: 6f1c2b0e-7a55-4f0e-9a53-0d4cf0a1b2c3\r\n" +
	"Connection: keep-alive\r\n" +
	"\r\n"

// A request as a desktop browser sends it.
const browserGET = "GET /static/app/main.css?v=20260127 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"Connection: keep-alive\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n" +
	"sec-ch-ua-platform: \"Linux\"\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
	"Accept: text/css,*/*;q=0.1\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"Sec-Fetch-Mode: no-cors\r\n" +
	"Referer: https://www.example.com/account/settings\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-GB,en-US;q=0.9,en;q=0.8\r\n" +
	"Cookie: session=3b0f1c9a7e2d4c5b8a6f0e1d2c3b4a59; theme=dark; lang=en; _ga=GA1.1.123456789.1700000000; _ga_X1Y2Z3=GS1.1.1700000000.4.1.1700000100.0.0.0\r\n" +
	"\r\n"

func benchmarkParse(b *testing.B, in string) {
	buf := []byte(in)
	var r Request
	if n, err := r.Parse(buf, Options{}); n != len(buf) || err != nil { // warm-up grows the scratch
		b.Fatalf("Parse = %d, %v", n, err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Parse(buf, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSmallGET(b *testing.B)   { benchmarkParse(b, smallGET) }
func BenchmarkParseBrowserGET(b *testing.B) { benchmarkParse(b, browserGET) }
func BenchmarkParseJSONMessage(b *testing.B) {
	benchmarkParse(b, "@chat {\"type\":\"msg\",\"user\":\"zed\",\"msg\":\"hello there\"}\x00")
}

// BenchmarkParseTrickled parses a head that arrives in three pieces, the
// way a connection re-parses from the start after each read.
func BenchmarkParseTrickled(b *testing.B) {
	buf := []byte(browserGET)
	cuts := []int{len(buf) / 3, 2 * len(buf) / 3, len(buf)}
	var r Request
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range cuts {
			if _, err := r.Parse(buf[:c], Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestBenchmarkInputs(t *testing.T) {
	for _, tc := range []struct {
		in      string
		headers int
	}{{smallGET, 6}, {browserGET, 12}} {
		var r Request
		if n, err := r.Parse([]byte(tc.in), Options{}); n != len(tc.in) || err != nil || len(r.Headers) != tc.headers {
			t.Errorf("Parse = %d, %v, %d headers; want %d, nil, %d", n, err, len(r.Headers), len(tc.in), tc.headers)
		}
	}
	if len(browserGET) < 650 || len(browserGET) > 800 {
		t.Errorf("browser request is %d bytes, want about 700", len(browserGET))
	}
}
