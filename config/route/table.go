package route

import "strings"

// Route is one entry of a [Table]. Its fields must not be changed once the
// route has been added.
type Route[T any] struct {
	// Path is the route string as configured (the route.path or
	// host.matching column). For HTTP routes it is what handlers receive as
	// the PATTERN header.
	Path string
	// Prefix is the literal key stored in the tree: the text before the
	// first '(' for routes; the text after the last ')', reversed, for
	// host routes.
	Prefix string
	// Pattern is what the pattern matcher sees: the text from the first '('
	// on for routes; the text up to and including the last ')' followed by
	// '$' for host routes. It is empty when the route has no pattern.
	Pattern string
	// Target is the value the route leads to.
	Target T

	stored  string // Mongrel2's route->pattern: Path, or Pattern for host routes with one
	pattern []byte // Pattern, kept as bytes so matching does not allocate
	storedB []byte // stored, as bytes
	next    *Route[T]
}

// Stored returns the pattern string Mongrel2 keeps for the route, which
// `m2sh route` prints as pattern='…': the path itself for routes, and for
// host routes with a pattern the part up to the last ')' followed by '$'.
func (r *Route[T]) Stored() string { return r.stored }

// Split splits a route path at its first '(' into the literal prefix and the
// pattern; without '(' the whole path is the prefix and the pattern is empty.
func Split(path string) (prefix, pattern string) {
	if i := strings.IndexByte(path, '('); i >= 0 {
		return path[:i], path[i:]
	}
	return path, ""
}

// SplitReversed splits a host matching string at its last ')' the way
// Mongrel2 inserts hosts: the text after the ')' is the literal suffix,
// returned reversed, and the text up to and including the ')' followed by
// '$' is the pattern. Without ')' the whole string, reversed, is the prefix
// and the pattern is empty. SplitReversed("(.*).wild.org") returns
// "gro.dliw.", "(.*)$".
func SplitReversed(matching string) (reversedSuffix, pattern string) {
	i := strings.LastIndexByte(matching, ')')
	if i < 0 {
		return reverse(matching), ""
	}
	return reverse(matching[i+1:]), matching[:i+1] + "$"
}

func reverse(s string) string {
	b := make([]byte, len(s))
	for i := range len(s) {
		b[len(s)-1-i] = s[i]
	}
	return string(b)
}

// Table is Mongrel2's RouteMap: routes keyed by their literal prefix in a
// ternary search tree. Routes whose keys are equal share one tree node and
// form a chain in the order 1st, last, …, 2nd (each later route is linked
// right after the first).
//
// A Table is built once and then only read: Add must not run concurrently
// with anything else, while Match and MatchSuffix may run from any number of
// goroutines.
type Table[T any] struct {
	nodes []node[T] // nodes[0] is unused so that index 0 means "none"
	root  int32
}

type node[T any] struct {
	c          byte
	lo, eq, hi int32
	route      *Route[T]
}

// Add inserts a route: the path is split with [Split], its prefix keys the
// tree and its pattern, if any, is matched against the rest of the path.
func (t *Table[T]) Add(path string, target T) {
	prefix, pattern := Split(path)
	t.insert(&Route[T]{
		Path:    path,
		Prefix:  prefix,
		Pattern: pattern,
		Target:  target,
		stored:  path,
		pattern: []byte(pattern),
		storedB: []byte(path),
	})
}

// AddReversed inserts a host route: the matching string is split with
// [SplitReversed], so that the tree is keyed by its reversed literal suffix.
// Use it with MatchSuffix.
func (t *Table[T]) AddReversed(matching string, target T) {
	prefix, pattern := SplitReversed(matching)
	stored := matching
	if pattern != "" {
		stored = pattern
	}
	t.insert(&Route[T]{
		Path:    matching,
		Prefix:  prefix,
		Pattern: pattern,
		Target:  target,
		stored:  stored,
		pattern: []byte(pattern),
		storedB: []byte(stored),
	})
}

// insert chains r after the route already stored under the same key, or
// stores it in a new tree node.
func (t *Table[T]) insert(r *Route[T]) {
	if head := t.search(r.Prefix); head != nil {
		r.next = head.next
		head.next = r
		return
	}
	key := r.Prefix
	if key == "" {
		// Mongrel2 inserts an empty key as its C string terminator; such a
		// route can only be reached by a path containing a NUL byte.
		key = "\x00"
	}
	if len(t.nodes) == 0 {
		t.nodes = append(t.nodes, node[T]{})
	}
	if t.root == 0 {
		t.root = t.newNode(key[0])
	}
	n := t.root
	for i := 0; ; {
		// Children are created by index, not through a pointer into
		// t.nodes, because appending may move the slice.
		switch c := key[i]; {
		case c < t.nodes[n].c:
			if t.nodes[n].lo == 0 {
				child := t.newNode(c)
				t.nodes[n].lo = child
			}
			n = t.nodes[n].lo
		case c > t.nodes[n].c:
			if t.nodes[n].hi == 0 {
				child := t.newNode(c)
				t.nodes[n].hi = child
			}
			n = t.nodes[n].hi
		case i+1 < len(key):
			i++
			if t.nodes[n].eq == 0 {
				child := t.newNode(key[i])
				t.nodes[n].eq = child
			}
			n = t.nodes[n].eq
		default:
			t.nodes[n].route = r
			return
		}
	}
}

