package harness

import (
	"strconv"
	"testing"
)

// encodeTNet writes v back in tnetstring form.
func encodeTNet(v TNet) string {
	var payload string
	switch v.Tag {
	case ']', '}':
		for _, it := range v.Items {
			payload += encodeTNet(it)
		}
	default:
		payload = v.Str
	}
	return strconv.Itoa(len(payload)) + ":" + payload + string(v.Tag)
}

// FuzzParseTNet feeds arbitrary bytes to ParseTNet: it must not panic, and
// whatever it accepts must encode back to the same bytes (so no input byte
// is lost or invented), with dicts holding string keys and values in pairs.
func FuzzParseTNet(f *testing.F) {
	for _, s := range []string{
		// Control-port replies and an access-log line from spec §10.3 and §11.
		"101:4:code,15:INVALID_REQUEST,5:error,63:Invalid request format, must be a list with two elements in it.,}",
		"49:7:headers,7:4:time,]4:rows,18:14:10:1795790297,]]}",
		"40:7:headers,9:6:status,]4:rows,8:5:2:OK,]]}",
		"86:9:localhost,9:127.0.0.1,5:55090#10:1795790306#3:GET,9:/data.txt,8:HTTP/1.1,3:200#2:10#]",
		"0:~", "4:true!", "3:1.5^", "0:}", "0:]", "3:0:,]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := ParseTNet(raw)
		if err != nil {
			return
		}
		if got := encodeTNet(v); got != string(raw) {
			t.Fatalf("ParseTNet(%q) encodes back as %q", raw, got)
		}
		var check func(v TNet)
		check = func(v TNet) {
			if v.Tag == '}' {
				if len(v.Items)%2 != 0 {
					t.Fatalf("dict with %d items in %q", len(v.Items), raw)
				}
				for i := 0; i < len(v.Items); i += 2 {
					if v.Items[i].Tag != ',' {
						t.Fatalf("dict key of type %q in %q", v.Items[i].Tag, raw)
					}
				}
			}
			for _, it := range v.Items {
				check(it)
			}
		}
		check(v)
	})
}

// TestParseTNet pins the decoder on the spec's bytes and on malformed
// inputs it must refuse.
func TestParseTNet(t *testing.T) {
	v, err := ParseTNet([]byte("86:9:localhost,9:127.0.0.1,5:55090#10:1795790306#3:GET,9:/data.txt,8:HTTP/1.1,3:200#2:10#]"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.String(), `["localhost", "127.0.0.1", 55090, 1795790306, "GET", "/data.txt", "HTTP/1.1", 200, 10]`; got != want {
		t.Errorf("access log line decodes as %s, want %s", got, want)
	}
	if v.Items[2].Int != 55090 {
		t.Errorf("port %d", v.Items[2].Int)
	}
	d, err := ParseTNet([]byte("51:5:error,39:Expected argument what=['net'|'tasks'].,}"))
	if e, ok := d.Get("error"); err != nil || !ok || e.Str != "Expected argument what=['net'|'tasks']." {
		t.Errorf("dict lookup: %v %v %s", err, ok, d)
	}
	for _, bad := range []string{"", "garbage", "5:hello", "5:hello,x", "3:abc#", "4:yes!!", "1:x~", "4:1:a,}", "6:1:1#0:,}", "2:1:]", "00:,", "+1:a,", "03:abc,"} {
		if v, err := ParseTNet([]byte(bad)); err == nil {
			t.Errorf("ParseTNet(%q) = %s, want an error", bad, v)
		}
	}
}
