package config

import (
	"path/filepath"
	"testing"
)

// Load is not on the request path (it runs at startup and on reload), but
// its cost bounds how fast a reload can be: most of it is the 857-row MIME
// table.
func BenchmarkLoad(b *testing.B) {
	path := filepath.Join(b.TempDir(), "config.sqlite")
	if err := Write(path, testDataset()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(path, testUUID); err != nil {
			b.Fatal(err)
		}
	}
}
