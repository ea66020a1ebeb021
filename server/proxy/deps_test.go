package proxy

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps the package on the standard library, config and
// protocol/http1, as doc.go promises.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"github.com/bareku/bareku/config":         true,
		"github.com/bareku/bareku/protocol/http1": true,
	}
	for _, imp := range pkg.Imports {
		first, _, _ := strings.Cut(imp, "/")
		if strings.Contains(first, ".") && !allowed[imp] {
			t.Errorf("imports %s", imp)
		}
	}
}
