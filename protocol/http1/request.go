package http1

import "bytes"

// Kind says what Parse found at the start of the buffer.
type Kind uint8

const (
	// KindHTTP is an HTTP/1.x request head.
	KindHTTP Kind = iota
	// KindJSON is a JSON socket message: "@path {...}\x00".
	KindJSON
	// KindXML is an XML socket message: "<tag ...>...>\x00".
	KindXML
)

// String returns "HTTP", "JSON" or "XML". For the socket kinds this is also
// the METHOD Mongrel2 reports to handlers.
func (k Kind) String() string {
	switch k {
	case KindHTTP:
		return "HTTP"
	case KindJSON:
		return "JSON"
	case KindXML:
		return "XML"
	}
	return "Kind(?)"
}

// BodyKind says how the body that follows a request head is framed.
type BodyKind uint8

const (
	// BodyNone means no body follows the head.
	BodyNone BodyKind = iota
	// BodyLength means exactly Request.ContentLength (> 0) bytes follow.
	BodyLength
	// BodyChunked means a chunked body follows.
	BodyChunked
)

// String returns "none", "length" or "chunked".
func (b BodyKind) String() string {
	switch b {
	case BodyNone:
		return "none"
	case BodyLength:
		return "length"
	case BodyChunked:
		return "chunked"
	}
	return "BodyKind(?)"
}

// Defaults for the zero Options.
const (
	DefaultMaxHeaders   = 1280 // limits.header_count
	DefaultMaxHeadBytes = 4096 // limits.buffer_size
	// MaxValuesPerName is Mongrel2's hard-coded cap on the values kept for
	// one header name.
	MaxValuesPerName = 5
	// MaxMethodLen is the longest method Mongrel2 accepts.
	MaxMethodLen = 20
)

// Options are the limits and switches Parse applies. The zero value gives
// Mongrel2's defaults.
type Options struct {
	// Relaxed (request.relaxed) also allows { } ^ in the request target.
	Relaxed bool
	// MaxHeaders (limits.header_count) is the most distinct header names
	// kept; headers with further names are dropped silently, which is not
	// an error. 0 means DefaultMaxHeaders.
	MaxHeaders int
	// MaxHeadBytes (limits.buffer_size) is the longest head, counted
	// through its blank line, or socket message, counted through its NUL.
	// Anything longer is ErrHeadTooLarge. 0 means DefaultMaxHeadBytes.
	MaxHeadBytes int
}

func (o Options) maxHeaders() int {
	if o.MaxHeaders <= 0 {
		return DefaultMaxHeaders
	}
	return o.MaxHeaders
}

func (o Options) maxHeadBytes() int {
	if o.MaxHeadBytes <= 0 {
		return DefaultMaxHeadBytes
	}
	return o.MaxHeadBytes
}

// Header is one header line of a request.
type Header struct {
	// Name is the header name lower-cased. It lives in the Request's own
	// scratch space and stays valid until the next Parse or Reset.
	Name []byte
	// Value is the value verbatim, a slice of the input: the spaces and
	// tabs after the colon are skipped, everything else up to the CR LF
	// (or bare LF) is kept, trailing spaces included.
	Value []byte
}

// Request is the result of parsing one request head or socket message. All
// byte slices except Header.Name point into the buffer given to Parse, so
// they are valid only as long as that buffer is. A Request is meant to be
// reused: its scratch space is kept across Parse and Reset, which is what
// makes parsing allocation-free in steady state.
//
// For KindJSON and KindXML only Kind, Path and MsgBody are set.
type Request struct {
	Kind Kind

	// Method is the request method, e.g. "GET".
	Method []byte
	// Target is the raw request-target, e.g. "http://h/x?q#f".
	Target []byte
	// Path is the target's path, not decoded or normalised. For the
	// absolute form "http://h/x" it is "//h/x": the scheme is dropped and
	// the authority kept, as in Mongrel2. For socket messages it is "@path"
	// or "<tag".
	Path []byte
	// URI is the target without its "scheme:" and without the fragment:
	// path plus '?' and query.
	URI []byte
	// Query is the text after the first '?' (it may contain more '?'),
	// empty but HasQuery for a bare '?'.
	Query []byte
	// Fragment is the text after '#', empty but HasFragment for a bare '#'.
	Fragment []byte
	// Version is "HTTP/1.0" or "HTTP/1.1".
	Version []byte

	HasQuery    bool
	HasFragment bool

	// Headers are the header lines in arrival order. At most
	// MaxValuesPerName values are kept per name (later ones are dropped)
	// and at most Options.MaxHeaders distinct names (lines with further
	// names are dropped). Lines with the same name share one Name slice.
	Headers []Header

	// Host is the first host value, nil if there is none.
	Host []byte
	// HostName is Host up to its first ':', unless that colon is at
	// position 0; then it is all of Host. "[::1]:80" gives "[", as in
	// Mongrel2.
	HostName []byte

	// ContentLength is the first content-length value read the way C's
	// strtol does: leading white space and a sign allowed, anything after
	// the digits ignored ("5abc" is 5); no digits, a negative number or
	// more than 2147483647 give 0.
	ContentLength int64
	// Body is how the body after the head is framed.
	Body BodyKind
	// CloseWanted is true for HTTP/1.0, or when the first connection value
	// is "close" in any case (the whole value: "close, TE" is not close).
	CloseWanted bool
	// Expect is the first expect value, nil if there is none.
	Expect []byte

	// MsgBody is the body of a socket message: from '{' to the '}' before
	// the NUL for JSON, the whole XML text before the NUL for XML.
	MsgBody []byte

	conn   []byte // first connection value
	te     teState
	clSeen bool // a content-length line was seen, kept or not

	names    []byte     // lower-cased header names
	distinct []nameInfo // one entry per distinct header name kept
	table    []int32    // open-addressing index into distinct, plus one; 0 is empty
}

