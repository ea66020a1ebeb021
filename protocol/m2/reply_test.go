package m2

import (
	"errors"
	"slices"
	"testing"

	"github.com/bareku/bareku/protocol/tnetstring"
)

func TestParseReply(t *testing.T) {
	for _, tc := range []struct {
		name     string
		msg      string
		max      int
		uuid     string
		extended bool
		ids      []uint64
		body     string
	}{
		{"http response", testUUID + " 1:1, HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", 128,
			testUUID, false, []uint64{1}, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"},
		{"trailing space in the id netstring", "u 3:22 , body", 128, "u", false, []uint64{22}, "body"},
		{"several targets, repeats kept", "u 9:1 2 3 2 1, x", 128, "u", false, []uint64{1, 2, 3, 2, 1}, "x"},
		{"empty body closes", "u 1:7, ", 128, "u", false, []uint64{7}, ""},
		{"body keeps spaces and NULs", "u 1:7,   a\x00 ", 128, "u", false, []uint64{7}, "  a\x00 "},
		{"length with leading zeros", "u 001:7, x", 128, "u", false, []uint64{7}, "x"},
		{"id with leading zeros", "u 3:007, x", 128, "u", false, []uint64{7}, "x"},
		{"largest id", "u 10:4294967295, x", 128, "u", false, []uint64{4294967295}, "x"},
		{"exactly max targets", "u 3:1 2, x", 2, "u", false, []uint64{1, 2}, "x"},
		{"no limit", "u 3:1 2, x", 0, "u", false, []uint64{1, 2}, "x"},
		{"uuid letters digits dashes", "aZ-09 1:1, x", 128, "aZ-09", false, []uint64{1}, "x"},
		// §2.5, captured credits grant.
		{"extended ctl", "s2-handler 3:X 3, 27:3:ctl,17:7:credits,4:4096#}]", 128,
			"s2-handler", true, []uint64{3}, "27:3:ctl,17:7:credits,4:4096#}]"},
		{"extended several", "u 6:X 1 2 , 5:3:ctl,]", 128, "u", true, []uint64{1, 2}, "5:3:ctl,]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Reply
			if err := ParseReply([]byte(tc.msg), &r, tc.max); err != nil {
				t.Fatalf("ParseReply(%q): %v", tc.msg, err)
			}
			if string(r.UUID) != tc.uuid || r.Extended != tc.extended || !slices.Equal(r.IDs, tc.ids) || string(r.Body) != tc.body {
				t.Errorf("got {%q %v %v %q}, want {%q %v %v %q}", r.UUID, r.Extended, r.IDs, r.Body, tc.uuid, tc.extended, tc.ids, tc.body)
			}
		})
	}
}

func TestParseReplyErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  string
		max  int
		want error
	}{
		{"empty", "", 128, ErrReplyUUID},
		{"underscore in uuid", "a_b 1:1, x", 128, ErrReplyUUID},
		{"empty uuid", " 1:1, x", 128, ErrReplyUUID},
		{"uuid only", "abc", 128, ErrReplyUUID},
		{"dot in uuid", "a.b 1:1, x", 128, ErrReplyUUID},
		{"two spaces after uuid", "u  1:1, x", 128, ErrReplyLength},
		{"length too short", "u 1:12, x", 128, ErrReplyLength},
		{"length too long", "u 3:12, x", 128, ErrReplyLength},
		{"length beyond message", "u 9:1, x", 128, ErrReplyLength},
		{"huge length", "u 99999999999999999999999999:1, x", 128, ErrReplyLength},
		{"no length", "u :1, x", 128, ErrReplyLength},
		{"no colon", "u 1;1, x", 128, ErrReplyLength},
		{"missing space after comma", "u 1:1,x", 128, ErrReplySpace},
		{"ends after comma", "u 1:1,", 128, ErrReplySpace},
		{"two spaces between ids", "u 4:1  2, x", 128, ErrReplyIDs},
		{"leading space", "u 2: 1, x", 128, ErrReplyIDs},
		{"letter in id", "u 2:1a, x", 128, ErrReplyIDs},
		{"comma in ids", "u 3:1,2, x", 128, ErrReplyIDs},
		{"X without space", "u 2:X1, x", 128, ErrReplyIDs},
		{"lower-case x", "u 3:x 1, x", 128, ErrReplyIDs},
		{"X twice", "u 5:X X 1, x", 128, ErrReplyIDs},
		{"no ids", "u 0:, x", 128, ErrReplyNoTargets},
		{"extended without ids", "u 2:X , x", 128, ErrReplyNoTargets},
		{"too many ids", "u 5:1 2 3, x", 2, ErrReplyTooMany},
		{"id beyond 32 bits", "u 10:4294967296, x", 128, ErrReplyIDRange},
		{"id far beyond 64 bits", "u 30:999999999999999999999999999999, x", 128, ErrReplyIDRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Reply{IDs: []uint64{42}}
			err := ParseReply([]byte(tc.msg), &r, tc.max)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidReply) {
				t.Errorf("ParseReply(%q) = %v, want %v", tc.msg, err, tc.want)
			}
		})
	}
}

