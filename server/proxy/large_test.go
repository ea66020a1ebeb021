package proxy

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/config"
)

const largeSize = 20 << 20

// pattern is a reader of n bytes of a repeating pattern.
func pattern(n int64) io.Reader {
	block := []byte(strings.Repeat("0123456789abcdef", 4096))
	return io.LimitReader(&repeater{block: block}, n)
}

type repeater struct {
	block []byte
	off   int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := copy(p, r.block[r.off:])
	r.off = (r.off + n) % len(r.block)
	return n, nil
}

func digest(r io.Reader) (string, int64) {
	h := sha256.New()
	n, _ := io.Copy(h, r)
	return fmt.Sprintf("%x", h.Sum(nil)), n
}

// TestLargeBodies streams 20 MB up and 20 MB down through the proxy, with
// Content-Length and chunked framing, and checks that the proxy buffers
// none of it: the whole process allocates far less than one body.
func TestLargeBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 160 MB over loopback")
	}
	want, _ := digest(pattern(largeSize))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, n := digest(r.Body)
		w.Header().Set("X-Upload", fmt.Sprintf("%d %v", n, got == want))
		if r.URL.Path == "/length" {
			w.Header().Set("Content-Length", strconv.Itoa(largeSize))
		}
		io.Copy(w, pattern(largeSize))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	p := New(&config.Proxy{Addr: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}, Options{})
	defer p.Close()
	fr := startFront(t, p)

	for _, tc := range []struct {
		path    string
		chunked bool
	}{
		{"/length", false},
		{"/chunked", true},
	} {
		t.Run(tc.path, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)

			c, err := net.Dial("tcp", fr.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(60 * time.Second))
			go func() {
				w := bufio.NewWriterSize(c, 32<<10)
				if tc.chunked {
					fmt.Fprintf(w, "POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", tc.path)
					buf := make([]byte, 10000)
					r := pattern(largeSize)
					for {
						n, _ := io.ReadFull(r, buf)
						if n == 0 {
							break
						}
						fmt.Fprintf(w, "%x\r\n", n)
						w.Write(buf[:n])
						w.WriteString("\r\n")
					}
					w.WriteString("0\r\n\r\n")
				} else {
					fmt.Fprintf(w, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", tc.path, largeSize)
					io.Copy(w, pattern(largeSize))
				}
				w.Flush()
			}()
			resp, err := http.ReadResponse(bufio.NewReaderSize(c, 32<<10), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, n := digest(resp.Body)
			resp.Body.Close()
			if n != largeSize || got != want {
				t.Errorf("download: %d bytes, digest ok %v", n, got == want)
			}
			if up := resp.Header.Get("X-Upload"); up != fmt.Sprintf("%d true", largeSize) {
				t.Errorf("upload: %q", up)
			}
			if tc.chunked != (len(resp.TransferEncoding) > 0) {
				t.Errorf("transfer-encoding %v", resp.TransferEncoding)
			}

			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > 4<<20 {
				t.Errorf("allocated %d bytes moving two %d-byte bodies", alloc, largeSize)
			}
			t.Logf("process allocated %d KiB in all", alloc>>10)
		})
	}
}
