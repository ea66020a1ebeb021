package m2_test

import (
	"fmt"

	"github.com/bareku/bareku/protocol/m2"
	"github.com/bareku/bareku/protocol/tnetstring"
)

func ExampleEncoder_Append() {
	r := &m2.Request{
		UUID: []byte("h1"), ID: 7, Path: []byte("/app"),
		Method: []byte("GET"), Version: []byte("HTTP/1.1"), URI: []byte("/app"),
		Pattern: []byte("/"), URLScheme: []byte("http"), RemoteAddr: []byte("10.0.0.1"),
		Headers:      []m2.Header{{Name: []byte("host"), Value: []byte("a")}, {Name: []byte("x-dup"), Value: []byte("1")}, {Name: []byte("x-dup"), Value: []byte("2")}},
		ForwardedFor: []byte("10.0.0.1"),
	}
	var e m2.Encoder
	fmt.Printf("%s\n", e.Append(nil, m2.JSON, r))
	// Output: h1 7 /app 181:{"PATH":"/app","x-forwarded-for":"10.0.0.1","host":"a","x-dup":["1","2"],"METHOD":"GET","VERSION":"HTTP/1.1","URI":"/app","PATTERN":"/","URL_SCHEME":"http","REMOTE_ADDR":"10.0.0.1"},0:,
}

func ExampleParseReply() {
	var r m2.Reply
	if err := m2.ParseReply([]byte("h1 5:7 8 9, HTTP/1.1 204 No Content\r\n\r\n"), &r, 128); err != nil {
		panic(err)
	}
	fmt.Printf("%s %v %q\n", r.UUID, r.IDs, r.Body)
	// Output: h1 [7 8 9] "HTTP/1.1 204 No Content\r\n\r\n"
}

func ExampleAppendExtendedReply() {
	credits := tnetstring.Dict(tnetstring.KV("credits", tnetstring.Int(4096)))
	fmt.Printf("%s\n", m2.AppendExtendedReply(nil, "s2-handler", []uint64{3}, "ctl", credits))
	// Output: s2-handler 3:X 3, 27:3:ctl,17:7:credits,4:4096#}]
}

func ExampleParseRequest() {
	m, err := m2.ParseRequest([]byte(`h1 7 @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},`))
	if err != nil {
		panic(err)
	}
	fmt.Println(m.ID, m.IsDisconnect())
	// Output: 7 true
}
