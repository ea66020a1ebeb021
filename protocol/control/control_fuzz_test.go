package control

import (
	"bytes"
	"io"
	"testing"

	tns "github.com/bareku/bareku/protocol/tnetstring"
)

func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"101:4:code,15:INVALID_REQUEST,5:error,63:Invalid request format, must be a list with two elements in it.,}",
		"59:7:headers,6:3:msg,]4:rows,29:25:21:signal sent to server,]]}",
		"49:7:headers,7:4:time,]4:rows,18:14:10:1795790297,]]}",
		"40:7:headers,9:6:status,]4:rows,8:5:2:OK,]]}",
		"99:7:headers,32:2:id,6:system,4:name,5:state,]4:rows,49:21:1:1#5:false!6:SERVER,2:-1,]20:1:2#4:true!0:~1:x,]]}",
		"0:}", "garbage",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		err := Render(io.Discard, reply)
		if _, _, perr := tns.Parse(reply); perr != nil && err != ErrNotDict {
			t.Fatalf("unparsable reply rendered: %v", err)
		}
	})
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"status what=net", "kill id=12", "x a=1=b=2", "x\ta", "kill id=-", "  y  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, args, err := ParseLine(line)
		if err != nil {
			return
		}
		req := AppendRequest(nil, cmd, args)
		v, rest, err := tns.Parse(req)
		if err != nil || len(rest) != 0 {
			t.Fatalf("request %q does not parse: %v", req, err)
		}
		if v.Type != tns.TypeList || len(v.List) != 2 || !bytes.Equal(v.List[0].Str, []byte(cmd)) || len(v.List[1].Dict) != len(args) {
			t.Fatalf("request %q is not [cmd, {args}]", req)
		}
	})
}
