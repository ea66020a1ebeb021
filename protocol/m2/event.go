package m2

import (
	"strconv"

	"github.com/bareku/bareku/protocol/tnetstring"
)

const (
	// eventStart follows UUID SP ID in disconnect and credits events.
	eventStart = "@* "

	disconnectJSON = `17:{"METHOD":"JSON"},21:{"type":"disconnect"},`
	disconnectTNet = `16:6:METHOD,4:JSON,}21:{"type":"disconnect"},`
)

// AppendDisconnect appends the event telling a handler that connection id
// has gone: UUID SP ID SP @* SP headers {METHOD: JSON} and the JSON body
// {"type":"disconnect"} (JSON text for both protocols).
func AppendDisconnect(dst []byte, p Protocol, uuid []byte, id uint64) []byte {
	dst = appendStart(dst, uuid, id)
	dst = append(dst, eventStart...)
	if p == TNetstring {
		return append(dst, disconnectTNet...)
	}
	return append(dst, disconnectJSON...)
}

// AppendCredits appends the download flow-control event reporting that n
// bytes of handler output were written to connection id: headers
// {METHOD: JSON, DOWNLOAD_CREDITS: "n"} and the body {"type":"credits"}.
func AppendCredits(dst []byte, p Protocol, uuid []byte, id uint64, n int64) []byte {
	dst = appendStart(dst, uuid, id)
	dst = append(dst, eventStart...)
	var buf [20]byte
	credits := strconv.AppendInt(buf[:0], n, 10)
	dst, mark := tnetstring.BeginContainer(dst)
	if p == TNetstring {
		dst = append(dst, "6:METHOD,4:JSON,"...)
		dst = appendTNetField(dst, "DOWNLOAD_CREDITS", credits)
		dst = tnetstring.EndContainer(dst, mark, tnetstring.TypeDict)
	} else {
		dst = append(dst, `{"METHOD":"JSON","DOWNLOAD_CREDITS":"`...)
		dst = append(dst, credits...)
		dst = append(dst, `"}`...)
		dst = tnetstring.EndContainer(dst, mark, tnetstring.TypeString)
	}
	return append(dst, `18:{"type":"credits"},`...)
}

// AppendUploadStream appends a follow-up message of a streamed upload
// (upload.stream=1): its only headers are UPLOAD_STREAM, the byte offset of
// body within the request body, and on the last chunk UPLOAD_STREAM_DONE
// "1". The first message of the upload is a full request with
// UPLOAD_STREAM "0" in Request.Extra.
func AppendUploadStream(dst []byte, p Protocol, uuid []byte, id uint64, path []byte, offset int64, done bool, body []byte) []byte {
	dst = appendStart(dst, uuid, id)
	dst = append(dst, path...)
	dst = append(dst, ' ')
	var buf [20]byte
	off := strconv.AppendInt(buf[:0], offset, 10)
	dst, mark := tnetstring.BeginContainer(dst)
	if p == TNetstring {
		dst = appendTNetField(dst, "UPLOAD_STREAM", off)
		if done {
			dst = append(dst, "18:UPLOAD_STREAM_DONE,1:1,"...)
		}
		dst = tnetstring.EndContainer(dst, mark, tnetstring.TypeDict)
	} else {
		dst = append(dst, `{"UPLOAD_STREAM":"`...)
		dst = append(dst, off...)
		dst = append(dst, '"')
		if done {
			dst = append(dst, `,"UPLOAD_STREAM_DONE":"1"`...)
		}
		dst = append(dst, '}')
		dst = tnetstring.EndContainer(dst, mark, tnetstring.TypeString)
	}
	return tnetstring.AppendString(dst, body)
}
