package websocket

import (
	"bytes"
	"errors"
	"testing"
)

func TestAcceptKeyRFCExample(t *testing.T) {
	// RFC 6455 §1.3 and the handshake captured in spec §2.6.
	if got := AcceptKey([]byte("dGhlIHNhbXBsZSBub25jZQ==")); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("got %q", got)
	}
}

// masked builds a client frame.
func masked(first byte, payload []byte) []byte {
	mask := [4]byte{1, 2, 3, 4}
	b := AppendServerHeader(nil, first, len(payload))
	b[1] |= 0x80
	b = append(b, mask[:]...)
	p := append([]byte(nil), payload...)
	Unmask(p, mask, 0)
	return append(b, p...)
}

func TestParseClientHeader(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 70000)
	tests := []struct {
		name    string
		in      []byte
		wantErr error
		op      byte
		fin     bool
		n       uint64
	}{
		{"text", masked(0x81, []byte("hello")), nil, OpText, true, 5},
		{"binary 16-bit length", masked(0x82, long[:300]), nil, OpBinary, true, 300},
		{"binary 64-bit length", masked(0x82, long), nil, OpBinary, true, 70000},
		{"fragment start", masked(0x01, []byte("he")), nil, OpText, false, 2},
		{"ping", masked(0x89, nil), nil, OpPing, true, 0},
		{"rsv bits kept", masked(0xC1, []byte("z")), nil, OpText, true, 1},
		{"unmasked", AppendServerHeader(nil, 0x81, 0), ErrNotMasked, 0, false, 0},
		{"fragmented control", masked(0x09, nil), ErrControlFrag, 0, false, 0},
		{"long control", masked(0x88, long[:126]), ErrControlLength, 0, false, 0},
		{"top bit length", []byte{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, ErrLength, 0, false, 0},
		{"short", []byte{0x81}, ErrShort, 0, false, 0},
		{"short mask", []byte{0x81, 0x85, 1, 2}, ErrShort, 0, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseClientHeader(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if h.Opcode() != tc.op || h.Fin() != tc.fin || h.Length != tc.n {
				t.Fatalf("got op %x fin %v len %d", h.Opcode(), h.Fin(), h.Length)
			}
			p := append([]byte(nil), tc.in[h.HeadLen:]...)
			Unmask(p, h.Mask, 0)
			if h.Length == 5 && string(p) != "hello" {
				t.Fatalf("payload %q", p)
			}
		})
	}
}

func TestUnmaskInPieces(t *testing.T) {
	mask := [4]byte{9, 8, 7, 6}
	src := []byte("the quick brown fox")
	whole := append([]byte(nil), src...)
	Unmask(whole, mask, 0)
	pieces := append([]byte(nil), src...)
	Unmask(pieces[:5], mask, 0)
	Unmask(pieces[5:11], mask, 5)
	Unmask(pieces[11:], mask, 11)
	if !bytes.Equal(whole, pieces) {
		t.Fatal("unmasking in pieces differs")
	}
}

func FuzzParseClientHeader(f *testing.F) {
	f.Add(masked(0x81, []byte("hello")))
	f.Add(masked(0x82, bytes.Repeat([]byte("x"), 300)))
	f.Add([]byte{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseClientHeader(b)
		if err != nil {
			return
		}
		if h.HeadLen > len(b) || !h.Masked || (h.IsControl() && (h.Length >= 126 || !h.Fin())) {
			t.Fatalf("accepted a bad header: %+v", h)
		}
		// Every prefix shorter than the header needs more bytes.
		for i := 0; i < h.HeadLen; i++ {
			if _, err := ParseClientHeader(b[:i]); !errors.Is(err, ErrShort) {
				t.Fatalf("prefix %d: %v", i, err)
			}
		}
	})
}
