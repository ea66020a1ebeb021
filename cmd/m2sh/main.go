// Command m2sh manages the config database of a Mongrel2-compatible
// server; see package m2sh.
package main

import (
	"os"

	"github.com/bareku/bareku/m2sh"
)

func main() {
	os.Exit(m2sh.Main(os.Args[1:], os.Stdout, os.Stderr))
}
