package m2

import (
	"strings"
	"testing"
)

func TestEvents(t *testing.T) {
	uuid := b(testUUID)
	chunk := func(c byte, n int) string { return strings.Repeat(string(c), n) }
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		// §2.4, captured.
		{"disconnect json", AppendDisconnect(nil, JSON, uuid, 99999),
			testUUID + ` 99999 @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},`},
		{"disconnect tnet", AppendDisconnect(nil, TNetstring, uuid, 5),
			testUUID + ` 5 @* 16:6:METHOD,4:JSON,}21:{"type":"disconnect"},`},
		{"credits json", AppendCredits(nil, JSON, uuid, 7, 84),
			testUUID + ` 7 @* 41:{"METHOD":"JSON","DOWNLOAD_CREDITS":"84"},18:{"type":"credits"},`},
		{"credits tnet", AppendCredits(nil, TNetstring, uuid, 7, 84),
			testUUID + ` 7 @* 41:6:METHOD,4:JSON,16:DOWNLOAD_CREDITS,2:84,}18:{"type":"credits"},`},
		// §2.5, the captured streamed upload with its bodies restored.
		{"upload stream json", AppendUploadStream(nil, JSON, b("s2-handler"), 3, b("/h/stream"), 4029, false, []byte(chunk('B', 4096))),
			`s2-handler 3 /h/stream 24:{"UPLOAD_STREAM":"4029"},4096:` + chunk('B', 4096) + `,`},
		{"upload stream json done", AppendUploadStream(nil, JSON, b("s2-handler"), 3, b("/h/stream"), 8125, true, []byte(chunk('B', 3875))),
			`s2-handler 3 /h/stream 49:{"UPLOAD_STREAM":"8125","UPLOAD_STREAM_DONE":"1"},3875:` + chunk('B', 3875) + `,`},
		{"upload stream tnet done", AppendUploadStream(nil, TNetstring, b("s2"), 3, b("/h"), 8125, true, b("xy")),
			`s2 3 /h 50:13:UPLOAD_STREAM,4:8125,18:UPLOAD_STREAM_DONE,1:1,}2:xy,`},
	} {
		if string(tc.got) != tc.want {
			t.Errorf("%s:\ngot  %.200q\nwant %.200q", tc.name, tc.got, tc.want)
		}
	}
}

func TestEventsParse(t *testing.T) {
	for _, p := range []Protocol{JSON, TNetstring} {
		m, err := ParseRequest(AppendDisconnect(nil, p, b("u"), 9))
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		if !m.IsDisconnect() || m.ID != 9 || m.Path != "@*" || m.Protocol != p {
			t.Errorf("%v: disconnect parsed as %+v", p, m)
		}
		m, err = ParseRequest(AppendCredits(nil, p, b("u"), 9, 102400))
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		if m.IsDisconnect() || m.Header("DOWNLOAD_CREDITS") != "102400" || string(m.Body) != `{"type":"credits"}` {
			t.Errorf("%v: credits parsed as %+v", p, m)
		}
	}
}

func TestEventsDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 256)
	uuid := b(testUUID)
	n := testing.AllocsPerRun(100, func() {
		AppendDisconnect(buf[:0], JSON, uuid, 1)
		AppendDisconnect(buf[:0], TNetstring, uuid, 1)
		AppendCredits(buf[:0], JSON, uuid, 1, 100)
		AppendCredits(buf[:0], TNetstring, uuid, 1, 100)
		AppendUploadStream(buf[:0], JSON, uuid, 1, uuid, 100, true, uuid)
		AppendUploadStream(buf[:0], TNetstring, uuid, 1, uuid, 100, true, uuid)
	})
	if n != 0 {
		t.Errorf("%v allocs, want 0", n)
	}
}
