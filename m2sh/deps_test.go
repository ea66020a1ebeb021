package m2sh

import (
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The layering of the configuration side: config/m2conf is standard
// library only, config adds only the SQLite driver, and m2sh reaches the
// database through config (never the driver), the control port through
// protocol, and never imports the server.
func TestImportEdges(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not in PATH")
	}
	const mod = "github.com/bareku/bareku/"
	nonStd := func(format, pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", "-f", format, mod+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		fields := strings.Fields(string(out))
		slices.Sort(fields)
		return fields
	}
	const allNonStd = "{{if not .Standard}}{{.ImportPath}}{{end}}"
	tests := []struct {
		pkg  string
		want []string
	}{
		{"config/m2conf", []string{mod + "config/m2conf"}},
		{"config", []string{mod + "config", "github.com/mattn/go-sqlite3"}},
		{"m2sh", []string{mod + "config", mod + "config/m2conf", mod + "config/route", mod + "m2sh",
			mod + "protocol/control", mod + "protocol/tnetstring", mod + "protocol/zmq",
			"github.com/mattn/go-sqlite3", "github.com/pebbe/zmq4"}},
	}
	for _, tc := range tests {
		if got := nonStd(allNonStd, tc.pkg); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s depends on %v, want %v", tc.pkg, got, tc.want)
		}
	}
	out, err := exec.Command("go", "list", "-f", "{{join .Imports \" \"}}", mod+"m2sh").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "go-sqlite3") {
		t.Errorf("m2sh imports the SQLite driver directly: %s", out)
	}
}
