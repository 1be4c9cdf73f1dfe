#!/usr/bin/env python3
"""Checks the expected values in tests/unit/base/test_glob.c and
tests/unit/base/test_numfmt.c against a real redis-server (7.0 is the target).

Starts its own redis-server on a free loopback port (or uses --port N),
replays every table row through the command that exposes it:
  G(pat, str)      KEYS pat on a scratch db, and PSUBSCRIBE pat + PUBLISH str
  GI(pat, str)     CONFIG GET pat, when str is a config name
  D(in) / BAD(in)  ZADD into a skiplist zset, ZSCORE over RESP2 and RESP3
  LD(in) / BAD(in) SET k in, INCRBYFLOAT k 0
and prints one line per disagreement. Exit status 1 if any.
Manual tool: not part of `meson test` (the unit tests hold the answers)."""
import argparse, os, re, socket, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode("latin1") if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)

    def _line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.s.recv(65536)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        t = line[:1]
        if t in b"+-:,_#(":
            return (t.decode(), line[1:])
        if t == b"$":
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.s.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if t in b"*%~>":
            n = int(line[1:]) * (2 if t == b"%" else 1)
            return [self.reply() for _ in range(n)]
        raise ValueError(line)

    def cmd(self, *args):
        self.send(*args)
        return self.reply()


ESC = {"n": 10, "r": 13, "t": 9, "\\": 92, '"': 34, "'": 39, "?": 63, "a": 7, "b": 8, "f": 12, "v": 11}


def c_strings(text):
    """Yields each argument of a macro call: bytes for (concatenated) string
    literals, the bare word otherwise."""
    i, args, cur, in_lit = 0, [], None, False
    while i < len(text):
        ch = text[i]
        if ch == '"':
            cur = cur if isinstance(cur, bytearray) else bytearray()
            i += 1
            while text[i] != '"':
                if text[i] != "\\":
                    cur.append(ord(text[i])); i += 1; continue
                e = text[i + 1]
                if e == "x":
                    m = re.match(r"[0-9a-fA-F]+", text[i + 2:])
                    cur.append(int(m.group(0), 16) & 0xFF); i += 2 + len(m.group(0))
                elif e in "01234567":
                    m = re.match(r"[0-7]{1,3}", text[i + 1:])
                    cur.append(int(m.group(0), 8) & 0xFF); i += 1 + len(m.group(0))
                else:
                    cur.append(ESC[e]); i += 2
            i += 1
        elif ch == ",":
            args.append(cur); cur = None; i += 1
        elif ch.isspace():
            i += 1
        else:
            m = re.match(r"[A-Za-z_0-9]+", text[i:])
            cur = m.group(0); i += len(cur)
    args.append(cur)
    return [bytes(a) if isinstance(a, bytearray) else a for a in args]


ROW = re.compile(r"^\s*(G|GI|D|LD|BAD)\((.*)\),\s*(/\*.*)?$")


def rows(path):
    table = None
    for line in open(path, encoding="latin1"):
        m = re.search(r"struct \w+ (\w+)\[\] = \{", line)
        if m:
            table = m.group(1)
        m = ROW.match(line)
        if m and not line.lstrip().startswith("#define"):
            yield table, m.group(1), c_strings(m.group(2))


def start_server(binary):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            Conn(port).cmd("PING"); return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill(); sys.exit("redis-server did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, help="use this running server (db 9 is flushed)")
    ap.add_argument("--redis-server", default="redis-server")
    opt = ap.parse_args()
    proc, port = (None, opt.port) if opt.port else start_server(opt.redis_server)
    r, r3, sub = Conn(port), Conn(port), Conn(port)
    r3.cmd("HELLO", "3")
    for c in (r, r3):
        c.cmd("SELECT", "9")
    r.cmd("FLUSHDB")
    print("redis", [x for x in r.cmd("INFO", "server").split(b"\r\n") if x.startswith(b"redis_version")])
    old_lp = r.cmd("CONFIG", "GET", "zset-max-listpack-entries")[1]
    r.cmd("CONFIG", "SET", "zset-max-listpack-entries", "0")  # listpacks store -0 as 0
    bad, checked, skipped = [], 0, 0

    def glob_keys(pat, s):
        r.cmd("SET", s, "1")
        keys = r.cmd("KEYS", pat)
        r.cmd("DEL", s)
        return s in keys

    def glob_pubsub(pat, s):
        sub.cmd("PSUBSCRIBE", pat)
        n = r.cmd("PUBLISH", s, "x")[1] == b"1"
        if n:
            sub.reply()  # the pmessage
        sub.cmd("PUNSUBSCRIBE", pat)
        return n

    for table, kind, a in rows(os.path.join(HERE, "unit", "base", "test_glob.c")):
        pat, s, want = a[0], a[1], a[2] == "true"
        if kind == "G":
            got = [glob_pubsub(pat, s)] + ([] if pat == b"*" else [glob_keys(pat, s)])
        else:
            if not r.cmd("CONFIG", "GET", s) or not re.search(rb"[\[*?]", pat):
                skipped += 1; continue
            got = [s in r.cmd("CONFIG", "GET", pat)[0::2]]
        checked += 1
        if any(g != want for g in got):
            bad.append(f"{kind}({pat!r}, {s!r}) expected {want}, redis {got}")

    for n, want in ((1000, True), (1001, False)):  # star nesting guard
        checked += 1
        if glob_keys(b"*a" * n, b"a" * n) != want:
            bad.append(f"{n} star groups: expected {want}")

    for table, kind, a in rows(os.path.join(HERE, "unit", "base", "test_numfmt.c")):
        inp, ok = a[0], kind != "BAD" and a[1] == "true"
        out = a[2] if ok else None
        checked += 1
        if table == "d_cases":
            r.cmd("DEL", "z")
            res = r.cmd("ZADD", "z", inp, "m")
            got = [r.cmd("ZSCORE", "z", "m"), r3.cmd("ZSCORE", "z", "m")] if res == (":", b"1") else res
            want = [out, (",", out)] if ok else ("-", b"ERR value is not a valid float")
        else:
            r.cmd("SET", "k", inp)
            got = r.cmd("INCRBYFLOAT", "k", "0")
            if out in (b"inf", b"-inf"):
                want = ("-", b"ERR increment would produce NaN or Infinity")
            else:
                want = out if ok else ("-", b"ERR value is not a valid float")
        if got != want:
            bad.append(f"{table} {kind}({inp!r}): expected {want!r}, redis {got!r}")

    for n, want in ((5119, True), (5120, False)):  # string2ld length bound
        checked += 1
        r.cmd("SET", "k", b"0" * (n - 1) + b"1")
        if (r.cmd("INCRBYFLOAT", "k", "0") == b"1") != want:
            bad.append(f"string2ld of {n} bytes: expected {want}")

    r.cmd("CONFIG", "SET", "zset-max-listpack-entries", old_lp)
    r.cmd("FLUSHDB")
    if proc:
        proc.terminate(); proc.wait()
    for b in bad:
        print("MISMATCH", b)
    print(f"{checked - len(bad)} passed, {len(bad)} failed ({skipped} rows not checkable)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
