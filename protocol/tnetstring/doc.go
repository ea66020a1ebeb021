// Package tnetstring encodes and decodes tagged netstrings, the framing
// Mongrel2 uses for tnetstring handler headers, extended handler replies,
// the control port and the access log.
//
// A tnetstring is SIZE ':' PAYLOAD TAG, where SIZE is the decimal byte
// length of PAYLOAD and TAG names the type:
//
//	,  string     #  integer    ^  float     !  boolean ("true"/"false")
//	~  null       }  dict       ]  list
//
// Dict payloads are key/value pairs whose keys are strings; dicts keep the
// order they were written in. Parse decodes one value into a Value tree whose
// strings alias the input. The Append functions write values without
// allocating, for the hot paths (handler messages, access log lines);
// BeginContainer and EndContainer let a caller write a list, dict or string
// payload in place before its length is known.
//
// This package imports only the standard library and must stay that way:
// it sits under every other protocol package.
package tnetstring
