package static

import "testing"

// sink is a plain io.Writer (no ReadFrom), like a TLS connection.
type sink struct{ n int64 }

func (s *sink) Write(p []byte) (int, error) { s.n += int64(len(p)); return len(p), nil }

func benchServe(b *testing.B, raw string, want int) {
	benchServeDir(b, raw, want, Limits{})
}

func benchServeDir(b *testing.B, raw string, want int, lim Limits) {
	root := makeFeatureTree(b)
	d := newFeatureDir(b, root, lim)
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

// features is the Limits with ranges and precompressed siblings on.
var features = Limits{Ranges: true, Precompressed: true}

// BenchmarkServeSmallFileFeatures is BenchmarkServeSmallFile with ranges
// and precompressed siblings on (one more stat, of the directory).
func BenchmarkServeSmallFileFeatures(b *testing.B) {
	benchServeDir(b, get("/data.txt", "Accept-Encoding: gzip, deflate, br"), 200, features)
}

// BenchmarkServeRange is a single range of a cached small file.
func BenchmarkServeRange(b *testing.B) {
	benchServeDir(b, get("/data.txt", "Range: bytes=0-4"), 206, features)
}

// BenchmarkServeRangeBig is an open-ended range of big.bin, streamed.
func BenchmarkServeRangeBig(b *testing.B) {
	b.SetBytes(bigSize - 500)
	benchServeDir(b, get("/big.bin", "Range: bytes=500-"), 206, features)
}

// BenchmarkServeMultipart is two ranges of a small file.
func BenchmarkServeMultipart(b *testing.B) {
	benchServeDir(b, get("/data.txt", "Range: bytes=0-1,6-7"), 206, features)
}

// BenchmarkServePrecompressed sends the br sibling of a file.
func BenchmarkServePrecompressed(b *testing.B) {
	benchServeDir(b, get("/enc/both.txt", "Accept-Encoding: gzip, deflate, br"), 200, features)
}
