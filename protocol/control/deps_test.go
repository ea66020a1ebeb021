package control

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps the package on the standard library and
// protocol/tnetstring, as doc.go promises.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		first, _, _ := strings.Cut(imp, "/")
		if strings.Contains(first, ".") && imp != "github.com/bareku/bareku/protocol/tnetstring" {
			t.Errorf("imports %s", imp)
		}
	}
	if len(pkg.Imports) == 0 {
		t.Error("found no imports: is the package directory right?")
	}
}
