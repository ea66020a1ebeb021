package tnetstring

import "strconv"

// reserve is how many bytes BeginContainer sets aside for the length
// prefix: three digits and the colon, so payloads of 100 to 999 bytes (most
// handler header dicts) are finished without moving them.
const reserve = 4

// Append appends the encoding of v to dst. A Value whose Type is not one
// of the type tags is encoded as null.
func (v Value) Append(dst []byte) []byte {
	switch v.tag() {
	case TypeString:
		return AppendString(dst, v.Str)
	case TypeInt:
		return AppendInt(dst, v.Int)
	case TypeFloat:
		return AppendFloat(dst, v.Float)
	case TypeBool:
		return AppendBool(dst, v.Bool)
	case TypeList:
		dst, mark := BeginContainer(dst)
		for _, e := range v.List {
			dst = e.Append(dst)
		}
		return EndContainer(dst, mark, TypeList)
	case TypeDict:
		dst, mark := BeginContainer(dst)
		for _, p := range v.Dict {
			dst = AppendString(dst, p.Key)
			dst = p.Value.Append(dst)
		}
		return EndContainer(dst, mark, TypeDict)
	}
	return AppendNull(dst)
}

// AppendString appends s as a tnetstring string (LEN:s,). It accepts a
// string or a byte slice so neither form needs a conversion.
func AppendString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = strconv.AppendUint(dst, uint64(len(s)), 10)
	dst = append(dst, ':')
	dst = append(dst, s...)
	return append(dst, TypeString)
}

// AppendInt appends n as a tnetstring integer (LEN:n#).
func AppendInt(dst []byte, n int64) []byte {
	var buf [20]byte
	return appendScalar(dst, strconv.AppendInt(buf[:0], n, 10), TypeInt)
}

// AppendFloat appends f as a tnetstring float (LEN:f^) in the shortest
// decimal form that reads back as f.
func AppendFloat(dst []byte, f float64) []byte {
	var buf [32]byte
	return appendScalar(dst, strconv.AppendFloat(buf[:0], f, 'g', -1, 64), TypeFloat)
}

// AppendBool appends b as a tnetstring boolean (4:true! or 5:false!).
func AppendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "4:true!"...)
	}
	return append(dst, "5:false!"...)
}

// AppendNull appends the tnetstring null (0:~).
func AppendNull(dst []byte) []byte {
	return append(dst, "0:~"...)
}

func appendScalar(dst, text []byte, typ byte) []byte {
	dst = strconv.AppendUint(dst, uint64(len(text)), 10)
	dst = append(dst, ':')
	dst = append(dst, text...)
	return append(dst, typ)
}

// BeginContainer starts a value whose payload the caller appends directly
// after it: a list or dict of encoded values, or a string built in place.
// It returns dst with room set aside for the length prefix and a mark to
// pass to EndContainer. Begin/End pairs nest.
func BeginContainer(dst []byte) ([]byte, int) {
	mark := len(dst)
	return append(dst, "000:"...), mark
}

// EndContainer finishes the value begun at mark: it writes the length
// prefix of everything appended since BeginContainer, moving the payload
// only if the length does not have exactly three digits, and appends the
// type tag typ (TypeList, TypeDict or TypeString).
func EndContainer(dst []byte, mark int, typ byte) []byte {
	start := mark + reserve
	n := len(dst) - start
	var buf [20]byte
	prefix := strconv.AppendUint(buf[:0], uint64(n), 10)
	prefix = append(prefix, ':')
	if shift := len(prefix) - reserve; shift > 0 {
		dst = append(dst, make([]byte, shift)...) // appending make(…) does not allocate
		copy(dst[start+shift:], dst[start:start+n])
	} else if shift < 0 {
		copy(dst[start+shift:], dst[start:start+n])
		dst = dst[:len(dst)+shift]
	}
	copy(dst[mark:], prefix)
	return append(dst, typ)
}
