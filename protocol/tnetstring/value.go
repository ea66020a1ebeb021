package tnetstring

import "bytes"

// Type tags, the last byte of every tnetstring.
const (
	TypeString byte = ','
	TypeInt    byte = '#'
	TypeFloat  byte = '^'
	TypeBool   byte = '!'
	TypeNull   byte = '~'
	TypeDict   byte = '}'
	TypeList   byte = ']'
)

// Value is one decoded tnetstring. Type selects which field holds the
// data: Str for TypeString, Int for TypeInt, Float for TypeFloat, Bool for
// TypeBool, List for TypeList, Dict for TypeDict; TypeNull uses none. The
// zero Value (Type 0) encodes as null.
type Value struct {
	Type  byte
	Str   []byte
	Int   int64
	Float float64
	Bool  bool
	List  []Value
	Dict  []Pair
}

// Pair is one dict entry. Dicts are slices of pairs so that the order on
// the wire is kept and repeated keys survive a round trip.
type Pair struct {
	Key   []byte
	Value Value
}

// String returns a string value holding a copy of s.
func String(s string) Value { return Value{Type: TypeString, Str: []byte(s)} }

// Bytes returns a string value that aliases b.
func Bytes(b []byte) Value { return Value{Type: TypeString, Str: b} }

// Int returns an integer value.
func Int(n int64) Value { return Value{Type: TypeInt, Int: n} }

// Float returns a float value. NaN and infinities encode as text that
// Parse rejects, so keep them out of values meant for the wire.
func Float(f float64) Value { return Value{Type: TypeFloat, Float: f} }

// Bool returns a boolean value.
func Bool(b bool) Value { return Value{Type: TypeBool, Bool: b} }

// Null returns the null value.
func Null() Value { return Value{Type: TypeNull} }

// List returns a list of the given values.
func List(vs ...Value) Value { return Value{Type: TypeList, List: vs} }

// Dict returns a dict of the given pairs, in that order.
func Dict(kv ...Pair) Value { return Value{Type: TypeDict, Dict: kv} }

// KV returns a dict pair with a copy of key.
func KV(key string, v Value) Pair { return Pair{Key: []byte(key), Value: v} }

// Get returns the value of the first pair whose key is key, if v is a dict.
func (v Value) Get(key string) (Value, bool) {
	if v.Type != TypeDict {
		return Value{}, false
	}
	for _, p := range v.Dict {
		if string(p.Key) == key {
			return p.Value, true
		}
	}
	return Value{}, false
}

// Equal reports whether v and w have the same type and contents. Dicts are
// compared pair by pair in order. A zero Value equals Null().
func (v Value) Equal(w Value) bool {
	if v.tag() != w.tag() {
		return false
	}
	switch v.tag() {
	case TypeString:
		return bytes.Equal(v.Str, w.Str)
	case TypeInt:
		return v.Int == w.Int
	case TypeFloat:
		return v.Float == w.Float
	case TypeBool:
		return v.Bool == w.Bool
	case TypeList:
		if len(v.List) != len(w.List) {
			return false
		}
		for i := range v.List {
			if !v.List[i].Equal(w.List[i]) {
				return false
			}
		}
		return true
	case TypeDict:
		if len(v.Dict) != len(w.Dict) {
			return false
		}
		for i := range v.Dict {
			if !bytes.Equal(v.Dict[i].Key, w.Dict[i].Key) || !v.Dict[i].Value.Equal(w.Dict[i].Value) {
				return false
			}
		}
		return true
	}
	return true // both null
}

// tag returns the tag v encodes with: its Type, or TypeNull for anything
// that is not a known type.
func (v Value) tag() byte {
	switch v.Type {
	case TypeString, TypeInt, TypeFloat, TypeBool, TypeList, TypeDict:
		return v.Type
	}
	return TypeNull
}
