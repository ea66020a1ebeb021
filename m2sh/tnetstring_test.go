package m2sh

import (
	"fmt"
	"testing"

	"github.com/bareku/bareku/config/m2conf"
)

// Each want is the filter.settings text m2sh 1.12.2 stored for the dict.
func TestRenderSettingsMatchesM2sh(t *testing.T) {
	tests := []struct {
		name string
		dict string
		want string
	}{
		{"empty", `{}`, "0:}"},
		{"examples/configs/filters.conf", `{"extensions": ["*.html", "*.txt"], "min_size": 1000}`,
			"53:8:min_size,4:1000#10:extensions,17:6:*.html,5:*.txt,]}"},
		{"hash order, nesting, saturated number, reference",
			`{'z': 1, 'a': 'x', 'm': [1, 'two', {'k': 99999999999999999999999}, []], 'n': {}, 'q': ref, 'e': 007}`,
			"95:1:m,44:1:1#3:two,27:1:k,19:9223372036854775807#}0:]]1:n,0:}1:z,1:1#1:a,1:x,1:e,1:7#1:q,5:hello,}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := m2conf.Parse("t.conf", []byte("s = "+tc.dict+"\nref = 'hello'"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := renderSettings("t.conf", f.Lookup("s").Value.(*m2conf.Dict))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestRenderSettingsRejectsClasses(t *testing.T) {
	f, err := m2conf.Parse("t.conf", []byte("s = {'a': [Dir(base='x/')]}"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = renderSettings("t.conf", f.Lookup("s").Value.(*m2conf.Dict))
	want := "t.conf:1:12: a class cannot be stored in plugin settings (only strings, numbers, lists and dicts)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestHashRenderOrderGrowsTheTable(t *testing.T) {
	// Past 128 keys the table doubles; every key must still come out
	// exactly once. (The exact order is checked against m2sh by the
	// differential test with testdata/plugins.conf.)
	var keys []string
	for i := range 300 {
		keys = append(keys, fmt.Sprintf("k%03d", i))
	}
	order := hashRenderOrder(keys)
	seen := map[int]bool{}
	for _, i := range order {
		if seen[i] {
			t.Fatalf("key %d rendered twice", i)
		}
		seen[i] = true
	}
	if len(order) != len(keys) {
		t.Fatalf("rendered %d keys, want %d", len(order), len(keys))
	}
}

func TestFNV1a(t *testing.T) {
	tests := map[string]uint32{
		"":       2166136261,
		"a":      0xe40c292c,
		"a\x00b": 0xe40c292c, // C strings end at NUL
		"foobar": 0xbf9cf968,
	}
	for in, want := range tests {
		if got := fnv1a(in); got != want {
			t.Errorf("fnv1a(%q) = %#x, want %#x", in, got, want)
		}
	}
}
