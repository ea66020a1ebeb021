package static

import "testing"

// sink is a plain io.Writer (no ReadFrom), like a TLS connection.
type sink struct{ n int64 }

func (s *sink) Write(p []byte) (int, error) { s.n += int64(len(p)); return len(p), nil }

func benchServe(b *testing.B, raw string, want int) {
	root := makeTree(b)
	d := newTestDir(b, root, testMIME())
	req := parseRequest(b, raw)
	var w sink
	res, err := d.Serve(&w, req, "/", testNow)
	if err != nil || res.Status != want {
		b.Fatalf("%+v %v", res, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.Serve(&w, req, "/", testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServeSmallFile is a cached GET of a 12-byte file.
func BenchmarkServeSmallFile(b *testing.B) { benchServe(b, get("/data.txt"), 200) }

// BenchmarkServeNotModified is a cached GET answered 304.
func BenchmarkServeNotModified(b *testing.B) {
	benchServe(b, get("/data.txt", "If-None-Match: "+etagData), 304)
}

// BenchmarkServeNotFound is a miss, which walks the file system each time.
func BenchmarkServeNotFound(b *testing.B) { benchServe(b, get("/nope.txt"), 404) }

// BenchmarkServeBigFile streams 100 kB through the copy buffer.
func BenchmarkServeBigFile(b *testing.B) {
	b.SetBytes(bigSize)
	benchServe(b, get("/big.bin"), 200)
}
