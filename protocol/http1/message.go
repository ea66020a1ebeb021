package http1

import "bytes"

// parseJSON parses a JSON socket message: '@', an RFC 3986 relative-part, one
// space, then '{' up to the first "}\x00".
func (r *Request) parseJSON(b []byte, opt Options) (int, error) {
	r.Kind = KindJSON
	t, err := scanTarget(b, 1, true, opt.Relaxed)
	if err == ErrTarget {
		return 0, ErrMessage
	}
	if err != nil {
		return 0, err
	}
	r.Path = b[:t.end]
	open := t.end + 1
	switch {
	case open == len(b):
		return 0, errNeedMore
	case b[open] != '{':
		return 0, ErrMessage
	}
	// Anything, NULs included, may come between the braces; the first NUL
	// right after a '}' ends the message.
	nul, ok := endAfter(b, open+1, '}')
	if !ok {
		return 0, errNeedMore
	}
	r.MsgBody = b[open:nul]
	return nul + 1, nil
}

// parseXML parses an XML socket message: '<', a tag of [a-zA-Z0-9.-]+, then
// '/', white space or '>', then anything up to the first ">\x00" after that.
func (r *Request) parseXML(b []byte) (int, error) {
	r.Kind = KindXML
	i := 1
	for i < len(b) && isXMLTagChar(b[i]) {
		i++
	}
	switch {
	case i == len(b):
		return 0, errNeedMore
	case i == 1:
		return 0, ErrMessage
	}
	if c := b[i]; c != '/' && c != '>' && !isSpace(c) {
		return 0, ErrMessage
	}
	r.Path = b[:i]
	// The byte after the tag never counts as the final '>': "<a>\x00" is
	// not complete.
	nul, ok := endAfter(b, i+1, '>')
	if !ok {
		return 0, errNeedMore
	}
	r.MsgBody = b[:nul]
	return nul + 1, nil
}

// endAfter returns the index of the first NUL at or after from whose
// preceding byte is last, with that byte itself at or after from.
func endAfter(b []byte, from int, last byte) (int, bool) {
	for j := from + 1; j <= len(b); {
		k := bytes.IndexByte(b[j:], 0)
		if k < 0 {
			return 0, false
		}
		if nul := j + k; b[nul-1] == last {
			return nul, true
		}
		j += k + 1
	}
	return 0, false
}
