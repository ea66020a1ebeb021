// Command holdconns opens N connections to a server, sends one request on
// each and keeps them all open until killed: the load of the idle
// keep-alive and long-polling benchmarks (idle_conns.sh, longpoll.sh).
//
//	holdconns -addr 127.0.0.1:28080 -n 10000 -path /handler [-wait]
//
// With -wait each connection waits for the first bytes of its response
// before the next one is opened.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:28080", "server address")
	n := flag.Int("n", 10000, "connections")
	path := flag.String("path", "/handler", "request path")
	wait := flag.Bool("wait", false, "wait for each response before opening the next connection")
	flag.Parse()
	conns := make([]net.Conn, 0, *n)
	buf := make([]byte, 4096)
	req := []byte("GET " + *path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
	for i := 0; i < *n; i++ {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial", i, err)
			break
		}
		if _, err := c.Write(req); err != nil {
			fmt.Fprintln(os.Stderr, "write", i, err)
			break
		}
		if *wait {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadAtLeast(c, buf, 12); err != nil {
				fmt.Fprintln(os.Stderr, "read", i, err)
				break
			}
		}
		conns = append(conns, c)
	}
	fmt.Println("open", len(conns))
	select {}
}
