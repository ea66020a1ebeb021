package m2conf

// m2sh 1.12.2 keeps every dict (and every class's arguments, and the
// top-level variables) in a ternary search tree and walks dicts with a
// breadth-first traversal of that tree, visiting each node's low, equal and
// high children in that order. Rows are inserted in that walk order, so it
// decides the ids of routes, settings and mimetypes. The tree compares
// bytes as C `char`, which is signed on the platforms Mongrel2 ships on,
// so bytes >= 0x80 sort before ASCII. Inserting a key that is already
// present replaces the value in place: the later entry wins but keeps the
// earlier entry's position.

type tstNode struct {
	split          int8
	low, equal, hi *tstNode
	item           int // index+1 of the winning item, 0 for none
}

// Entries returns the dict's entries in the order m2sh walks them, one per
// distinct key (the last occurrence of a duplicated key).
func (d *Dict) Entries() []*Item {
	keys := make([]string, len(d.Items))
	for i, it := range d.Items {
		keys[i] = it.Key
	}
	order := tstOrder(keys)
	out := make([]*Item, len(order))
	for i, idx := range order {
		out[i] = d.Items[idx]
	}
	return out
}

// tstOrder inserts keys into a ternary search tree in order and returns,
// for each distinct key, the index of its last occurrence, in breadth-first
// traversal order.
func tstOrder(keys []string) []int {
	var root *tstNode
	for i, k := range keys {
		tstInsert(&root, k, i+1)
	}
	var out []int
	queue := []*tstNode{}
	if root != nil {
		queue = append(queue, root)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n.item > 0 {
			out = append(out, n.item-1)
		}
		for _, child := range [3]*tstNode{n.low, n.equal, n.hi} {
			if child != nil {
				queue = append(queue, child)
			}
		}
	}
	return out
}

func tstInsert(root **tstNode, key string, item int) {
	// An empty key behaves like the single byte NUL, the terminator m2sh
	// reads when it is handed a zero-length C string.
	if key == "" {
		key = "\x00"
	}
	p := root
	for i := 0; ; {
		c := int8(key[i])
		if *p == nil {
			*p = &tstNode{split: c}
		}
		n := *p
		switch {
		case c < n.split:
			p = &n.low
		case c > n.split:
			p = &n.hi
		case i == len(key)-1:
			n.item = item
			return
		default:
			i++
			p = &n.equal
		}
	}
}
