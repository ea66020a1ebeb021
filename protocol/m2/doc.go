// Package m2 is the Mongrel2 handler wire format: the messages a server
// pushes to handlers over ZeroMQ and the replies handlers publish back.
//
// Server side: Encoder.Append writes a request message
// (UUID SP ID SP PATH SP HEADERS BODY) with JSON or tnetstring headers,
// AppendDisconnect, AppendCredits and AppendUploadStream write the event
// messages, and ParseReply and ParseExtended read handler replies. These are
// on the hot path and allocate nothing in steady state.
//
// Handler side: ParseRequest reads a request message into a Message, and
// AppendReply and AppendExtendedReply write replies. These are used by the
// Go handler SDK and by tests that compare what two servers send.
//
// The package speaks only of bytes: no sockets, no routing, no settings.
// It imports the standard library and protocol/tnetstring, nothing else.
package m2
