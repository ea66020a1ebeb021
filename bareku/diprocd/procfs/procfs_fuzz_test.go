package procfs

import (
	"strings"
	"testing"
)

func FuzzParseStat(f *testing.F) {
	f.Add([]byte(tricky))
	f.Add([]byte("1 (systemd) S 0 1 1 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 1 0 2 2998272 420 1 1 1\n"))
	f.Add([]byte("7 ()) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStat(b)
		if err != nil {
			return
		}
		if s.PID <= 0 || s.State == 0 || strings.Contains(string(b), "("+s.Command+")") == false {
			t.Fatalf("accepted %q as %+v", b, s)
		}
	})
}