func (t *Table[T]) newNode(c byte) int32 {
	t.nodes = append(t.nodes, node[T]{c: c})
	return int32(len(t.nodes) - 1)
}

// search returns the route stored under exactly key. Like Mongrel2's
// tst_search, an empty key finds the route of the root node.
func (t *Table[T]) search(key string) *Route[T] {
	n := t.root
	for i := 0; i < len(key) && n != 0; {
		nd := &t.nodes[n]
		switch {
		case key[i] < nd.c:
			n = nd.lo
		case key[i] > nd.c:
			n = nd.hi
		default:
			i++
			if i < len(key) {
				n = nd.eq
			}
		}
	}
	if n == 0 {
		return nil
	}
	return t.nodes[n].route
}

// lookup is Mongrel2's tst_search_prefix (or tst_search_suffix when
// fromEnd is set, walking s from its last byte). It returns the head of the
// chain of the deepest stored key that is a proper prefix of s; but when s
// is consumed entirely it takes the node of s's last byte and, if that node
// has no route, follows equal links down to the first node that has one,
// whose key is then longer than s.
func (t *Table[T]) lookup(s []byte, fromEnd bool) *Route[T] {
	if len(s) == 0 {
		return nil
	}
	n, last := t.root, int32(0)
	for i := 0; i < len(s) && n != 0; {
		c := s[i]
		if fromEnd {
			c = s[len(s)-1-i]
		}
		nd := &t.nodes[n]
		switch {
		case c < nd.c:
			n = nd.lo
		case c > nd.c:
			n = nd.hi
		default:
			i++
			if i < len(s) {
				if nd.route != nil {
					last = n
				}
				n = nd.eq
			}
		}
	}
	if n == 0 {
		n = last
	}
	for n != 0 && t.nodes[n].route == nil {
		n = t.nodes[n].eq
	}
	if n == 0 {
		return nil
	}
	return t.nodes[n].route
}

// Match finds the route for a request path (Mongrel2's
// RouteMap_simple_prefix_match) and returns nil when there is none.
//
// The tree lookup selects a chain (see lookup). If the head route has no
// pattern it is the match. Otherwise each route of the chain in turn
// matches its pattern against the path after the route's prefix (a path
// shorter than the prefix fails); the first success wins and no success
// means no match, even if a shorter prefix such as "/" exists.
//
// Match does not allocate.
func (t *Table[T]) Match(path []byte) *Route[T] {
	head := t.lookup(path, false)
	if head == nil || head.Pattern == "" {
		return head
	}
	for r := head; r != nil; r = r.next {
		// A pattern-less route chained behind a pattern route matches any
		// path at least as long as its prefix: in Mongrel2 this case reads
		// the byte before the route string, which is undefined.
		if len(path) >= len(r.Prefix) && Match(r.pattern, path[len(r.Prefix):]) {
			return r
		}
	}
	return nil
}

// MatchSuffix finds the route for a host name (Mongrel2's
// RouteMap_match_suffix) in a table built with AddReversed, and returns nil
// when there is none. The tree is walked from the end of name; only the
// head of the selected chain is tried. If it has a pattern, the pattern
// (which ends in '$') must match the part of name before the suffix.
//
// MatchSuffix does not allocate.
func (t *Table[T]) MatchSuffix(name []byte) *Route[T] {
	r := t.lookup(name, true)
	if r == nil || r.Pattern == "" {
		return r
	}
	n := len(name) - len(r.Prefix)
	if n < 0 || !Match(r.storedB, name[:n]) {
		return nil
	}
	return r
}

// HostTable selects a host by its name the way Mongrel2 does (spec §4.4):
// each host's matching string is split at its last ')', the literal suffix
// after it keys the tree (reversed) and the part up to the ')' becomes an
// end-anchored pattern for the rest of the name.
//
// Like Table, a HostTable is built once and then read concurrently.
type HostTable[T any] struct {
	t Table[T]
}

// Add inserts a host under its matching string.
func (h *HostTable[T]) Add(matching string, target T) {
	h.t.AddReversed(matching, target)
}

// Match returns the target of the host selected by hostName, or false when
// no host matches (the caller then uses the server's default host).
// Matching is case-sensitive. Match does not allocate.
func (h *HostTable[T]) Match(hostName []byte) (T, bool) {
	if r := h.t.MatchSuffix(hostName); r != nil {
		return r.Target, true
	}
	var zero T
	return zero, false
}

// MatchRoute is Match returning the selected route itself, or nil.
func (h *HostTable[T]) MatchRoute(hostName []byte) *Route[T] {
	return h.t.MatchSuffix(hostName)
}
