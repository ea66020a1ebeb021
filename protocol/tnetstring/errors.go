package tnetstring

import "errors"

// Errors returned by Parse and Split. They are returned unwrapped so that
// rejecting hostile input costs no allocation; compare with errors.Is.
var (
	// ErrShort means the data ends before the value does. More bytes
	// could still make it valid.
	ErrShort = errors.New("tnetstring: truncated value")
	// ErrLength means the length prefix is not 1 to 9 decimal digits
	// followed by ':'.
	ErrLength = errors.New("tnetstring: invalid length prefix")
	// ErrTag means the type tag after the payload is not one of , # ^ ! ~ } ].
	ErrTag = errors.New("tnetstring: unknown type tag")
	// ErrPayload means the payload is not valid for its tag: a malformed
	// or out-of-range integer or float, a boolean other than "true" or
	// "false", or a non-empty null.
	ErrPayload = errors.New("tnetstring: invalid payload for its type")
	// ErrKey means a dict key is not a string or a dict has a key with no
	// value.
	ErrKey = errors.New("tnetstring: invalid dict key")
	// ErrDepth means lists and dicts are nested deeper than MaxDepth.
	ErrDepth = errors.New("tnetstring: nesting too deep")
)
