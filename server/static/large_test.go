package static

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestLargeFileStreams serves a 50 MB sparse file, whole and as ranges,
// to a plain writer (the copy loop) and over TCP (sendfile), and checks
// that the bytes allocated meanwhile stay far below the file's size: the
// file is streamed, never read into memory.
func TestLargeFileStreams(t *testing.T) {
	const size = 50 << 20
	const budget = 1 << 20
	root := makeTree(t)
	name := filepath.Join(root, "static", "large.bin")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	// One non-zero byte near the end, to see that the right bytes arrive.
	if _, err := f.WriteAt([]byte{'!'}, size-10); err != nil {
		t.Fatal(err)
	}
	f.Close()
	d := newFeatureDir(t, root, Limits{Ranges: true})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	deadline := time.Now().Add(30 * time.Second)
	client.SetDeadline(deadline)
	server.SetDeadline(deadline)
	received := make(chan int64, 1)
	go func() {
		n, _ := io.Copy(io.Discard, client)
		received <- n
	}()

	for _, tc := range []struct {
		name string
		raw  string
		body int64
	}{
		{"whole", get("/large.bin"), size},
		{"open-ended range", get("/large.bin", "Range: bytes=1000-"), size - 1000},
		{"middle range", get("/large.bin", "Range: bytes=1000000-40999999"), 40_000_000},
		{"suffix range", get("/large.bin", "Range: bytes=-10"), 10},
	} {
		for _, w := range []struct {
			name string
			conn io.Writer
		}{{"plain writer", &sink{}}, {"tcp", server}} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res, err := d.Serve(w.conn, parseRequest(t, tc.raw), "/", testNow)
			runtime.ReadMemStats(&after)
			if err != nil || res.Size != tc.body {
				t.Fatalf("%s, %s: %+v %v", tc.name, w.name, res, err)
			}
			grown := after.TotalAlloc - before.TotalAlloc
			if grown > budget {
				t.Errorf("%s, %s: %d bytes allocated while sending %d", tc.name, w.name, grown, tc.body)
			}
			t.Logf("%s, %s: %d body bytes, %d bytes allocated, heap in use %d", tc.name, w.name, tc.body, grown, after.HeapInuse)
			if s, ok := w.conn.(*sink); ok && s.n < tc.body {
				t.Errorf("%s, %s: %d bytes written", tc.name, w.name, s.n)
			}
		}
	}
	server.Close()
	if n, bodies := <-received, int64(size+(size-1000)+40_000_000+10); n < bodies {
		t.Fatalf("client received %d bytes, want the bodies (%d) and their headers", n, bodies)
	}
	var out bytes.Buffer
	if _, err := d.Serve(&out, parseRequest(t, get("/large.bin", "Range: bytes=-10")), "/", testNow); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "\r\n\r\n!\x00\x00\x00\x00\x00\x00\x00\x00\x00") {
		t.Fatalf("suffix range: %q", out.String())
	}
}