func TestParseReplyDoesNotAllocate(t *testing.T) {
	msg := []byte(testUUID + " 13:1 22 333 4444, HTTP/1.1 200 OK\r\n\r\n")
	bad := []byte("bad_uuid 1:1, x")
	var r Reply
	n := testing.AllocsPerRun(100, func() {
		if err := ParseReply(msg, &r, 128); err != nil {
			t.Fatal(err)
		}
		if err := ParseReply(bad, &r, 128); err == nil {
			t.Fatal("accepted a bad uuid")
		}
	})
	if n != 0 {
		t.Errorf("%v allocs, want 0", n)
	}
}

func TestParseExtended(t *testing.T) {
	for _, tc := range []struct {
		name, body, key string
		want            tnetstring.Value
	}{
		// §2.5, captured.
		{"credits", "27:3:ctl,17:7:credits,4:4096#}]", "ctl",
			tnetstring.Dict(tnetstring.KV("credits", tnetstring.Int(4096)))},
		{"keep-alive and cancel", "43:3:ctl,33:10:keep-alive,4:true!6:cancel,0:~}]", "ctl",
			tnetstring.Dict(tnetstring.KV("keep-alive", tnetstring.Bool(true)), tnetstring.KV("cancel", tnetstring.Null()))},
		{"sendfile", "23:8:sendfile,9:/abs/path,]", "sendfile", tnetstring.String("/abs/path")},
		{"ctl value not a dict still parses", "10:3:ctl,1:5#]", "ctl", tnetstring.Int(5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, v, err := ParseExtended([]byte(tc.body))
			if err != nil {
				t.Fatalf("ParseExtended(%q): %v", tc.body, err)
			}
			if string(key) != tc.key || !v.Equal(tc.want) {
				t.Errorf("got %q %+v, want %q %+v", key, v, tc.key, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, body string }{
		{"empty", ""},
		{"garbage", "hello"},
		{"not a list", "3:ctl,"},
		{"dict", "10:3:ctl,1:5#}"},
		{"empty list", "0:]"},
		{"one element", "6:3:ctl,]"},
		{"three elements", "14:3:ctl,1:5#1:6#]"},
		{"int key", "8:1:1#1:5#]"},
		{"bytes after the list", "10:3:ctl,1:5#]x"},
		{"bad value", "10:3:ctl,1:x#]"},
		{"truncated", "27:3:ctl,17:7:credits,4:4096#}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := ParseExtended([]byte(tc.body)); !errors.Is(err, ErrExtended) {
				t.Errorf("ParseExtended(%q) error = %v, want ErrExtended", tc.body, err)
			}
		})
	}
}

func TestAppendReply(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"one id", AppendReply(nil, "u", []uint64{1}, []byte("hi")), "u 1:1, hi"},
		{"several ids", AppendReply(nil, "u", []uint64{1, 22, 333}, []byte("hi")), "u 8:1 22 333, hi"},
		{"close", AppendReply(nil, "u", []uint64{5}, nil), "u 1:5, "},
		{"long id list", AppendReply(nil, "u", []uint64{1000000000, 1000000000, 1000000000, 1000000000, 1000000000, 1000000000, 1000000000, 1000000000, 1000000000, 1000000000}, nil),
			"u 109:1000000000 1000000000 1000000000 1000000000 1000000000 1000000000 1000000000 1000000000 1000000000 1000000000, "},
		// §2.5, captured.
		{"extended credits", AppendExtendedReply(nil, "s2-handler", []uint64{3}, "ctl", tnetstring.Dict(tnetstring.KV("credits", tnetstring.Int(4096)))),
			"s2-handler 3:X 3, 27:3:ctl,17:7:credits,4:4096#}]"},
	} {
		if string(tc.got) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestReplyRoundTrip(t *testing.T) {
	ids := []uint64{0, 1, 4294967295, 17}
	var r Reply
	if err := ParseReply(AppendReply(nil, "h-1", ids, []byte(" body ")), &r, 0); err != nil {
		t.Fatal(err)
	}
	if string(r.UUID) != "h-1" || r.Extended || !slices.Equal(r.IDs, ids) || string(r.Body) != " body " {
		t.Errorf("got %+v", r)
	}
	value := tnetstring.Dict(tnetstring.KV("keep-alive", tnetstring.Bool(true)))
	if err := ParseReply(AppendExtendedReply(nil, "h-1", ids, "ctl", value), &r, 0); err != nil {
		t.Fatal(err)
	}
	key, v, err := ParseExtended(r.Body)
	if err != nil || !r.Extended || !slices.Equal(r.IDs, ids) || string(key) != "ctl" || !v.Equal(value) {
		t.Errorf("got %+v, %q %+v %v", r, key, v, err)
	}
}
