package m2

import (
	"bytes"
	"strconv"

	"github.com/bareku/bareku/protocol/tnetstring"
)

// Protocol is how a handler wants its request headers encoded: the
// handler row's protocol column.
type Protocol uint8

const (
	// JSON headers: LEN:{...}, (the default).
	JSON Protocol = iota
	// TNetstring headers: a tnetstring dict, LEN:...}.
	TNetstring
)

// String returns the protocol's name as stored in the handler table.
func (p Protocol) String() string {
	if p == TNetstring {
		return "tnetstring"
	}
	return "json"
}

// MaxHeaderValues is how many values of one repeated client header are
// kept; Mongrel2 drops the sixth and later ones.
const MaxHeaderValues = 5

// Header is one header name and value. Client header names are already
// lower-cased by the caller.
type Header struct {
	Name, Value []byte
}

// Request is what a server knows about a request when it hands it to a
// handler. Nothing is copied; Encoder.Append only reads it.
type Request struct {
	UUID []byte // the handler's send_ident
	ID   uint64 // connection id
	Path []byte // request path, verbatim, without spaces; @chat or <tag for socket messages

	// Method, Version and URI are omitted from the headers when nil (JSON
	// and XML socket messages have no VERSION or URI).
	Method, Version, URI []byte
	// QUERY and FRAGMENT are present when the URI had a ? or #, which may
	// be followed by nothing: set HasQuery / HasFragment. A non-empty
	// Query or Fragment is emitted even without them.
	Query, Fragment       []byte
	HasQuery, HasFragment bool
	// Pattern, URLScheme and RemoteAddr are omitted when nil; a server
	// always sets them.
	Pattern, URLScheme, RemoteAddr []byte

	// Headers are the client headers in arrival order, possibly repeated.
	Headers []Header
	// ForwardedFor, when non-nil, replaces every client x-forwarded-for
	// value (Mongrel2's default, no_clobber_xff=0). When nil the client's
	// x-forwarded-for headers pass through like any other.
	ForwardedFor []byte
	// Extra are further server keys (FLAGS, UPLOAD_STREAM,
	// x-mongrel2-upload-start, DOWNLOAD_CREDITS, ...), emitted after the
	// client headers, each as a single string.
	Extra []Header
	// MaxHeaderNames is limits.header_count: how many distinct client
	// header names are kept, in first-arrival order. 0 means no limit.
	// Client x-forwarded-for headers that ForwardedFor replaces do not
	// count.
	MaxHeaderNames int

	Body []byte
}

// Encoder writes request messages. Its zero value is ready to use; it keeps
// scratch space between calls so that steady-state encoding allocates
// nothing. An Encoder must not be used by two goroutines at once.
type Encoder struct {
	groups []group
	slots  []int32 // open-addressing table of group index + 1; 0 is empty
}

// group collects the values of one client header name.
type group struct {
	name []byte
	n    int
	vals [MaxHeaderValues]int32 // indexes into Request.Headers
}

// Append appends r encoded for a handler speaking protocol p:
//
//	UUID SP ID SP PATH SP HEADERS BODY
//
// where BODY is the netstring LEN:body, and HEADERS is a JSON object in a
// netstring or a tnetstring dict. Repeated client headers become a JSON
// array or tnetstring list (at most MaxHeaderValues values, in arrival
// order); all values are strings.
//
// Key order follows Mongrel2 where it is knowable. JSON: PATH,
// x-forwarded-for, client headers in first-arrival order, Extra, then
// METHOD, VERSION, URI, QUERY, FRAGMENT, PATTERN, URL_SCHEME, REMOTE_ADDR.
// Tnetstring: REMOTE_ADDR, METHOD, URL_SCHEME, PATTERN, FRAGMENT, QUERY,
// URI, VERSION, PATH, client headers, x-forwarded-for, Extra. (Mongrel2
// orders client headers by its hash table; handlers treat headers as a
// map.)
//
// JSON strings escape ", \, control bytes, DEL and every byte that is not
// part of valid UTF-8, so the object is always valid JSON; Mongrel2 escapes
// only " and \. Tnetstring values are written raw.
func (e *Encoder) Append(dst []byte, p Protocol, r *Request) []byte {
	e.group(r)
	dst = appendStart(dst, r.UUID, r.ID)
	dst = append(dst, r.Path...)
	dst = append(dst, ' ')
	dst, mark := tnetstring.BeginContainer(dst)
	if p == TNetstring {
		dst = e.appendTNet(dst, r)
		dst = tnetstring.EndContainer(dst, mark, tnetstring.TypeDict)
	} else {
		dst = e.appendJSON(dst, r)
		dst = tnetstring.EndContainer(dst, mark, tnetstring.TypeString)
	}
	clear(e.groups) // drop references to the request's bytes
	return tnetstring.AppendString(dst, r.Body)
}

