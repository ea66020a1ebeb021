import random, socket, json, sys
random.seed(int(sys.argv[1]))
N = int(sys.argv[2])
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
namechars = [b'a', b'X', b'-', b'Dup', b'host', b'Content-Type', b'_', b'!', b'~', b'|', b'1']
badname = [b' ', b'\t', b'(', b'@', b'"', b'[', b'{', b'/', b'\xe9', b'=', b'?']
valchars = [b'a', b' ', b'\t', b'v', b'\x01', b'\x1b', b'\xff', b':', b'"', b'\\', b'{', b'\x0b', b'x y']
badval = [b'\x00', b'\x7f', b'\r', b'\rx']
eols = [b'\r\n', b'\n']
def line():
    r = random.random()
    name = b''.join(random.choice(namechars) for _ in range(random.randint(1, 3)))
    if r < 0.15:
        name = name + random.choice(badname) + (name if random.random() < 0.5 else b'')
    elif r < 0.18:
        name = b''
    sep = random.choice([b':', b': ', b':\t', b':  ', b' :', b': \t '])
    val = b''.join(random.choice(valchars) for _ in range(random.randint(0, 4)))
    if random.random() < 0.1:
        val += random.choice(badval) + b'z'
    if random.random() < 0.05:
        return b' folded' + random.choice(eols)
    return name + sep + val + random.choice(eols)
out = open(sys.argv[3], 'a')
for _ in range(N):
    head = b'GET / HTTP/1.1' + random.choice(eols) + b''.join(line() for _ in range(random.randint(1, 4))) + random.choice(eols)
    r = req(head)
    if r.startswith(b'HTTP/1.1 200'):
        body = r.split(b'\r\n\r\n', 1)[1]
        h = json.loads(body.decode('latin-1'), strict=False)
        for k in ['PATH','METHOD','VERSION','URI','PATTERN','URL_SCHEME','REMOTE_ADDR','x-forwarded-for']:
            h.pop(k, None)
        st = 'ok'; f = ';'.join(k.encode('latin-1').hex() + ':' + ','.join(x.encode('latin-1').hex() for x in (v if isinstance(v, list) else [v])) for k, v in sorted(h.items())) or '='
    elif r.startswith(b'HTTP/1.1 400'):
        st, f = 'bad', '?'
    elif r.endswith(b'TIMEOUT'):
        st, f = 'more', '?'
    else:
        st, f = 'other', repr(r[:30])
    out.write('\t'.join(['head', head.hex(), st, f]) + '\n')
