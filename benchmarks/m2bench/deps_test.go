package m2bench

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps the package to what doc.go allows: the standard
// library, the protocol packages, config and gorilla/websocket; never
// server.
func TestImports(t *testing.T) {
	allowed := map[string]bool{
		"github.com/bareku/bareku/protocol/zmq":        true,
		"github.com/bareku/bareku/protocol/m2":         true,
		"github.com/bareku/bareku/protocol/tnetstring": true,
		"github.com/bareku/bareku/config":              true,
		"github.com/gorilla/websocket":                 true,
	}
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		first, _, _ := strings.Cut(imp, "/")
		if strings.Contains(first, ".") && !allowed[imp] {
			t.Errorf("imports %s", imp)
		}
	}
}
