package m2

import (
	"errors"
	"fmt"
)

// ErrInvalidReply is wrapped by every error ParseReply returns. Mongrel2
// drops such a message whole.
var ErrInvalidReply = errors.New("m2: invalid handler reply")

// Reasons a reply is invalid; each wraps ErrInvalidReply. They are built
// once so that rejecting a reply allocates nothing.
var (
	ErrReplyUUID      = fmt.Errorf("%w: uuid is not [A-Za-z0-9-]+ followed by a space", ErrInvalidReply)
	ErrReplyLength    = fmt.Errorf("%w: id netstring length is missing or does not match", ErrInvalidReply)
	ErrReplySpace     = fmt.Errorf("%w: no space after the id netstring", ErrInvalidReply)
	ErrReplyIDs       = fmt.Errorf("%w: id list is not space-separated decimal ids", ErrInvalidReply)
	ErrReplyIDRange   = fmt.Errorf("%w: connection id does not fit in 32 bits", ErrInvalidReply)
	ErrReplyNoTargets = fmt.Errorf("%w: no connection ids", ErrInvalidReply)
	ErrReplyTooMany   = fmt.Errorf("%w: more connection ids than limits.handler_targets", ErrInvalidReply)
)

// ErrExtended is wrapped by ParseExtended errors: the body of an X reply is
// not a tnetstring list of exactly a string key and one value.
var ErrExtended = errors.New("m2: extended reply body is not a [key, value] tnetstring list")

// ErrInvalidRequest is wrapped by ParseRequest errors.
var ErrInvalidRequest = errors.New("m2: invalid request message")
