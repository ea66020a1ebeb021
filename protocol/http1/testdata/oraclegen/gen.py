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
pieces = ["/", "//", ":", "::", "@", "[", "]", "?", "#", "%", "%4", "%41", "%zz", "%Fa", "v", "v1.", "1", "12", "255", "256", "0", "01", ".", "a", "ff", "ffff", "12345", "h", "http", "http:", "https://", "_", "~", "!", "$", "'", "(", "*", "+", ",", ";", "=", "-", "{", "}", "^", "|", '"', "<", "\\", "`", "\xe9", "\x7f", "\x01", "1.2.3.4", "::1", "::ffff:"]
ipparts = ["1", "ff", "abcd", "12345", "g", ":", "::", ":::", "1.2.3.4", "0.0.0.0", "1.2.3", "01.2.3.4", "v1.x", "v", ".", "a:b", "", "1:2:3:4:5:6:7", "]"]
def rand_target():
    r = random.random()
    if r < 0.35:
        s = "//" + ("u@" if random.random() < 0.2 else "") + "[" + "".join(random.choice(ipparts) for _ in range(random.randint(1, 5))) + "]" + random.choice(["", "/", ":80/", ":", "x", "?q"])
    else:
        ps = pieces if random.random() < 0.4 else [p for p in pieces if all(c not in p for c in '{}^|"<\\`\xe9\x7f\x01') and '%zz' not in p and p not in ('%', '%4')]
        s = "".join(random.choice(ps) for _ in range(random.randint(1, 7)))
    return s.encode('latin-1')
def field(h, k):
    v = h.get(k)
    return '-' if v is None else v.encode('latin-1').hex()
out = open(sys.argv[3], 'a')
for _ in range(N):
    json_mode = random.random() < 0.2
    t = rand_target()
    if b' ' in t or b'\r' in t or b'\n' in t or b'\x00' in t: continue
    if json_mode:
        data = b'@' + t + b' {}\x00'
    else:
        data = b'GET ' + t + b' HTTP/1.1\r\n\r\n'
    r = req(data)
    if r.startswith(b'HTTP/1.1 200'):
        body = r.split(b'\r\n\r\n', 1)[1]
        try:
            h = json.loads(body.decode('latin-1'))
        except Exception as e:
            print('unparsable', body, file=sys.stderr); continue
        st = 'ok'
        f = [field(h, 'PATH'), field(h, 'URI'), field(h, 'QUERY'), field(h, 'FRAGMENT')]
    elif r.startswith(b'HTTP/1.1 404'):
        st, f = 'ok', ['?']*4
    elif r.startswith(b'HTTP/1.1 400'):
        st, f = 'bad', ['?']*4
    else:
        st, f = 'other:' + repr(r[:20]), ['?']*4
    out.write('\t'.join(['json' if json_mode else 'http', t.hex(), st] + f) + '\n')
