import random, socket, json, gzip
random.seed(42)
def req(data, wait=1.0):
    s = socket.create_connection(('127.0.0.1', 19810)); s.settimeout(wait)
    s.sendall(data); out=b''
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            out += d
    except socket.timeout: out += b'TIMEOUT'
    s.close(); return out
def canon(h):
    for k in ['PATH','METHOD','VERSION','URI','QUERY','FRAGMENT','PATTERN','URL_SCHEME','REMOTE_ADDR','x-forwarded-for']:
        h.pop(k, None)
    return ';'.join(k.encode('latin-1').hex() + ':' + ','.join(x.encode('latin-1').hex() for x in (v if isinstance(v, list) else [v])) for k, v in sorted(h.items())) or '='
picked = [
 b'get / HTTP/1.1\r\n\r\n', b'M-SEARCH / HTTP/1.1\r\n\r\n', b'ABCDEFGHIJKLMNOPQRST / HTTP/1.1\r\n\r\n',
 b'ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\n\r\n', b'PROPFIND / HTTP/1.1\r\n\r\n', b'GET / HTTP/1.2\r\n\r\n', b'GET / HTTP/2.0\r\n\r\n',
 b'GET /\r\n\r\n', b'GET / HTTP/1.1 \r\n\r\n', b'GET  / HTTP/1.1\r\n\r\n', b'GET /  HTTP/1.1\r\n\r\n', b' GET / HTTP/1.1\r\n\r\n',
 b'\r\nGET / HTTP/1.1\r\n\r\n', b'\nGET / HTTP/1.1\r\n\r\n', b'GET / http/1.1\r\n\r\n', b'GET / HTTP/1.1\r\r\n\r\n', b'GET / HTTP/1.1\r\nX-Sp : v\r\n\r\n',
 b'GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n', b'GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n', b'GET / HTTP/1.1\r\nX-Empty:\r\n\r\n',
 b'GET / HTTP/1.1\r\nX-Tab: a\tb\r\nX-Ctl: \x01\r\nX-Hi: \xff\xfe\r\n\r\n', b'GET /^ HTTP/1.1\r\n\r\n', b'GET /{} HTTP/1.1\r\n\r\n',
 b'GET /a b HTTP/1.1\r\n\r\n', b'GET /| HTTP/1.1\r\n\r\n', b'GET /\xc3\xa9 HTTP/1.1\r\n\r\n', b'GET /%zz HTTP/1.1\r\n\r\n', b'GET /%4 HTTP/1.1\r\n\r\n',
 b'GET * HTTP/1.1\r\n\r\n', b'GET handler HTTP/1.1\r\n\r\n', b'GET http://host/x HTTP/1.1\r\nHost: localhost\r\n\r\n', b'GET /a?b=c?d/e HTTP/1.1\r\n\r\n',
 b'GET /handler HTTP/1.1\n\n', b'GET / HTTP/1.1\r\n' + b''.join(b'X-Dup: %d\r\n' % i for i in range(7)) + b'\r\n',
 b'GET / HTTP/1.1\r\nHost: localhost\r\nHost: second\r\n\r\n', b'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
 b'GET / HTTP/1.1\r\nContent-Type: a\r\ncontent-type: b\r\nCONTENT-TYPE: c\r\n\r\n', b'GET / HTTP/1.1\r\n: v\r\n\r\n', b'GET / HTTP/1.1\r\nX\r\n\r\n',
 b'GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n', b'GET / HTTP/1.1\r\nX: a\x7fb\r\n\r\n', b'GET / HTTP/1.1\r\nX: a\rb\r\n\r\n',
 b'@chat {"msg":"hello"}\x00', b'@chat?x {}\x00', b'@chat#x {}\x00', b'@chat {}\x00', b'@chat{}\x00', b'@chat  {}\x00', b'@chat [}\x00', b'@chat {a}x}\x00',
 b'@chat {"a":1} \x00', b'<policy-file-request/>\x00', b'<test>hi</test>\x00', b'<test>\x00', b'<>\x00', b'<a_b/>\x00', b'<te.st-1 x="1"/>\x00', b'<test\tx>\x00',
]
lines = []
for p in picked:
    r = req(p)
    if r.startswith(b'HTTP/1.1 400'): st, d = 'bad', '?'
    elif r == b'TIMEOUT': st, d = 'more', '?'
    elif r.startswith(b'HTTP/1.1 200') and p[:1] not in b'@<':
        st, d = 'ok', canon(json.loads(r.split(b'\r\n\r\n', 1)[1].decode('latin-1'), strict=False))
    else: st, d = 'ok', '?'
    lines.append('\t'.join(['head', p.hex(), st, d]))
for l in open('t.u'):
    f = l.rstrip('\n').split('\t')
    t = bytes.fromhex(f[1])
    full = (b'@' + t + b' {}\x00') if f[0] == 'json' else (b'GET ' + t + b' HTTP/1.1\r\n\r\n')
    if f[2] == 'bad' and random.random() > 0.3: continue
    lines.append('\t'.join(['target' if f[0] == 'http' else 'json', full.hex(), f[2]] + f[3:]))
for l in open('h.u'):
    f = l.rstrip('\n').split('\t')
    if f[2] == 'bad' and random.random() > 0.3: continue
    lines.append('\t'.join(f))
hdr = '# Outcomes observed from Debian mongrel2 1.12.2 (see gen/README). kind, hex(input), ok|bad|more, details.\n'
with gzip.open('oracle.tsv.gz', 'wt') as g:
    g.write(hdr + '\n'.join(lines) + '\n')
print(len(lines))
from collections import Counter
print(Counter((l.split('\t')[0], l.split('\t')[2]) for l in lines))
for l in lines[:len(picked)]:
    f = l.split('\t'); print(repr(bytes.fromhex(f[1]))[:70], f[2])
