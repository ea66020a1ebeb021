package tnetstring

import "testing"

func BenchmarkParseControlReply(b *testing.B) {
	wire := []byte(captured[12].wire) // the info reply: a dict of lists
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		if _, _, err := Parse(wire); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseScalar(b *testing.B) {
	wire := []byte("10:1795790306#")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse(wire); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendAccessLine(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst, mark := BeginContainer(buf[:0])
		dst = AppendString(dst, "localhost")
		dst = AppendString(dst, "127.0.0.1")
		dst = AppendInt(dst, 55090)
		dst = AppendInt(dst, 1795790306)
		dst = AppendString(dst, "GET")
		dst = AppendString(dst, "/data.txt")
		dst = AppendString(dst, "HTTP/1.1")
		dst = AppendInt(dst, 200)
		dst = AppendInt(dst, 10)
		buf = EndContainer(dst, mark, TypeList)
	}
}

func BenchmarkValueAppend(b *testing.B) {
	v, _, err := Parse([]byte(captured[12].wire))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = v.Append(buf[:0])
	}
}
