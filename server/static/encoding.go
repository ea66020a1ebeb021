package static

// Content codings a Dir can serve from precompressed siblings.
const (
	codingIdentity = iota
	codingBr
	codingGzip
)

// acceptWeights are the weights (qvalues times 1000) an Accept-Encoding
// value gives the codings a Dir knows. A coding the value does not name
// takes the weight of "*" when that is present, else 0 (not acceptable).
type acceptWeights struct {
	br, gzip, identity int
	// namedIdentity is true when "identity" itself is listed; only then
	// does its weight compete with the compressed codings.
	namedIdentity bool
}

// parseAcceptEncoding reads an Accept-Encoding value (RFC 9110 §12.5.3):
// a comma-separated list of codings, each with an optional ";q=" weight,
// names in any case. "x-gzip" counts as "gzip" (§8.4.1.3). An element with
// a malformed weight is skipped; when a coding is listed twice the first
// element counts. Parameters other than q are ignored.
func parseAcceptEncoding(v []byte) acceptWeights {
	var w acceptWeights
	star := -1
	seenBr, seenGzip := false, false
	for len(v) > 0 {
		elem := v
		if i := indexByte(v, ','); i >= 0 {
			elem, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		name, q, ok := codingElement(elem)
		if !ok {
			continue
		}
		switch {
		case equalFold(name, "br"):
			if !seenBr {
				w.br, seenBr = q, true
			}
		case equalFold(name, "gzip"), equalFold(name, "x-gzip"):
			if !seenGzip {
				w.gzip, seenGzip = q, true
			}
		case equalFold(name, "identity"):
			if !w.namedIdentity {
				w.identity, w.namedIdentity = q, true
			}
		case string(name) == "*":
			if star < 0 {
				star = q
			}
		}
	}
	if star >= 0 {
		if !seenBr {
			w.br = star
		}
		if !seenGzip {
			w.gzip = star
		}
	}
	return w
}

// codingElement splits one list element into its coding name and weight
// (1000 when there is no q parameter). ok is false for an empty element or
// a malformed weight.
func codingElement(e []byte) (name []byte, q int, ok bool) {
	e = trimSpace(e)
	i := 0
	for i < len(e) && e[i] != ';' && e[i] != ' ' && e[i] != '\t' {
		i++
	}
	name, e = e[:i], e[i:]
	if len(name) == 0 {
		return nil, 0, false
	}
	q = 1000
	for len(e) > 0 {
		e = trimSpace(e)
		if len(e) == 0 || e[0] != ';' {
			return nil, 0, false
		}
		e = trimSpace(e[1:])
		j := 0
		for j < len(e) && e[j] != ';' {
			j++
		}
		param := trimSpace(e[:j])
		e = e[j:]
		if len(param) >= 2 && lower(param[0]) == 'q' && param[1] == '=' {
			if q, ok = parseQValue(param[2:]); !ok {
				return nil, 0, false
			}
		}
	}
	return name, q, true
}

// parseQValue reads a qvalue: "0" or "1" optionally followed by '.' and at
// most three digits, never more than 1 (RFC 9110 §12.4.2). It returns the
// value times 1000.
func parseQValue(b []byte) (int, bool) {
	if len(b) == 0 || (b[0] != '0' && b[0] != '1') {
		return 0, false
	}
	q := int(b[0]-'0') * 1000
	b = b[1:]
	if len(b) == 0 {
		return q, true
	}
	if b[0] != '.' || len(b) > 4 {
		return 0, false
	}
	scale := 100
	for _, c := range b[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		q += int(c-'0') * scale
		scale /= 10
	}
	return q, q <= 1000
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// chooseCoding picks the representation to send from an Accept-Encoding
// value and the siblings that exist: the acceptable coding (weight above
// 0) with the highest weight, br before gzip on equal weights. The file
// itself is sent when no sibling is acceptable, or when the client names
// identity with a weight above every acceptable sibling's.
func chooseCoding(v []byte, haveBr, haveGzip bool) int {
	w := parseAcceptEncoding(v)
	best, bestQ := codingIdentity, 0
	if haveBr && w.br > bestQ {
		best, bestQ = codingBr, w.br
	}
	if haveGzip && w.gzip > bestQ {
		best, bestQ = codingGzip, w.gzip
	}
	if w.namedIdentity && w.identity > bestQ {
		return codingIdentity
	}
	return best
}
