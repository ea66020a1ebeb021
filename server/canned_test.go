package server

import "testing"

// The exact bytes captured from Mongrel2 1.12.2 (spec §3.5).
func TestCannedResponsesAreByteExact(t *testing.T) {
	want := map[int]string{
		400: "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 11\r\nServer: Mongrel2/1.12.2\r\n\r\nBad Request",
		404: "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 9\r\nServer: Mongrel2/1.12.2\r\n\r\nNot Found",
		405: "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 18\r\nServer: Mongrel2/1.12.2\r\n\r\nMethod Not Allowed",
		412: "HTTP/1.1 412 Precondition Failed\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 19\r\nServer: Mongrel2/1.12.2\r\n\r\nPrecondition Failed",
		413: "HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 16\r\nServer: Mongrel2/1.12.2\r\n\r\nEntity Too Large",
		417: "HTTP/1.1 417 Expectation Failed\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 18\r\nServer: Mongrel2/1.12.2\r\n\r\nExpectation Failed",
		500: "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 21\r\nServer: Mongrel2/1.12.2\r\n\r\nInternal Server Error",
		501: "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 15\r\nServer: Mongrel2/1.12.2\r\n\r\nNot Implemented",
		502: "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 11\r\nServer: Mongrel2/1.12.2\r\n\r\nBad Gateway",
	}
	for code, w := range want {
		if got := string(cannedResponses[code]); got != w {
			t.Errorf("canned %d:\n got %q\nwant %q", code, got, w)
		}
	}
	if len(cannedResponses) != len(want) {
		t.Errorf("%d canned responses, want %d", len(cannedResponses), len(want))
	}
}
