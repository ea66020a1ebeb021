// Command diprocd is the distributed process manager of Bareku's app
// nodes; see package bareku/diprocd.
package main

import (
	"os"

	"github.com/bareku/bareku/bareku/diprocd"
)

func main() {
	os.Exit(diprocd.Main(os.Args[1:], os.Stdout, os.Stderr))
}
