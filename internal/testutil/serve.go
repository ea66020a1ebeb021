package testutil

import (
	"net"
	"sync"
	"testing"
)

// ServeTCP accepts connections on a loopback port and runs handle for each
// in its own goroutine, closing the connection after it. It returns the
// address; before the test ends the listener is closed and every handle
// has returned.
func ServeTCP(t testing.TB, handle func(nc net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				handle(nc)
			}()
		}
	}()
	return ln.Addr().String()
}
