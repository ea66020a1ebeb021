package static

// serverVersion is the Server header value on every Mongrel2 response.
const serverVersion = "Mongrel2/1.12.2"

// Canned responses, byte for byte as Mongrel2 1.12.2 sends them (spec §3.5).
// Their "Connection: close" is part of the bytes even where the connection
// is kept open afterwards. They are constants so no caller can change them;
// Serve copies them into its pooled buffer to write them without allocating.
const (
	resp304 = "HTTP/1.1 304 Not Modified\r\nConnection: close\r\nContent-Length: 0\r\nServer: " + serverVersion + "\r\n\r\n"
	resp404 = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 9\r\nServer: " + serverVersion + "\r\n\r\nNot Found"
	resp405 = "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 18\r\nServer: " + serverVersion + "\r\n\r\nMethod Not Allowed"
	// resp304Vary is resp304 for a file with a precompressed sibling.
	resp304Vary = "HTTP/1.1 304 Not Modified\r\nConnection: close\r\nContent-Length: 0\r\nVary: Accept-Encoding\r\nServer: " + serverVersion + "\r\n\r\n"
	resp412     = "HTTP/1.1 412 Precondition Failed\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 19\r\nServer: " + serverVersion + "\r\n\r\nPrecondition Failed"
)

// Pieces of the 200 header and the 301 redirect (spec §5).
const (
	head200 = "HTTP/1.1 200 OK\r\nDate: "
	head206 = "HTTP/1.1 206 Partial Content\r\nDate: "
	head416 = "HTTP/1.1 416 Range Not Satisfiable\r\nDate: "
	// tail416 follows the 416's Content-Range (and Vary) line.
	tail416       = "Content-Type: text/plain\r\nContent-Length: 21\r\nServer: " + serverVersion + "\r\n\r\nRange Not Satisfiable"
	redirectStart = "HTTP/1.1 301 Moved Permanently\r\nLocation: //"
	redirectEnd   = "/\r\nContent-Length: 0\r\nServer: " + serverVersion + "\r\n\r\n"
	// nullHost is what glibc's printf writes for the missing Host header
	// in the redirect Location; clients see it, so it is kept.
	nullHost = "(null)"
	// httpDate is strftime "%a, %d %b %Y %H:%M:%S GMT" in Go's notation.
	httpDate = "Mon, 02 Jan 2006 15:04:05 GMT"
)
