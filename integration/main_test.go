package integration

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/integration/harness"
)

// The Debian binaries every scenario is checked against, and the name their
// subtests run under.
const (
	oracleServer = "/usr/bin/mongrel2"
	oracleM2sh   = "/usr/bin/m2sh"
	oracleName   = "mongrel2"
)

// binaries are this module's cmd/mongrel2 and cmd/m2sh, built once by
// TestMain. An empty path comes with the reason it is missing.
type binaries struct {
	server, m2sh               string
	serverMissing, m2shMissing string
}

// ours is written once by TestMain before any test runs and only read after.
var ours binaries

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if testing.Short() || !oracleInstalled() {
		return m.Run() // every test skips itself
	}
	dir, err := os.MkdirTemp("", "m2it-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ours.server, ours.serverMissing = build(dir, "mongrel2", os.Getenv("BAREKU_MONGREL2"))
	ours.m2sh, ours.m2shMissing = build(dir, "m2sh", os.Getenv("BAREKU_M2SH"))
	return m.Run()
}

// build compiles ./cmd/name of this module into dir, unless prebuilt names
// a binary to use instead (BAREKU_MONGREL2, BAREKU_M2SH: handy for running
// the suite against an installed build, or against the oracle itself to
// check the suite). On failure it returns the reason, shortened for skip
// messages.
func build(dir, name, prebuilt string) (path, missing string) {
	if prebuilt != "" {
		if _, err := os.Stat(prebuilt); err != nil {
			return "", err.Error()
		}
		return prebuilt, ""
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err.Error()
	}
	path = filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", path, "./cmd/"+name)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return "", fmt.Sprintf("cmd/%s does not build yet: %v: %s", name, err, msg)
	}
	return path, ""
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

func oracleInstalled() bool {
	for _, p := range []string{oracleServer, oracleM2sh} {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

// requireOracle skips the test in -short mode or without Debian's mongrel2.
func requireOracle(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration tests start real servers; skipped with -short")
	}
	if !oracleInstalled() {
		t.Skipf("%s or %s not installed (apt-get install mongrel2-core)", oracleServer, oracleM2sh)
	}
}

// candidate is one implementation a scenario runs against, or the reason it
// cannot run.
type candidate struct {
	impl harness.Impl
	skip string
}

// serverImpls are the real server and ours, both fed a database loaded by
// the real m2sh, so that only the server differs.
func serverImpls() []candidate {
	return []candidate{
		{impl: harness.Impl{Name: oracleName, Server: oracleServer, M2sh: oracleM2sh}},
		{impl: harness.Impl{Name: "bareku", Server: ours.server, M2sh: oracleM2sh}, skip: ours.serverMissing},
	}
}

// m2shImpls are the real m2sh and ours, both served by the real mongrel2,
// so that only the database writer differs.
func m2shImpls() []candidate {
	return []candidate{
		{impl: harness.Impl{Name: oracleName, Server: oracleServer, M2sh: oracleM2sh}},
		{impl: harness.Impl{Name: "bareku-m2sh", Server: oracleServer, M2sh: ours.m2sh}, skip: ours.m2shMissing},
	}
}

// settle is how long a test waits for messages that must not arrive.
const settle = 300 * time.Millisecond
