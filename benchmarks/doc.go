// Package benchmarks holds end-to-end benchmarks that run Bareku and
// Debian's Mongrel2 side by side on the same machine. The scripts here are
// run by hand or through make targets, never by the default test run:
// handler_rps.sh drives both servers with wrk, compare.sh with m2bench
// compare over several workloads. Subpackage m2bench is the load generator
// behind cmd/m2bench.
package benchmarks
