package route

import (
	"fmt"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct{ path, prefix, pattern string }{
		{`/users/(\d+)`, "/users/", `(\d+)`},
		{`/img/(.*).jpg$`, "/img/", `(.*).jpg$`},
		{"/users", "/users", ""},
		{"/users()$", "/users", "()$"},
		{"(.*)", "", "(.*)"},
		{"", "", ""},
		{"/a(b)(c)", "/a", "(b)(c)"},
	}
	for _, tt := range tests {
		prefix, pattern := Split(tt.path)
		if prefix != tt.prefix || pattern != tt.pattern {
			t.Errorf("Split(%q) = %q, %q; want %q, %q", tt.path, prefix, pattern, tt.prefix, tt.pattern)
		}
	}
}

func TestSplitReversed(t *testing.T) {
	tests := []struct{ matching, prefix, pattern string }{
		{"(.*).wild.org", "gro.dliw.", "(.*)$"},
		{"example.com", "moc.elpmaxe", ""},
		{"*.example.com", "moc.elpmaxe.*", ""},
		{"(X+)foo", "oof", "(X+)$"},
		{"(a)(b)c", "c", "(a)(b)$"},
		{"(a).b)c", "c", "(a).b)$"},
		{"(x)", "", "(x)$"},
	}
	for _, tt := range tests {
		prefix, pattern := SplitReversed(tt.matching)
		if prefix != tt.prefix || pattern != tt.pattern {
			t.Errorf("SplitReversed(%q) = %q, %q; want %q, %q", tt.matching, prefix, pattern, tt.prefix, tt.pattern)
		}
	}
}

// table builds a Table whose targets are the route paths themselves.
func table(paths ...string) *Table[string] {
	var t Table[string]
	for _, p := range paths {
		t.Add(p, p)
	}
	return &t
}

func checkRoutes(t *testing.T, tab *Table[string], cases map[string]string) {
	t.Helper()
	for path, want := range cases {
		got := "<none>"
		if r := tab.Match([]byte(path)); r != nil {
			got = r.Target
			if r.Path != r.Target {
				t.Errorf("Match(%q).Path = %q, target %q", path, r.Path, r.Target)
			}
		}
		if got != want {
			t.Errorf("Match(%q) = %s, want %s", path, got, want)
		}
	}
}

func TestTableMatch(t *testing.T) {
	t.Run("spec consequences", func(t *testing.T) {
		tab := table("/", "/users", "/foobar/", "/handler", "/tnet", "/ttl/")
		checkRoutes(t, tab, map[string]string{
			"/usersXYZ": "/users",
			"/x":        "/",
			"/":         "/",
			"/users":    "/users",
			"/users/1":  "/users",
			"/us":       "/users", // shorter path matches the longer route
			"/u":        "/users",
			"/f":        "/foobar/",
			"/foo":      "/foobar/",
			"/foobar":   "/foobar/",
			"/foobar/x": "/foobar/",
			"/fox":      "/",
			"/h":        "/handler",
			"/t":        "/tnet", // first key inserted below "/t"
			"/tt":       "/ttl/",
			"/ttl":      "/ttl/",
			"/tnet/a/b": "/tnet",
			"":          "<none>",
			"x":         "<none>",
		})
	})
	t.Run("equal links follow insertion order", func(t *testing.T) {
		checkRoutes(t, table("/", "/ttl/", "/tnet"), map[string]string{"/t": "/ttl/"})
	})
	t.Run("no trailing slash normalization", func(t *testing.T) {
		checkRoutes(t, table("/", "/static/"), map[string]string{
			"/static":  "/static/",
			"/static/": "/static/",
			"/statik":  "/",
		})
	})
	t.Run("pattern routes", func(t *testing.T) {
		tab := table(`/pat/(\d+)`, `/img/(.*).jpg$`)
		checkRoutes(t, tab, map[string]string{
			"/pat/123":    `/pat/(\d+)`,
			"/pat/123abc": `/pat/(\d+)`,
			"/pat/":       "<none>",
			"/pat/abc":    "<none>",
			"/pat":        "<none>", // selects the route, but shorter than its prefix
			"/img/x.jpg":  `/img/(.*).jpg$`,
			"/img/x.png":  "<none>",
			"/img/x.jpgz": "<none>",
		})
	})
	t.Run("routing_tests simple prefix", func(t *testing.T) {
		tab := table("/", "/users/([0-9]+)", "/users", "/users/people/([0-9]+)$", "/cars-fast/([a-z]-)$")
		checkRoutes(t, tab, map[string]string{
			"/users/1234/testing":             "/users/([0-9]+)",
			"/users":                          "/users",
			"/users/people/1234":              "/users/people/([0-9]+)$",
			"/cars-fast/cadillac":             "/cars-fast/([a-z]-)$",
			"/users/1234":                     "/users/([0-9]+)",
			"/":                               "/",
			"/usersBLAAHAHAH":                 "/users",
			"/us":                             "/users",
			"/users/people/1234/notgonnawork": "<none>",
			"/cars-fast/cadillac9":            "<none>",
		})
	})
	t.Run("routing_tests pattern fallback", func(t *testing.T) {
		tab := table("/", "/img/(.*).jpg$", "/img/(.*).png$")
		checkRoutes(t, tab, map[string]string{
			"/img/foo.jpg": "/img/(.*).jpg$",
			"/img/foo.png": "/img/(.*).png$",
			"/img/foo.bmp": "<none>", // "/" is no fallback once /img/ is selected
			"/imx":         "/",
		})
	})
	t.Run("exact with $", func(t *testing.T) {
		tab := table("/", "/users()$")
		checkRoutes(t, tab, map[string]string{
			"/users":  "/users()$",
			"/usersX": "<none>",
			"/us":     "<none>",
		})
	})
	t.Run("case sensitive", func(t *testing.T) {
		checkRoutes(t, table("/", "/Users"), map[string]string{
			"/Users": "/Users",
			"/users": "/",
		})
	})
}

