#!/bin/sh
# Runs the demo: loads examples/demo.conf with our m2sh, starts the example
# handlers and the server in the foreground. Ctrl-C stops everything.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
run="$top/demo/run"
rm -rf "$run"
mkdir -p "$run/logs" "$run/run"
cp -r "$top/examples/site" "$run/site"
cd "$run"
LOGNAME=${LOGNAME:-$(id -un)} "$top/bin/m2sh" load -config "$top/examples/demo.conf" -db config.sqlite

"$top/bin/hello" -send tcp://127.0.0.1:9997 -recv tcp://127.0.0.1:9996 -id hello-demo &
hello=$!
"$top/bin/chat" -send tcp://127.0.0.1:9995 -recv tcp://127.0.0.1:9994 -id chat-demo &
chat=$!
trap 'kill $hello $chat 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

cat <<MSG

Bareku is serving on http://127.0.0.1:6767/ (Ctrl-C to stop)
  curl http://127.0.0.1:6767/            static file from demo/run/site
  curl http://127.0.0.1:6767/hello       the Go hello handler
  curl -d 'hi' http://127.0.0.1:6767/chat  broadcast to chat clients
  logs: demo/run/logs/

MSG
"$top/bin/mongrel2" config.sqlite f400bf85-4538-4f7a-8908-3b1a1b1fdemo
