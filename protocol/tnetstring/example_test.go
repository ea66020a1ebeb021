package tnetstring_test

import (
	"fmt"

	"github.com/bareku/bareku/protocol/tnetstring"
)

func ExampleParse() {
	v, rest, err := tnetstring.Parse([]byte("27:3:ctl,17:7:credits,4:4096#}]"))
	if err != nil {
		panic(err)
	}
	credits, _ := v.List[1].Get("credits")
	fmt.Printf("%s %d %q\n", v.List[0].Str, credits.Int, rest)
	// Output: ctl 4096 ""
}

func ExampleBeginContainer() {
	// An access-log line: the list's length is known only once it is written.
	dst, mark := tnetstring.BeginContainer(nil)
	dst = tnetstring.AppendString(dst, "localhost")
	dst = tnetstring.AppendInt(dst, 200)
	dst = tnetstring.EndContainer(dst, mark, tnetstring.TypeList)
	fmt.Printf("%s\n", dst)
	// Output: 18:9:localhost,3:200#]
}

func ExampleValue_Append() {
	v := tnetstring.List(tnetstring.String("status"), tnetstring.Dict(tnetstring.KV("what", tnetstring.String("net"))))
	fmt.Printf("%s\n", v.Append(nil))
	// Output: 26:6:status,13:4:what,3:net,}]
}