func TestTableChainOrder(t *testing.T) {
	// All four routes share the prefix /a/ and every pattern matches
	// "/a/1", so the winner is the first in chain order 1st, last, …, 2nd.
	tab := table("/a/(1)", "/a/(.)", "/a/(\\d)", "/a/(.*)")
	var order []string
	for r := tab.Match([]byte("/a/1")); r != nil; r = r.next {
		order = append(order, r.Path)
	}
	want := []string{"/a/(1)", "/a/(.*)", "/a/(\\d)", "/a/(.)"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("chain = %q, want %q", order, want)
	}
	checkRoutes(t, tab, map[string]string{
		"/a/1": "/a/(1)",
		"/a/2": "/a/(.*)", // the last inserted is tried second
		"/a/":  "/a/(.*)",
		"/a":   "<none>",
	})

	// Duplicate paths chain too; the first inserted wins.
	var dup Table[int]
	dup.Add("/d", 1)
	dup.Add("/d", 2)
	if r := dup.Match([]byte("/d")); r == nil || r.Target != 1 {
		t.Errorf("duplicate route: got %v, want target 1", r)
	}

	// A head without a pattern wins even when a chained route has one.
	checkRoutes(t, table("/b", "/b(x)$"), map[string]string{"/by": "/b"})
	// A pattern-less route chained behind a pattern head matches by prefix.
	checkRoutes(t, table("/c(x)$", "/c"), map[string]string{
		"/cx": "/c(x)$",
		"/cy": "/c",
	})
}

func TestTableEmptyPrefix(t *testing.T) {
	// An empty prefix is stored under the byte 0, out of reach of any path
	// without a NUL, exactly like Mongrel2's C string key.
	checkRoutes(t, table("(.*)"), map[string]string{"/foo": "<none>", "\x00x": "(.*)"})
	// Inserted after "/", it is chained to the root's route.
	tab := table("/", "(.*)")
	checkRoutes(t, tab, map[string]string{"/x": "/"})
	if r := tab.Match([]byte("/x")); r.next == nil || r.next.Path != "(.*)" {
		t.Errorf("(.*) not chained behind the root route")
	}
}

func TestTableMatchAllocs(t *testing.T) {
	tab := table("/", "/users/([0-9]+)", "/users", "/img/(.*).jpg$", "/img/(.*).png$")
	path := []byte("/img/foo.png")
	if n := testing.AllocsPerRun(100, func() { tab.Match(path) }); n != 0 {
		t.Errorf("Table.Match allocates %v times per call", n)
	}
	var h HostTable[int]
	h.Add("(.*).wild.org", 1)
	name := []byte("a.b.wild.org")
	if n := testing.AllocsPerRun(100, func() { h.Match(name) }); n != 0 {
		t.Errorf("HostTable.Match allocates %v times per call", n)
	}
}

