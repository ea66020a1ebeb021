package m2sh

import (
	"strconv"

	"github.com/bareku/bareku/config/m2conf"
)

// Filter and Xrequest settings are stored as tnetstring text. The bytes
// must match what m2sh 1.12.2 writes, so this renders the way its
// tnetstring library does: strings with ',', numbers (strtol of the
// literal, saturating) with '#', lists in order with ']', and dicts with
// '}' in the order of its hash table. That table is kazlib's dynamic hash
// with FNV-1a keys: 64 chains to start, doubling whenever an insert finds
// it holding twice as many nodes as chains, new nodes pushed on the front
// of their chain. The library renders back to front, so the output order
// is the reverse of a chain-by-chain scan. Keys are inserted in the order
// m2sh walks the config dict (m2conf.Dict.Entries).

// renderSettings renders a settings dict as m2sh stores it.
func renderSettings(file string, d *m2conf.Dict) (string, error) {
	b, err := appendTNS(nil, file, d)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func appendTNS(dst []byte, file string, v m2conf.Value) ([]byte, error) {
	var payload []byte
	var tag byte
	switch v := m2conf.Deref(v).(type) {
	case *m2conf.String:
		payload, tag = []byte(v.Value), ','
	case *m2conf.Number:
		payload, tag = strconv.AppendInt(nil, saturatingAtoi(v.Text), 10), '#'
	case *m2conf.List:
		tag = ']'
		for _, e := range v.Elems {
			var err error
			if payload, err = appendTNS(payload, file, e); err != nil {
				return nil, err
			}
		}
	case *m2conf.Dict:
		tag = '}'
		items := v.Entries()
		keys := make([]string, len(items))
		for i, it := range items {
			keys[i] = it.Key
		}
		for _, i := range hashRenderOrder(keys) {
			payload = appendTNSString(payload, items[i].Key)
			var err error
			if payload, err = appendTNS(payload, file, items[i].Value); err != nil {
				return nil, err
			}
		}
	default:
		return nil, m2conf.Errorf(file, v.Pos(), "a %s cannot be stored in plugin settings (only strings, numbers, lists and dicts)", v.Kind())
	}
	dst = strconv.AppendInt(dst, int64(len(payload)), 10)
	dst = append(dst, ':')
	dst = append(dst, payload...)
	return append(dst, tag), nil
}

func appendTNSString(dst []byte, s string) []byte {
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, ':')
	dst = append(dst, s...)
	return append(dst, ',')
}

// saturatingAtoi parses an unsigned decimal literal like C strtol: values
// beyond the int64 range become the largest int64.
func saturatingAtoi(digits string) int64 {
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 1<<63 - 1
	}
	return n
}

// fnv1a is the 32-bit FNV-1a hash of s up to its first NUL byte (the keys
// are C strings to the hash function).
func fnv1a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s) && s[i] != 0; i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// hashRenderOrder inserts keys (all distinct) into a model of m2sh's hash
// table and returns their indices in the order they are rendered.
func hashRenderOrder(keys []string) []int {
	const initChains = 64
	chains := make([][]int, initChains) // each chain front first
	highmark := 2 * initChains
	for i, k := range keys {
		if i >= highmark {
			chains = growChains(chains, keys)
			highmark *= 2
		}
		c := fnv1a(k) & uint32(len(chains)-1)
		chains[c] = append([]int{i}, chains[c]...)
	}
	var scan []int
	for _, chain := range chains {
		scan = append(scan, chain...)
	}
	for i, j := 0, len(scan)-1; i < j; i, j = i+1, j-1 {
		scan[i], scan[j] = scan[j], scan[i]
	}
	return scan
}

// growChains doubles the table like kazlib: each chain is split on the
// newly exposed hash bit, and walking the old chain front to back while
// pushing onto the front of the new ones reverses both halves.
func growChains(chains [][]int, keys []string) [][]int {
	n := len(chains)
	grown := make([][]int, 2*n)
	for c, chain := range chains {
		for _, i := range chain {
			dst := c
			if fnv1a(keys[i])&uint32(n) != 0 {
				dst = c + n
			}
			grown[dst] = append([]int{i}, grown[dst]...)
		}
	}
	return grown
}
