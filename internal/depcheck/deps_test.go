package depcheck

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/bareku/bareku"

// forbidden maps a package prefix (within the module) to the module
// prefixes it must never import, directly or indirectly.
var forbidden = []struct {
	from string
	not  []string
}{
	{"protocol/", []string{"config", "server", "m2sh", "bareku", "handlers"}},
	{"config", []string{"server", "m2sh", "bareku", "handlers"}},
	{"server", []string{"m2sh", "bareku", "handlers"}},
	{"handlers", []string{"server", "config", "m2sh", "bareku"}},
	{"m2sh", []string{"server", "bareku", "handlers"}},
	{"bareku", []string{"server"}},
}

// allowedExternal are the only modules outside the standard library that
// non-test code may use.
var allowedExternal = []string{
	"github.com/pebbe/zmq4",
	"github.com/mattn/go-sqlite3",
	"github.com/gorilla/websocket",
	"github.com/prometheus/",
	"golang.org/x/",
	"google.golang.org/protobuf",
	"github.com/beorn7/perks",
	"github.com/cespare/xxhash",
	"github.com/munnerz/goautoneg",
}

type pkg struct {
	ImportPath string
	Deps       []string
	Standard   bool
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestLayering(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 5 {
		t.Fatalf("only %d packages listed", len(pkgs))
	}
	for _, p := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, rule := range forbidden {
			if !strings.HasPrefix(rel, rule.from) {
				continue
			}
			for _, dep := range p.Deps {
				drel, ok := strings.CutPrefix(dep, module+"/")
				if !ok {
					continue
				}
				for _, bad := range rule.not {
					if drel == bad || strings.HasPrefix(drel, bad+"/") {
						t.Errorf("%s imports %s (forbidden: %s must not depend on %s)", rel, drel, rule.from, bad)
					}
				}
			}
		}
	}
}

func TestOnlyChosenExternalModules(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, dep := range p.Deps {
			if strings.HasPrefix(dep, module) || !strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") {
				continue // our own package or the standard library
			}
			ok := false
			for _, a := range allowedExternal {
				if strings.HasPrefix(dep, a) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s depends on %s, which is not a chosen dependency", p.ImportPath, dep)
			}
		}
	}
}