func TestHostTable(t *testing.T) {
	tests := []struct {
		hosts []string
		name  string
		want  string
	}{
		{[]string{"example.com"}, "example.com", "example.com"},
		{[]string{"example.com"}, "www.example.com", "example.com"},
		{[]string{"example.com"}, "badexample.com", "example.com"},
		{[]string{"example.com"}, "ample.com", "example.com"}, // shorter-than-key rule
		{[]string{"example.com"}, "m", "example.com"},
		{[]string{"example.com"}, "example.org", ""},
		{[]string{"example.com"}, "Example.com", ""},
		{[]string{"example.com"}, "EXAMPLE.COM", ""},
		{[]string{"example.com"}, "", ""},
		{[]string{"(.*).wild.org"}, "a.b.wild.org", "(.*).wild.org"},
		{[]string{"(.*).wild.org"}, ".wild.org", "(.*).wild.org"},
		{[]string{"(.*).wild.org"}, "wild.org", ""},
		{[]string{"(.*).wild.org"}, "a.b.WILD.org", ""},
		{[]string{"*.example.com"}, "www.example.com", ""},
		{[]string{"*.example.com"}, "*.example.com", "*.example.com"},
		{[]string{"localhost", "(.*).wild.org", "example.com"}, "x.wild.org", "(.*).wild.org"},
		{[]string{"localhost", "(.*).wild.org", "example.com"}, "localhost", "localhost"},
		{[]string{"localhost", "(.*).wild.org", "example.com"}, "host", "localhost"},
		{[]string{"localhost", "(.*).wild.org", "example.com"}, "nope", ""},
		// Only the chain head is tried.
		{[]string{"(a)x.org", "(b)x.org"}, "bx.org", ""},
		{[]string{"(a)x.org", "(b)x.org"}, "ax.org", "(a)x.org"},
		// routing_tests reversed.
		{[]string{"(X+)foo", "moo", "fio"}, "Xfoo", "(X+)foo"},
		{[]string{"(X+)foo", "moo", "fio"}, "moo", "moo"},
		{[]string{"(X+)foo", "moo", "fio"}, "fio", "fio"},
		{[]string{"(X+)foo", "moo", "fio"}, "XXXXXXXXXfoo", "(X+)foo"},
		{[]string{"(X+)foo", "moo", "fio"}, "YYYfoo", ""},
		{[]string{"(X+)foo", "moo", "fio"}, "XXXoo", ""},
		{[]string{"(X+)foo", "moo", "fio"}, "XXX.stuff.foo", ""},
	}
	for _, tt := range tests {
		var h HostTable[string]
		for _, m := range tt.hosts {
			h.Add(m, m)
		}
		got, ok := h.Match([]byte(tt.name))
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("hosts %q: Match(%q) = %q, %v; want %q", tt.hosts, tt.name, got, ok, tt.want)
		}
	}
}

func TestRouteStored(t *testing.T) {
	var tab Table[int]
	tab.Add(`/users/(\d+)`, 0)
	tab.AddReversed("(.*).wild.org", 0)
	tab.AddReversed("example.com", 0)
	tests := []struct {
		r              *Route[int]
		stored, prefix string
	}{
		{tab.Match([]byte("/users/12")), `/users/(\d+)`, "/users/"},
		{tab.MatchSuffix([]byte("www.wild.org")), "(.*)$", "gro.dliw."},
		{tab.MatchSuffix([]byte("ample.com")), "example.com", "moc.elpmaxe"},
	}
	for _, tt := range tests {
		if tt.r == nil {
			t.Errorf("no route for %q", tt.stored)
			continue
		}
		if tt.r.Stored() != tt.stored || tt.r.Prefix != tt.prefix {
			t.Errorf("route %q: Stored() = %q, Prefix = %q; want %q, %q", tt.r.Path, tt.r.Stored(), tt.r.Prefix, tt.stored, tt.prefix)
		}
	}
}

func BenchmarkTableMatch(b *testing.B) {
	tab := table("/", "/users", "/foobar/", "/handler", "/tnet", "/ttl/",
		"/users/([0-9]+)", "/img/(.*).jpg$", "/img/(.*).png$", "/static/", "/api/v1/(.-)/items$")
	for _, path := range []string{"/handler", "/users/1234/testing", "/img/holiday/cat.png", "/api/v1/shop/items", "/nowhere/at/all"} {
		p := []byte(path)
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tab.Match(p)
			}
		})
	}
}

func BenchmarkHostTableMatch(b *testing.B) {
	var h HostTable[int]
	for i, m := range []string{"localhost", "example.com", "(.*).wild.org", "api.example.net", "(.+).apps.bareku.dev"} {
		h.Add(m, i)
	}
	name := []byte("myapp.apps.bareku.dev")
	b.ReportAllocs()
	for b.Loop() {
		h.Match(name)
	}
}
