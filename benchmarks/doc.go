// Package benchmarks holds end-to-end benchmarks that run Bareku and
// Debian's Mongrel2 side by side on the same machine. The scripts here are
// run by hand or through make targets, never by the default test run.
package benchmarks
