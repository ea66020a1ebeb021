package m2

import (
	"fmt"
	"math"
	"strconv"

	"github.com/bareku/bareku/protocol/tnetstring"
)

// Reply is a parsed handler reply. UUID and Body alias the message.
type Reply struct {
	UUID     []byte
	Extended bool     // the id list started with "X ": Body is a tnetstring [key, value]
	IDs      []uint64 // target connection ids, in order, repeats kept
	Body     []byte   // empty: close the connections after flushing
}

// ParseReply parses a handler reply with Mongrel2's exact grammar:
//
//	Reply      = UUID ' ' Length ':' IdentList ',' ' ' BODY
//	UUID       = [A-Za-z0-9-]+
//	Length     = digit+              (must equal the byte length of IdentList)
//	IdentList  = ('X ')? Identifier*
//	Identifier = digit+ ' '?
//
// so "3:22 ," (a trailing space inside the netstring) is accepted. It
// rejects a reply with no ids, with more than maxTargets ids (maxTargets
// <= 0 means no limit) or with an id beyond 32 bits. r.IDs is reused, so
// parsing allocates nothing once it has grown. Errors wrap ErrInvalidReply.
func ParseReply(msg []byte, r *Reply, maxTargets int) error {
	*r = Reply{IDs: r.IDs[:0]}
	i := 0
	for i < len(msg) && isUUIDByte(msg[i]) {
		i++
	}
	if i == 0 || i == len(msg) || msg[i] != ' ' {
		return ErrReplyUUID
	}
	uuid := msg[:i]
	i++

	start, n := i, 0
	for ; i < len(msg) && isDigit(msg[i]); i++ {
		if n <= len(msg) { // saturate: a longer length can never match
			n = n*10 + int(msg[i]-'0')
		}
	}
	if i == start || i == len(msg) || msg[i] != ':' {
		return ErrReplyLength
	}
	i++
	if n > len(msg)-i-1 || msg[i+n] != ',' {
		return ErrReplyLength
	}
	list := msg[i : i+n]
	i += n + 1
	if i == len(msg) || msg[i] != ' ' {
		return ErrReplySpace
	}

	if len(list) >= 2 && list[0] == 'X' && list[1] == ' ' {
		r.Extended = true
		list = list[2:]
	}
	for k := 0; k < len(list); {
		first := k
		var id uint64
		for ; k < len(list) && isDigit(list[k]); k++ {
			if id = id*10 + uint64(list[k]-'0'); id > math.MaxUint32 {
				return ErrReplyIDRange
			}
		}
		if k == first {
			return ErrReplyIDs
		}
		if k < len(list) {
			if list[k] != ' ' {
				return ErrReplyIDs
			}
			k++
		}
		if maxTargets > 0 && len(r.IDs) == maxTargets {
			return ErrReplyTooMany
		}
		r.IDs = append(r.IDs, id)
	}
	if len(r.IDs) == 0 {
		return ErrReplyNoTargets
	}
	r.UUID, r.Body = uuid, msg[i+1:]
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isUUIDByte(c byte) bool {
	return isDigit(c) || c == '-' || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// ParseExtended parses the body of an extended (X) reply: a tnetstring list
// of exactly two elements, a string key and any value, with nothing after
// the list. key and the strings in value alias body.
func ParseExtended(body []byte) (key []byte, value tnetstring.Value, err error) {
	typ, payload, rest, err := tnetstring.Split(body)
	switch {
	case err != nil:
		return nil, tnetstring.Value{}, fmt.Errorf("%w: %w", ErrExtended, err)
	case typ != tnetstring.TypeList:
		return nil, tnetstring.Value{}, fmt.Errorf("%w: not a list", ErrExtended)
	case len(rest) != 0:
		return nil, tnetstring.Value{}, fmt.Errorf("%w: %d bytes after the list", ErrExtended, len(rest))
	}
	k, after, err := tnetstring.Parse(payload)
	if err != nil {
		return nil, tnetstring.Value{}, fmt.Errorf("%w: key: %w", ErrExtended, err)
	}
	if k.Type != tnetstring.TypeString {
		return nil, tnetstring.Value{}, fmt.Errorf("%w: key is not a string", ErrExtended)
	}
	if len(after) == 0 {
		return nil, tnetstring.Value{}, fmt.Errorf("%w: one element", ErrExtended)
	}
	value, after, err = tnetstring.Parse(after)
	if err != nil {
		return nil, tnetstring.Value{}, fmt.Errorf("%w: value: %w", ErrExtended, err)
	}
	if len(after) != 0 {
		return nil, tnetstring.Value{}, fmt.Errorf("%w: more than two elements", ErrExtended)
	}
	return k.Str, value, nil
}

// AppendReply appends a handler reply delivering body to the connections
// ids: UUID SP LEN:ids, SP body, with the ids separated by single spaces.
// An empty body asks the server to close those connections.
func AppendReply(dst []byte, uuid string, ids []uint64, body []byte) []byte {
	dst = appendReplyStart(dst, uuid, false, ids)
	return append(dst, body...)
}

// AppendExtendedReply appends an extended reply: UUID SP LEN:X ids, SP and
// the tnetstring list [key, value], e.g. key "ctl" with {"credits": N}.
func AppendExtendedReply(dst []byte, uuid string, ids []uint64, key string, value tnetstring.Value) []byte {
	dst = appendReplyStart(dst, uuid, true, ids)
	dst, mark := tnetstring.BeginContainer(dst)
	dst = tnetstring.AppendString(dst, key)
	dst = value.Append(dst)
	return tnetstring.EndContainer(dst, mark, tnetstring.TypeList)
}

func appendReplyStart(dst []byte, uuid string, extended bool, ids []uint64) []byte {
	dst = append(dst, uuid...)
	dst = append(dst, ' ')
	dst, mark := tnetstring.BeginContainer(dst)
	if extended {
		dst = append(dst, 'X', ' ')
	}
	for i, id := range ids {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = strconv.AppendUint(dst, id, 10)
	}
	dst = tnetstring.EndContainer(dst, mark, tnetstring.TypeString)
	return append(dst, ' ')
}