// nameInfo is a distinct header name and how many of its values were kept.
type nameInfo struct {
	name  []byte
	hash  uint32
	count int
}

// teState accumulates the codings of all transfer-encoding lines.
type teState struct {
	seen    bool // a transfer-encoding line was seen
	chunked bool // the last coding so far is chunked
	bad     bool // a coding follows chunked
}

// retainHeaders bounds the scratch space Reset keeps: room for this many
// headers covers every ordinary client, while a hostile head with a thousand
// tiny headers must not pin a hundred kilobytes to an idle connection.
const retainHeaders = 128

// Reset clears r for reuse. It keeps r's scratch space unless an unusually
// large head grew it past what ordinary requests need.
func (r *Request) Reset() {
	if cap(r.Headers) > retainHeaders {
		*r = Request{}
		return
	}
	headers, names, distinct, table := r.Headers[:0], r.names[:0], r.distinct[:0], r.table
	clear(table)
	*r = Request{Headers: headers, names: names, distinct: distinct, table: table}
}

// Get returns the first kept value of the header with the given lower-case
// name, and whether there is one.
func (r *Request) Get(name string) ([]byte, bool) {
	for _, h := range r.Headers {
		if string(h.Name) == name {
			return h.Value, true
		}
	}
	return nil, false
}

// IsPolicyRequest reports whether r is the Flash policy-file request
// "<policy-file-request/>\x00", which Mongrel2 answers itself.
func (r *Request) IsPolicyRequest() bool {
	return r.Kind == KindXML && string(r.Path) == "<policy-file-request"
}

