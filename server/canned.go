package server

import "strconv"

// ServerVersion is the Server header value and version string. It is the
// original's, because clients and tools compare it.
const ServerVersion = "Mongrel2/1.12.2"

// continueResponse is written before reading a body when the client sent
// "Expect: 100-continue".
var continueResponse = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// cannedResponses holds Mongrel2's fixed error responses, byte for byte
// (spec §3.5). They are built once and never modified.
var cannedResponses = func() map[int][]byte {
	reasons := map[int][2]string{
		400: {"Bad Request", "Bad Request"},
		404: {"Not Found", "Not Found"},
		405: {"Method Not Allowed", "Method Not Allowed"},
		412: {"Precondition Failed", "Precondition Failed"},
		413: {"Request Entity Too Large", "Entity Too Large"},
		417: {"Expectation Failed", "Expectation Failed"},
		500: {"Internal Server Error", "Internal Server Error"},
		501: {"Not Implemented", "Not Implemented"},
		502: {"Bad Gateway", "Bad Gateway"},
	}
	m := make(map[int][]byte, len(reasons))
	for code, r := range reasons {
		m[code] = []byte("HTTP/1.1 " + strconv.Itoa(code) + " " + r[0] +
			"\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
			strconv.Itoa(len(r[1])) + "\r\nServer: " + ServerVersion + "\r\n\r\n" + r[1])
	}
	return m
}()

// flashPolicy answers "<policy-file-request/>\x00" (spec §2.7).
var flashPolicy = []byte(`<?xml version="1.0"?><!DOCTYPE cross-domain-policy SYSTEM "http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd"><cross-domain-policy> <allow-access-from domain="*" to-ports="*" /></cross-domain-policy>` + "\x00")
