// Command m2bench measures the throughput and latency of HTTP servers and
// of Mongrel2 handlers, and compares two servers under the same load.
//
//	m2bench http    [flags] URL
//	m2bench handler [flags]
//	m2bench compare [flags] URL_A URL_B
//
// It is a thin shell over benchmarks/m2bench.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bareku/bareku/benchmarks/m2bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := m2bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