// Parse parses one request head, or one socket message, from the start of
// buf. It returns n > 0, the bytes consumed (the head through its blank line,
// or the message through its NUL), when it is complete; n == 0 and a nil
// error when more bytes are needed; and an error matching ErrBadRequest when
// the bytes can never be a valid request. Parse resets r first and does not
// modify buf. Every prefix of a valid request gives (0, nil), and an invalid
// byte is reported as soon as it is in buf.
//
// The grammar is Mongrel2 1.12.2's, with these deliberate differences:
//
//   - Transfer-Encoding: Mongrel2 honours only the exact value "chunked"
//     without Content-Length and otherwise reads the body as the next
//     request (request smuggling). Here any transfer-encoding line makes the
//     body chunked when the last coding of all of them is chunked (any
//     case, white space trimmed) and there is no content-length line;
//     anything else (another last coding, chunked applied twice, or
//     Content-Length as well) is ErrTransferEncoding.
//   - Header names must be tokens. Mongrel2's grammar only excluded NUL and
//     DEL from its "control" class, so names holding CR, LF or other
//     control bytes got through; they are ErrHeaderName here.
//   - IP literals in the target never contain control bytes (see checkIPv6
//     for the Mongrel2 grammar this otherwise follows).
//   - Content-Length and Transfer-Encoding are read from every line, also
//     from lines dropped by the header caps, so body framing never depends
//     on the caps.
func (r *Request) Parse(buf []byte, opt Options) (n int, err error) {
	r.Reset()
	limit := opt.maxHeadBytes()
	scan := buf
	if len(scan) > limit {
		scan = scan[:limit]
	}
	switch {
	case len(scan) == 0:
		return 0, nil
	case scan[0] == '@':
		n, err = r.parseJSON(scan, opt)
	case scan[0] == '<':
		n, err = r.parseXML(scan)
	default:
		n, err = r.parseHTTP(scan, opt)
	}
	if err == errNeedMore {
		if len(buf) >= limit {
			// The first limit bytes are not a whole head, so no more bytes
			// can make one.
			return 0, ErrHeadTooLarge
		}
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

// parseHTTP parses a request line and headers through the blank line.
func (r *Request) parseHTTP(b []byte, opt Options) (int, error) {
	r.Kind = KindHTTP

	// Method SP
	i := 0
	for {
		if i == len(b) {
			return 0, errNeedMore
		}
		c := b[i]
		if c == ' ' && i > 0 {
			break
		}
		if i == MaxMethodLen || !isMethodChar(c) {
			return 0, ErrMethod
		}
		i++
	}
	r.Method = b[:i]
	i++

	// Request-target SP
	t, err := scanTarget(b, i, false, opt.Relaxed)
	if err != nil {
		return 0, err
	}
	r.Target = b[i:t.end]
	r.Path = b[t.pathStart:t.pathEnd]
	r.URI = b[t.pathStart:t.uriEnd]
	if t.queryStart >= 0 {
		r.Query, r.HasQuery = b[t.queryStart:t.uriEnd], true
	}
	if t.fragStart >= 0 {
		r.Fragment, r.HasFragment = b[t.fragStart:t.end], true
	}
	i = t.end + 1

	// HTTP-Version EOL
	const v = "HTTP/1.x"
	for k := range len(v) {
		if i+k == len(b) {
			return 0, errNeedMore
		}
		c := b[i+k]
		if k == len(v)-1 && c != '0' && c != '1' || k < len(v)-1 && c != v[k] {
			return 0, ErrVersion
		}
	}
	r.Version = b[i : i+len(v)]
	i, err = endOfLine(b, i+len(v), ErrVersion)
	if err != nil {
		return 0, err
	}

	// Header lines, then the blank line.
	maxNames := opt.maxHeaders()
	for {
		if i == len(b) {
			return 0, errNeedMore
		}
		if c := b[i]; c == '\r' || c == '\n' {
			end, err := endOfLine(b, i, ErrHeaderValue)
			if err != nil {
				return 0, err
			}
			return end, r.finish()
		}
		if i, err = r.parseHeader(b, i, maxNames); err != nil {
			return 0, err
		}
	}
}

// endOfLine expects CR LF or a bare LF at b[i] and returns the index after
// it.
func endOfLine(b []byte, i int, bad error) (int, error) {
	switch {
	case i == len(b):
		return 0, errNeedMore
	case b[i] == '\n':
		return i + 1, nil
	case b[i] != '\r':
		return 0, bad
	case i+1 == len(b):
		return 0, errNeedMore
	case b[i+1] == '\n':
		return i + 2, nil
	}
	return 0, bad
}

// FNV-1a, over the lower-cased name.
const (
	fnvOffset uint32 = 2166136261
	fnvPrime  uint32 = 16777619
)

// parseHeader parses the header line at b[i] and returns the index of the
// next line.
func (r *Request) parseHeader(b []byte, i, maxNames int) (int, error) {
	start := i
	for ; i < len(b) && b[i] != ':'; i++ {
		// A space or tab here is either folding (at the start of the line)
		// or white space before the colon; both are errors.
		if !isToken(b[i]) {
			return 0, ErrHeaderName
		}
	}
	if i == len(b) {
		return 0, errNeedMore
	}
	if i == start {
		return 0, ErrHeaderName
	}
	nameStart := len(r.names)
	r.names = append(r.names, b[start:i]...)
	h := fnvOffset
	for k := nameStart; k < len(r.names); k++ {
		c := lower(r.names[k])
		r.names[k] = c
		h = (h ^ uint32(c)) * fnvPrime
	}

	i++ // ':'
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	valueStart := i
	lf := bytes.IndexByte(b[i:], '\n')
	if lf < 0 {
		if !validValue(b[valueStart:], true) {
			return 0, ErrHeaderValue
		}
		return 0, errNeedMore
	}
	next := i + lf + 1
	valueEnd := i + lf
	if valueEnd > valueStart && b[valueEnd-1] == '\r' {
		valueEnd--
	}
	value := b[valueStart:valueEnd:valueEnd]
	if !validValue(value, false) {
		return 0, ErrHeaderValue
	}
	r.addHeader(nameStart, h, value, maxNames)
	return next, nil
}

// validValue reports whether v may be (with partial set: may begin) a header
// value. Mongrel2 accepts every byte except NUL, DEL and a CR that does not
// end the line.
func validValue(v []byte, partial bool) bool {
	for k, c := range v {
		if c > '\r' && c != 0x7f {
			continue // the common case, tested first
		}
		if c == 0 || c == 0x7f || c == '\r' && !(partial && k == len(v)-1) {
			return false
		}
	}
	return true
}

// addHeader records a header whose lower-cased name is r.names[nameStart:],
// applying the caps on names and values, and picks out the values Request
// reports separately.
func (r *Request) addHeader(nameStart int, h uint32, value []byte, maxNames int) {
	name := r.names[nameStart:len(r.names):len(r.names)]

	// Framing is read from every line, kept or not.
	switch string(name) {
	case "content-length":
		if !r.clSeen {
			r.clSeen = true
			r.ContentLength = parseContentLength(value)
		}
	case "transfer-encoding":
		r.te.add(value)
	}

	slot, found := r.lookup(name, h)
	if found {
		r.names = r.names[:nameStart] // share the first copy
		d := &r.distinct[slot]
		if d.count >= MaxValuesPerName {
			return
		}
		d.count++
		r.Headers = append(r.Headers, Header{Name: d.name, Value: value})
		return
	}
	if len(r.distinct) >= maxNames {
		r.names = r.names[:nameStart]
		return
	}
	r.insert(slot, name, h)
	r.Headers = append(r.Headers, Header{Name: name, Value: value})

	// First values of the names Mongrel2 acts on.
	switch string(name) {
	case "host":
		r.Host = value
	case "connection":
		r.conn = value
	case "expect":
		r.Expect = value
	}
}

// lookup finds name in the table. When it is absent, slot is the free table
// position where it belongs.
func (r *Request) lookup(name []byte, h uint32) (slot int, found bool) {
	if len(r.table) == 0 {
		return 0, false
	}
	mask := len(r.table) - 1
	for j := int(h) & mask; ; j = (j + 1) & mask {
		e := r.table[j]
		if e == 0 {
			return j, false
		}
		if d := &r.distinct[e-1]; d.hash == h && bytes.Equal(d.name, name) {
			return int(e - 1), true
		}
	}
}

// insert adds a new distinct name at the free table position slot, growing
// the table to keep it at most half full.
func (r *Request) insert(slot int, name []byte, h uint32) {
	r.distinct = append(r.distinct, nameInfo{name: name, hash: h, count: 1})
	if 2*len(r.distinct) <= len(r.table) {
		r.table[slot] = int32(len(r.distinct))
		return
	}
	size := 2 * len(r.table)
	if size < 16 {
		size = 16
	}
	if cap(r.table) >= size {
		r.table = r.table[:size]
		clear(r.table)
	} else {
		r.table = make([]int32, size)
	}
	mask := size - 1
	for k := range r.distinct {
		j := int(r.distinct[k].hash) & mask
		for r.table[j] != 0 {
			j = (j + 1) & mask
		}
		r.table[j] = int32(k + 1)
	}
}

// add takes in the codings of one transfer-encoding value.
func (te *teState) add(v []byte) {
	te.seen = true
	for len(v) > 0 {
		var coding []byte
		if k := bytes.IndexByte(v, ','); k >= 0 {
			coding, v = v[:k], v[k+1:]
		} else {
			coding, v = v, nil
		}
		coding = trimOWS(coding)
		if len(coding) == 0 {
			continue // empty list elements are allowed
		}
		if te.chunked {
			te.bad = true // chunked must be the last coding, applied once
		}
		te.chunked = equalFold(coding, "chunked")
	}
}

// finish derives the values that depend on the whole head.
func (r *Request) finish() error {
	switch {
	case r.te.seen:
		if r.clSeen || r.te.bad || !r.te.chunked {
			return ErrTransferEncoding
		}
		r.Body = BodyChunked
	case r.ContentLength > 0:
		r.Body = BodyLength
	}
	r.CloseWanted = r.Version[len(r.Version)-1] == '0' || r.conn != nil && equalFold(r.conn, "close")
	if r.Host != nil {
		r.HostName = r.Host
		if k := bytes.IndexByte(r.Host, ':'); k > 0 {
			r.HostName = r.Host[:k:k]
		}
	}
	return nil
}

// parseContentLength reads v the way Mongrel2 does, with C's strtol and a
// range check: leading white space and a sign are allowed, anything after
// the digits is ignored, and no digits, a negative value or one above
// INT_MAX give 0.
func parseContentLength(v []byte) int64 {
	const intMax = 1<<31 - 1
	i := 0
	for i < len(v) && (v[i] == ' ' || '\t' <= v[i] && v[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		neg = v[i] == '-'
		i++
	}
	var n int64
	for ; i < len(v) && isDigit(v[i]); i++ {
		n = n*10 + int64(v[i]-'0')
		if n > intMax {
			return 0
		}
	}
	if neg {
		return 0
	}
	return n
}
