package m2sh

import (
	"bytes"
	"testing"
)

func FuzzWriteAccessLine(f *testing.F) {
	for _, s := range []string{
		"86:9:localhost,9:127.0.0.1,5:55090#10:1795790306#3:GET,9:/data.txt,8:HTTP/1.1,3:200#2:10#]\n",
		"88:9:localhost,9:127.0.0.1,5:55098#10:1795790307#4:POST,10:/handler/p,8:HTTP/1.1,3:200#1:3#]\n",
		"78:9:localhost,9:127.0.0.1,5:55104#10:1795790307#3:GET,4:/sub,8:HTTP/1.1,1:0#1:0#]\n",
		"junk\n", "\n", "5:hello,",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var b bytes.Buffer
		if !writeAccessLine(&b, line) {
			if b.Len() != 0 {
				t.Fatalf("rejected line wrote %q", b.String())
			}
			return
		}
		out := b.Bytes()
		if out[0] != '[' || out[len(out)-1] != '\n' {
			t.Fatalf("record %q", out)
		}
	})
}
