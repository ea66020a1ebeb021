package m2handler

import (
	"crypto/rand"
	"fmt"
)

// NewSenderID returns a random version 4 UUID in its usual text form, for
// handlers that are not given a fixed sender identity.
func NewSenderID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
