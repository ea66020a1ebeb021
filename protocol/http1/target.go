package http1

// targetState is the position of the request-target scanner in the RFC 3986
// URI-reference grammar.
type targetState uint8

const (
	tStart        targetState = iota // nothing read yet
	tScheme                          // letters that may still turn out to be a scheme
	tFirstSeg                        // first segment of a relative path: no ':' allowed
	tHier                            // just after "scheme:"
	tSlash                           // path began with one '/'; a second starts an authority
	tAuth                            // authority before any '@': userinfo or host[:port]
	tHost                            // host after "userinfo@"
	tPort                            // port digits
	tAfterLiteral                    // just after an IP literal's ']'
	tPath                            // path segments
	tQuery                           // after '?'
	tFragment                        // after '#'
)

// target holds the offsets (into the scanned buffer) of the parts of a
// request-target, which ends at the space buf[end].
type target struct {
	pathStart, pathEnd int // path; for absolute form it starts after "scheme:"
	uriEnd             int // end of path+query (the fragment excluded)
	queryStart         int // after '?', or -1
	fragStart          int // after '#', or -1
	end                int // index of the terminating space
}

// scanTarget scans a request-target starting at buf[start] up to the space
// that ends it. With socket set it scans the path of a JSON socket message
// instead: an RFC 3986 relative-part, so no scheme, query or fragment.
// Relaxed adds { } ^ to the sub-delims, as request.relaxed does in Mongrel2.
//
// It returns errNeedMore when buf ends first, and ErrTarget at the first byte
// that no valid target could contain.
func scanTarget(buf []byte, start int, socket, relaxed bool) (target, error) {
	t := target{pathStart: start, queryStart: -1, fragStart: -1}

	var hiSub uint64
	if relaxed {
		hiSub = hiRelaxed
	}
	// Classes from RFC 3986, as Mongrel2's Ragel grammar spells them.
	loReg, hiReg := loUnreserved|loSubDelims, hiUnreserved|hiSub // reg-name, minus pct-encoded
	loSeg, hiSeg := loReg, hiReg|1<<('@'-64)                     // segment-nz-nc
	loPchar, hiPchar := loSeg|1<<':', hiSeg                      // pchar
	loQuery, hiQuery := loPchar|1<<'/'|1<<'?', hiPchar           // query and fragment

	st := tStart
	pct := 0          // hex digits still owed by a "%XX" escape
	authStart := 0    // first byte of the authority, or of the host after '@'
	colon := false    // tAuth: a ':' has been seen
	userinfo := false // tAuth: the text after the ':' can only be userinfo, so an '@' must follow
	for i := start; i < len(buf); i++ {
		c := buf[i]
		if pct > 0 {
			if !isHex(c) {
				return t, ErrTarget
			}
			pct--
			continue
		}
		if c == '%' && st != tPort && st != tAfterLiteral {
			// Percent escapes are allowed everywhere except in a port and
			// after an IP literal; in a would-be scheme or right after a
			// leading '/' they settle which kind of segment this is.
			switch st {
			case tStart, tScheme:
				st = tFirstSeg
			case tHier, tSlash:
				st = tPath
			case tAuth:
				userinfo = userinfo || colon
			}
			pct = 2
			continue
		}

		consumed := true
		switch st {
		case tStart:
			switch {
			case c == '/':
				st = tSlash
			case isAlpha(c) && !socket:
				st = tScheme
			case in(c, loSeg, hiSeg):
				st = tFirstSeg
			default:
				consumed = false
			}
		case tScheme:
			switch {
			case isAlpha(c) || in(c, loScheme, 0):
			case c == ':':
				t.pathStart, st = i+1, tHier
			case in(c, loSeg, hiSeg):
				st = tFirstSeg
			case c == '/':
				st = tPath
			default:
				consumed = false
			}
		case tFirstSeg:
			switch {
			case in(c, loSeg, hiSeg):
			case c == '/':
				st = tPath
			default:
				consumed = false
			}
		case tHier:
			switch {
			case c == '/':
				st = tSlash
			case in(c, loPchar, hiPchar):
				st = tPath
			default:
				consumed = false
			}
		case tSlash:
			switch {
			case c == '/':
				st, authStart, colon, userinfo = tAuth, i+1, false, false
			case in(c, loPchar, hiPchar):
				st = tPath
			default:
				consumed = false
			}
		case tPath:
			consumed = c == '/' || in(c, loPchar, hiPchar)
		case tAuth:
			switch {
			case c == '@':
				st, authStart = tHost, i+1
			case c == '[' && i == authStart:
				end, err := scanIPLiteral(buf, i+1, relaxed)
				if err != nil {
					return t, err
				}
				i, st = end, tAfterLiteral
			case c == ':':
				// A second ':' can only be inside userinfo.
				userinfo = userinfo || colon
				colon = true
			case in(c, loReg, hiReg):
				userinfo = userinfo || colon && !isDigit(c)
			case userinfo:
				// The authority ends here, but "x:y" without '@' is not
				// host:port.
				return t, ErrTarget
			case c == '/':
				st = tPath
			default:
				consumed = false
			}
		case tHost:
			switch {
			case c == '[' && i == authStart:
				end, err := scanIPLiteral(buf, i+1, relaxed)
				if err != nil {
					return t, err
				}
				i, st = end, tAfterLiteral
			case c == ':':
				st = tPort
			case in(c, loReg, hiReg):
			case c == '/':
				st = tPath
			default:
				consumed = false
			}
		case tPort:
			switch {
			case isDigit(c):
			case c == '/':
				st = tPath
			default:
				consumed = false
			}
		case tAfterLiteral:
			switch c {
			case ':':
				st = tPort
			case '/':
				st = tPath
			default:
				consumed = false
			}
		case tQuery, tFragment:
			switch {
			case in(c, loQuery, hiQuery):
			case c == '#' && st == tQuery && !socket:
				t.uriEnd, t.fragStart, st = i, i+1, tFragment
			case c == ' ':
				if st == tQuery {
					t.uriEnd = i
				}
				t.end = i
				return t, nil
			default:
				return t, ErrTarget
			}
		}
		if consumed {
			continue
		}
		// c ends the path (and authority) part of the target, or is invalid.
		switch {
		case c == ' ':
			t.pathEnd, t.uriEnd, t.end = i, i, i
			return t, nil
		case c == '?' && !socket:
			t.pathEnd, t.queryStart, st = i, i+1, tQuery
		case c == '#' && !socket:
			t.pathEnd, t.uriEnd, t.fragStart, st = i, i, i+1, tFragment
		default:
			return t, ErrTarget
		}
	}
	return t, errNeedMore
}