func (e *Encoder) appendJSON(dst []byte, r *Request) []byte {
	dst = append(dst, `{"PATH":`...)
	dst = appendJSONString(dst, r.Path)
	if r.ForwardedFor != nil {
		dst = appendJSONField(dst, "x-forwarded-for", r.ForwardedFor)
	}
	for i := range e.groups {
		g := &e.groups[i]
		dst = append(dst, ',')
		dst = appendJSONString(dst, g.name)
		dst = append(dst, ':')
		if g.n == 1 {
			dst = appendJSONString(dst, r.Headers[g.vals[0]].Value)
			continue
		}
		dst = append(dst, '[')
		for j, k := range g.vals[:g.n] {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, r.Headers[k].Value)
		}
		dst = append(dst, ']')
	}
	for _, h := range r.Extra {
		dst = append(dst, ',')
		dst = appendJSONString(dst, h.Name)
		dst = append(dst, ':')
		dst = appendJSONString(dst, h.Value)
	}
	dst = appendJSONOptional(dst, "METHOD", r.Method)
	dst = appendJSONOptional(dst, "VERSION", r.Version)
	dst = appendJSONOptional(dst, "URI", r.URI)
	if r.HasQuery || len(r.Query) > 0 {
		dst = appendJSONField(dst, "QUERY", r.Query)
	}
	if r.HasFragment || len(r.Fragment) > 0 {
		dst = appendJSONField(dst, "FRAGMENT", r.Fragment)
	}
	dst = appendJSONOptional(dst, "PATTERN", r.Pattern)
	dst = appendJSONOptional(dst, "URL_SCHEME", r.URLScheme)
	dst = appendJSONOptional(dst, "REMOTE_ADDR", r.RemoteAddr)
	return append(dst, '}')
}

// appendJSONField appends ,"key":"value" for a key that needs no escaping.
func appendJSONField(dst []byte, key string, value []byte) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, value)
}

func appendJSONOptional(dst []byte, key string, value []byte) []byte {
	if value == nil {
		return dst
	}
	return appendJSONField(dst, key, value)
}

func (e *Encoder) appendTNet(dst []byte, r *Request) []byte {
	dst = appendTNetOptional(dst, "REMOTE_ADDR", r.RemoteAddr)
	dst = appendTNetOptional(dst, "METHOD", r.Method)
	dst = appendTNetOptional(dst, "URL_SCHEME", r.URLScheme)
	dst = appendTNetOptional(dst, "PATTERN", r.Pattern)
	if r.HasFragment || len(r.Fragment) > 0 {
		dst = appendTNetField(dst, "FRAGMENT", r.Fragment)
	}
	if r.HasQuery || len(r.Query) > 0 {
		dst = appendTNetField(dst, "QUERY", r.Query)
	}
	dst = appendTNetOptional(dst, "URI", r.URI)
	dst = appendTNetOptional(dst, "VERSION", r.Version)
	dst = appendTNetField(dst, "PATH", r.Path)
	for i := range e.groups {
		g := &e.groups[i]
		dst = tnetstring.AppendString(dst, g.name)
		if g.n == 1 {
			dst = tnetstring.AppendString(dst, r.Headers[g.vals[0]].Value)
			continue
		}
		var mark int
		dst, mark = tnetstring.BeginContainer(dst)
		for _, k := range g.vals[:g.n] {
			dst = tnetstring.AppendString(dst, r.Headers[k].Value)
		}
		dst = tnetstring.EndContainer(dst, mark, tnetstring.TypeList)
	}
	if r.ForwardedFor != nil {
		dst = appendTNetField(dst, "x-forwarded-for", r.ForwardedFor)
	}
	for _, h := range r.Extra {
		dst = tnetstring.AppendString(dst, h.Name)
		dst = tnetstring.AppendString(dst, h.Value)
	}
	return dst
}

func appendTNetField(dst []byte, key string, value []byte) []byte {
	dst = tnetstring.AppendString(dst, key)
	return tnetstring.AppendString(dst, value)
}

func appendTNetOptional(dst []byte, key string, value []byte) []byte {
	if value == nil {
		return dst
	}
	return appendTNetField(dst, key, value)
}

// appendStart appends UUID SP ID SP, the start of every message to a
// handler.
func appendStart(dst, uuid []byte, id uint64) []byte {
	dst = append(dst, uuid...)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, id, 10)
	return append(dst, ' ')
}

// group fills e.groups with r's client headers grouped by name in
// first-arrival order, applying MaxHeaderValues, MaxHeaderNames and the
// x-forwarded-for replacement. A hash table keeps this linear in the number
// of headers, which a client controls.
func (e *Encoder) group(r *Request) {
	e.groups = e.groups[:0]
	size := 16
	for size < 2*len(r.Headers) {
		size <<= 1
	}
	if cap(e.slots) < size {
		e.slots = make([]int32, size)
	} else {
		e.slots = e.slots[:size]
		clear(e.slots)
	}
	mask := uint32(size - 1)
	for i, h := range r.Headers {
		if r.ForwardedFor != nil && string(h.Name) == "x-forwarded-for" {
			continue
		}
		for s := hash(h.Name) & mask; ; s = (s + 1) & mask {
			slot := e.slots[s]
			if slot == 0 {
				if r.MaxHeaderNames > 0 && len(e.groups) >= r.MaxHeaderNames {
					break
				}
				e.groups = append(e.groups, group{name: h.Name, n: 1, vals: [MaxHeaderValues]int32{int32(i)}})
				e.slots[s] = int32(len(e.groups))
				break
			}
			if g := &e.groups[slot-1]; bytes.Equal(g.name, h.Name) {
				if g.n < MaxHeaderValues {
					g.vals[g.n] = int32(i)
					g.n++
				}
				break
			}
		}
	}
}

// hash is 32-bit FNV-1a.
func hash(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}
