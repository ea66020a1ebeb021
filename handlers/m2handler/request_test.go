package m2handler

import (
	"strings"
	"testing"

	"github.com/bareku/bareku/protocol/m2"
)

func request(headers map[string][]string) *Request {
	return &Request{Message: m2.Message{Headers: headers}}
}

func TestWantsClose(t *testing.T) {
	tests := []struct {
		version    string
		connection []string
		want       bool
	}{
		{"HTTP/1.1", nil, false},
		{"HTTP/1.1", []string{"close"}, true},
		{"HTTP/1.1", []string{"Close"}, true},
		{"HTTP/1.1", []string{"keep-alive, close"}, true},
		{"HTTP/1.1", []string{"keep-alive", " CLOSE "}, true},
		{"HTTP/1.1", []string{"keep-alive"}, false},
		{"HTTP/1.1", []string{"closed"}, false},
		{"HTTP/1.1", []string{"Upgrade"}, false},
		{"HTTP/1.0", nil, true},
		{"HTTP/1.0", []string{"Keep-Alive"}, false},
		{"HTTP/1.0", []string{"keep-alive, close"}, true},
		{"", nil, false}, // socket messages have no VERSION
	}
	for _, tt := range tests {
		h := map[string][]string{}
		if tt.version != "" {
			h["VERSION"] = []string{tt.version}
		}
		if tt.connection != nil {
			h["connection"] = tt.connection
		}
		if got := request(h).WantsClose(); got != tt.want {
			t.Errorf("%s connection %q: WantsClose() = %v, want %v", tt.version, tt.connection, got, tt.want)
		}
	}
}

func TestWebSocketFlags(t *testing.T) {
	tests := []struct {
		flags string
		want  byte
		ok    bool
	}{
		{"0x81", 0x81, true},
		{"0x88", 0x88, true},
		{"0x8A", 0x8A, true},
		{"0xC1", 0xC1, true},
		{"", 0, false},
		{"81", 0, false},
		{"0x", 0, false},
		{"0x181", 0, false},
		{"0xZZ", 0, false},
	}
	for _, tt := range tests {
		h := map[string][]string{"METHOD": {"WEBSOCKET"}}
		if tt.flags != "" {
			h["FLAGS"] = []string{tt.flags}
		}
		r := request(h)
		got, ok := r.WebSocketFlags()
		if got != tt.want || ok != tt.ok {
			t.Errorf("FLAGS %q: got %#x, %v; want %#x, %v", tt.flags, got, ok, tt.want, tt.ok)
		}
		if !r.IsWebSocket() || r.IsWebSocketHandshake() {
			t.Errorf("METHOD WEBSOCKET misclassified")
		}
	}
}

func TestAppendWebSocketFrame(t *testing.T) {
	tests := []struct {
		opcode byte
		n      int
		head   string
	}{
		{OpText, 0, "\x81\x00"},
		{OpText, 125, "\x81\x7d"},
		{OpBinary, 126, "\x82\x7e\x00\x7e"},
		{OpBinary, 65535, "\x82\x7e\xff\xff"},
		{OpBinary, 65536, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"},
		{OpPong, 3, "\x8a\x03"},
	}
	for _, tt := range tests {
		payload := make([]byte, tt.n)
		got := AppendWebSocketFrame([]byte("pre"), tt.opcode, payload)
		want := "pre" + tt.head + string(payload)
		if string(got) != want {
			t.Errorf("frame opcode %#x len %d: head %q, want %q", tt.opcode, tt.n, got[3:min(len(got), 3+len(tt.head))], tt.head)
		}
	}
}

func TestNewSenderID(t *testing.T) {
	a, b := NewSenderID(), NewSenderID()
	if a == b {
		t.Fatalf("two calls returned %q", a)
	}
	if len(a) != 36 || a[8] != '-' || a[13] != '-' || a[14] != '4' || a[18] != '-' || a[23] != '-' || !strings.ContainsRune("89ab", rune(a[19])) {
		t.Errorf("NewSenderID() = %q, not a version 4 UUID", a)
	}
}
