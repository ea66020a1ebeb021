module github.com/bareku/bareku

go 1.26

require (
	github.com/gorilla/websocket v1.5.3
	github.com/mattn/go-sqlite3 v1.14.53
	github.com/pebbe/zmq4 v1.4.0
)
