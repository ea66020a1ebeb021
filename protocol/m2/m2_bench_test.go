package m2

import "testing"

func benchmarkEncode(b *testing.B, p Protocol) {
	r := typicalGET()
	var e Encoder
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for b.Loop() {
		buf = e.Append(buf[:0], p, r)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkEncodeJSON encodes a typical browser GET with eight headers.
func BenchmarkEncodeJSON(b *testing.B) { benchmarkEncode(b, JSON) }

// BenchmarkEncodeTNet is BenchmarkEncodeJSON with tnetstring headers.
func BenchmarkEncodeTNet(b *testing.B) { benchmarkEncode(b, TNetstring) }

// BenchmarkParseReply parses a small HTTP response for one connection.
func BenchmarkParseReply(b *testing.B) {
	msg := []byte(testUUID + " 4:1234, HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nHello world!")
	var r Reply
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := ParseReply(msg, &r, 128); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseReplyMultiTarget parses a broadcast to 100 connections.
func BenchmarkParseReplyMultiTarget(b *testing.B) {
	ids := make([]uint64, 100)
	for i := range ids {
		ids[i] = uint64(100000 + i)
	}
	msg := AppendReply(nil, testUUID, ids, []byte("chat message"))
	var r Reply
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseReply(msg, &r, 128); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseRequest is the handler side: not allocation-free.
func BenchmarkParseRequest(b *testing.B) {
	var e Encoder
	msg := e.Append(nil, JSON, typicalGET())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(msg); err != nil {
			b.Fatal(err)
		}
	}
}
