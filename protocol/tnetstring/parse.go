package tnetstring

import "strconv"

const (
	// MaxDepth is how many lists and dicts Parse lets nest inside each
	// other. Mongrel2's own messages nest at most three deep; the limit
	// keeps hostile input from exhausting the stack.
	MaxDepth = 64
	// MaxLength is the largest payload length Parse accepts: the length
	// prefix is at most nine digits, as the tnetstring format specifies.
	MaxLength = 999_999_999

	maxLengthDigits = 9
)

// Split reads the framing of the first value in data without looking
// inside its payload: the type tag, the payload (aliasing data, capacity
// capped at its length) and the bytes after the value. A length prefix may
// have leading zeros. It returns ErrShort when data is a strict prefix of a
// well-framed value, so a reader can wait for more bytes.
func Split(data []byte) (typ byte, payload, rest []byte, err error) {
	n, i := 0, 0
	for ; i < len(data) && data[i] != ':'; i++ {
		c := data[i]
		if c < '0' || c > '9' || i == maxLengthDigits {
			return 0, nil, nil, ErrLength
		}
		n = n*10 + int(c-'0')
	}
	switch {
	case i == len(data):
		return 0, nil, nil, ErrShort
	case i == 0:
		return 0, nil, nil, ErrLength
	}
	i++ // the ':'
	if len(data)-i <= n {
		return 0, nil, nil, ErrShort
	}
	typ = data[i+n]
	switch typ {
	case TypeString, TypeInt, TypeFloat, TypeBool, TypeNull, TypeDict, TypeList:
	default:
		return 0, nil, nil, ErrTag
	}
	return typ, data[i : i+n : i+n], data[i+n+1:], nil
}

// Parse decodes the first value in data and returns it with the bytes that
// follow it. Strings in v alias data. Lists and dicts cost one allocation
// each; scalars cost none. Errors are the sentinels in errors.go; ErrShort
// is returned only when data is a strict prefix of a well-framed value.
func Parse(data []byte) (v Value, rest []byte, err error) {
	return parse(data, 0)
}

// parse decodes one value; depth counts the containers around it.
func parse(data []byte, depth int) (Value, []byte, error) {
	typ, payload, rest, err := Split(data)
	if err != nil {
		return Value{}, nil, err
	}
	v := Value{Type: typ}
	switch typ {
	case TypeString:
		v.Str = payload
	case TypeInt:
		n, ok := parseInt(payload)
		if !ok {
			return Value{}, nil, ErrPayload
		}
		v.Int = n
	case TypeFloat:
		f, ok := parseFloat(payload)
		if !ok {
			return Value{}, nil, ErrPayload
		}
		v.Float = f
	case TypeBool:
		switch string(payload) {
		case "true":
			v.Bool = true
		case "false":
		default:
			return Value{}, nil, ErrPayload
		}
	case TypeNull:
		if len(payload) != 0 {
			return Value{}, nil, ErrPayload
		}
	case TypeList:
		if depth >= MaxDepth {
			return Value{}, nil, ErrDepth
		}
		n, err := count(payload)
		if err != nil {
			return Value{}, nil, err
		}
		v.List = make([]Value, 0, n)
		for p := payload; len(p) > 0; {
			var e Value
			if e, p, err = parse(p, depth+1); err != nil {
				return Value{}, nil, inner(err)
			}
			v.List = append(v.List, e)
		}
	case TypeDict:
		if depth >= MaxDepth {
			return Value{}, nil, ErrDepth
		}
		n, err := count(payload)
		if err != nil {
			return Value{}, nil, err
		}
		if n%2 != 0 {
			return Value{}, nil, ErrKey
		}
		v.Dict = make([]Pair, 0, n/2)
		for p := payload; len(p) > 0; {
			kt, key, after, _ := Split(p) // count has checked the framing
			if kt != TypeString {
				return Value{}, nil, ErrKey
			}
			var e Value
			if e, p, err = parse(after, depth+1); err != nil {
				return Value{}, nil, inner(err)
			}
			v.Dict = append(v.Dict, Pair{Key: key, Value: e})
		}
	}
	return v, rest, nil
}

// count returns how many values the list or dict payload p holds, checking
// only their framing, so a container is allocated once at its final size.
func count(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		var err error
		if _, _, p, err = Split(p); err != nil {
			return 0, inner(err)
		}
		n++
	}
	return n, nil
}

// inner maps an error found inside a complete container payload: there a
// truncated element can never be completed by more input, so it is a bad
// payload rather than ErrShort.
func inner(err error) error {
	if err == ErrShort {
		return ErrPayload
	}
	return err
}

// parseInt accepts -?[0-9]+ within the int64 range.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	const limit = uint64(1) << 63 // magnitude of math.MinInt64
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if u > (limit-d)/10 {
			return 0, false
		}
		u = u*10 + d
	}
	if neg {
		return -int64(u), true // u == limit wraps to math.MinInt64, as wanted
	}
	if u == limit {
		return 0, false
	}
	return int64(u), true
}

// parseFloat accepts -?D+(.D+)?([eE][+-]?D+)? within the float64 range.
// The grammar is checked first because strconv also accepts forms
// (hex, "inf", "nan", underscores) that other tnetstring readers do not.
func parseFloat(b []byte) (float64, bool) {
	i := 0
	digits := func() bool {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if !digits() {
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return 0, false
		}
	}
	if i != len(b) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}
