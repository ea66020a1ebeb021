import zmq, sys
ctx = zmq.Context()
pull = ctx.socket(zmq.PULL); pull.connect('tcp://127.0.0.1:19811')
pub = ctx.socket(zmq.PUB); pub.connect('tcp://127.0.0.1:19812')
while True:
    m = pull.recv()
    sender, cid, rest = m.split(b' ', 2)
    path, rest = rest.split(b' ', 1)
    if path == b'@*':
        continue
    n, rest = rest.split(b':', 1)
    hdrs = rest[:int(n)]
    resp = b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(hdrs) + hdrs
    pub.send(sender + b' ' + str(len(cid)).encode() + b':' + cid + b', ' + resp)
    pub.send(sender + b' ' + str(len(cid)).encode() + b':' + cid + b', ')
