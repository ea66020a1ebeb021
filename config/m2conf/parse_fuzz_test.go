package m2conf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("../testdata/*.conf")
	for _, p := range paths {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte(specExample))
	for _, s := range []string{
		"x = [, 1 2 {'a': [3]}]",
		"x = y\ny = x",
		"x = '/esc\\'q' # c",
		"Main = Server()",
		"x = {'a': 1,}",
		"x = Dir(, base='a/' base='b/')",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("f.conf", src)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v is not a non-empty ErrorList", err)
			}
			for _, e := range list {
				if !strings.HasPrefix(e.Error(), "f.conf:") {
					t.Fatalf("error %q does not name the file", e)
				}
			}
			return
		}
		if len(file.Vars) == 0 {
			t.Fatal("parsed a file with no assignments")
		}
		for _, a := range file.Vars {
			checkValue(t, a.Value)
		}
	})
}

// checkValue asserts the invariants of a successfully parsed value: every
// reference is resolved to a non-reference, and every dict walk yields each
// distinct key once.
func checkValue(t *testing.T, v Value) {
	if !v.Pos().IsValid() {
		t.Fatalf("%s value without a position", v.Kind())
	}
	switch v := v.(type) {
	case *Ref:
		if v.Target == nil {
			t.Fatalf("unresolved reference %s", v.Name)
		}
		if _, ok := v.Target.(*Ref); ok {
			t.Fatalf("reference %s resolved to another reference", v.Name)
		}
	case *Class:
		for _, a := range v.Args {
			checkValue(t, a.Value)
		}
	case *List:
		for _, e := range v.Elems {
			checkValue(t, e)
		}
	case *Dict:
		seen := map[string]bool{}
		for _, it := range v.Entries() {
			if seen[it.Key] {
				t.Fatalf("key %q walked twice", it.Key)
			}
			seen[it.Key] = true
		}
		for _, it := range v.Items {
			if !seen[it.Key] {
				t.Fatalf("key %q not walked", it.Key)
			}
			checkValue(t, it.Value)
		}
	}
}
