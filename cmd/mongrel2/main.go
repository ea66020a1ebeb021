// Command mongrel2 is the Bareku front-end server, a drop-in replacement for
// Mongrel2 1.12: mongrel2 <config.sqlite> <server_uuid>.
package main

import (
	"os"

	"github.com/bareku/bareku/server"
)

func main() {
	os.Exit(server.Main(os.Args[1:], os.Stderr))
}
