#!/usr/bin/env python3
"""Compares what ringkv's COMMAND INFO and COMMAND DOCS say about each of
its commands with what redis-server 7.0 says about the same command, field
by field, so the command table's facts (arity, flags, key positions, key
specs, ACL categories, tips, docs) can be checked against the reference.

  tests/crosscheck_command.py --ringkv build/ringkv-server
  tests/crosscheck_command.py --port 7000 --redis-port 6379 --text --args

Starts its own servers on free loopback ports unless ports are given.
Compares in RESP3 (sets and maps keep their types) and, with --resp2, in
RESP2 too. Docs text (summary, complexity, history) and the argument tree
are compared only with --text / --args: the table's syntax lines are
written for redis-cli's hints and may name groups differently.
Prints one line per difference; exit status 1 if any.
`meson test` runs it (suite redis) with --resp2, without --text/--args."""
import argparse, os, shutil, socket, subprocess, sys, tempfile, time


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)

    def _fill(self, n):
        while len(self.buf) < n:
            d = self.s.recv(1 << 20)
            if not d:
                raise EOFError("connection closed")
            self.buf += d

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill(len(self.buf) + 1)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read(self):
        line = self._line()
        t, rest = chr(line[0]), line[1:].decode()
        if t == "+":
            return ("status", rest)
        if t == "-":
            return ("error", rest)
        if t == ":":
            return int(rest)
        if t == "_":
            return None
        if t == "$":
            n = int(rest)
            if n < 0:
                return None
            self._fill(n + 2)
            s, self.buf = self.buf[:n], self.buf[n + 2:]
            return s.decode("latin1")
        if t in "*~>":
            n = int(rest)
            if n < 0:
                return None
            items = [self.read() for _ in range(n)]
            return items if t == "*" else ("set", items)
        if t == "%":
            return ("map", [(self.read(), self.read()) for _ in range(int(rest))])
        if t == "#":
            return rest == "t"
        raise ValueError("unexpected reply %r" % line)

    def cmd(self, *args):
        self.send(*args)
        return self.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, port):
    log = tempfile.TemporaryFile()
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            Conn(port).cmd("PING")
            return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    log.seek(0)
    sys.exit("server did not start: %s\n%s" % (argv, log.read().decode(errors="replace")))


def as_dict(v):
    """A RESP3 map or a RESP2 flat array as a dict (order kept)."""
    if isinstance(v, tuple) and v[0] == "map":
        return dict(v[1])
    return dict(zip(v[0::2], v[1::2]))


def info_fields(entry):
    names = ["name", "arity", "flags", "first", "last", "step", "acl", "tips", "key_specs", "subcommands"]
    return dict(zip(names, entry))


def compare_info(name, a, b, diffs, resp):
    if a is None or b is None:
        if a is not b:
            diffs.append("%s: INFO %s" % (name, "unknown to redis" if a is None else "missing in ringkv"))
        return
    fa, fb = info_fields(a), info_fields(b)
    for field in fa:
        if field == "subcommands":
            continue
        if fa[field] != fb.get(field):
            diffs.append("%s: INFO %s (resp%d): redis %r, ringkv %r" % (name, field, resp, fa[field], fb.get(field)))
    subs_a = fa["subcommands"]
    subs_b = fb["subcommands"]
    if isinstance(subs_a, tuple) != isinstance(subs_b, tuple) and (subs_a == ("set", []) or subs_b == ("set", [])):
        diffs.append("%s: INFO subcommands shape (resp%d): redis %r, ringkv %r" % (name, resp, subs_a, subs_b))


def compare_docs(name, a, b, diffs, args):
    da, db = as_dict(a), as_dict(b)
    skip = {"subcommands"}
    if not args.text:
        skip |= {"summary", "complexity", "history"}
    if not args.args:
        skip.add("arguments")
        if ("arguments" in da) != ("arguments" in db):
            diffs.append("%s: DOCS arguments %s" % (name, "missing in ringkv" if "arguments" in da else "not in redis"))
    for k in sorted(set(da) | set(db)):
        if k in skip:
            continue
        if da.get(k) != db.get(k):
            diffs.append("%s: DOCS %s: redis %r, ringkv %r" % (name, k, da.get(k), db.get(k)))
    if ("subcommands" in da) != ("subcommands" in db):
        diffs.append("%s: DOCS subcommands present only in %s" % (name, "redis" if "subcommands" in da else "ringkv"))


# ---- --suggest: Redis's facts about a command in the table's notation ----

FLAG_MACROS = {"write": "CMD_WRITE", "readonly": "CMD_READONLY", "denyoom": "CMD_DENYOOM",
               "admin": "CMD_ADMIN", "pubsub": "CMD_PUBSUB", "noscript": "CMD_NOSCRIPT",
               "blocking": "CMD_BLOCKING", "loading": "CMD_LOADING", "stale": "CMD_STALE",
               "skip_monitor": "CMD_SKIP_MONITOR", "skip_slowlog": "CMD_SKIP_SLOWLOG",
               "asking": "CMD_ASKING", "fast": "CMD_FAST", "no_auth": "CMD_NO_AUTH",
               "no_mandatory_keys": "CMD_NO_MANDATORY_KEYS", "no_async_loading": "CMD_NO_ASYNC_LOADING",
               "no_multi": "CMD_NO_MULTI", "allow_busy": "CMD_ALLOW_BUSY"}


def c_str(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def implied_acl(flags):
    cats = set()
    if "write" in flags: cats.add("write")
    if "readonly" in flags: cats.add("read")
    if "admin" in flags: cats |= {"admin", "dangerous"}
    if "pubsub" in flags: cats.add("pubsub")
    if "fast" in flags: cats.add("fast")
    if "blocking" in flags: cats.add("blocking")
    if "fast" not in flags: cats.add("slow")
    return cats


def elems(v):
    """Elements of a RESP3 set or an array."""
    return v[1] if isinstance(v, tuple) else v


def names(v):
    """Strings of a set or array of status/bulk strings."""
    return [x[1] if isinstance(x, tuple) else x for x in elems(v)]


class SyntaxWriter:
    """Renders Redis's argument tree as a syntax line the table's parser
    (src/cmd_syntax.c) reads back into the same tree (but for the names of
    repeated blocks)."""

    def __init__(self):
        self.nkeys = 0

    def default_name(self, arg):
        t = arg.get("type")
        if t == "pure-token":
            return "empty_string" if arg.get("token") == "" else arg["token"].lower()
        if t in ("oneof", "block"):
            return "_".join(a["name"] for a in map(as_dict, arg["arguments"]))
        return None

    def leaf(self, a):
        word = a["name"]
        t = a["type"]
        default = "key" if word == "key" else "pattern" if word == "pattern" else "string"
        if t != default:
            word += ":" + t
        if "key_spec_index" in a:
            if t == "key" and a["key_spec_index"] == self.nkeys:
                self.nkeys += 1
            else:
                word += "#%d" % a["key_spec_index"]
        return word

    def body(self, a):
        t = a["type"]
        if t == "pure-token":
            tok = a["token"]
            return '""' if tok == "" else tok
        if t == "oneof":
            return " | ".join(self.arg(as_dict(x), alone=True) for x in a["arguments"])
        if t == "block":
            return " ".join(self.arg(as_dict(x)) for x in a["arguments"])
        return self.leaf(a)

    def arg(self, a, alone=False):
        flags = names(a.get("flags", ("set", [])))
        opt, mult, mtok = "optional" in flags, "multiple" in flags, "multiple_token" in flags
        t = a["type"]
        tok = a.get("token") if t != "pure-token" else None
        body = self.body(a)
        if t == "oneof":
            body = "<%s>" % body
        elif t == "block" and (len(a["arguments"]) == 1 or (not tok and not opt and not mult)):
            body = "<%s>" % body
        if tok is not None:
            tok = '""' if tok == "" else tok
            if mult and not mtok:
                body = "%s %s [%s ...]" % (tok, body, body)
                mult = False
            else:
                body = "%s %s" % (tok, body)
        if mult:
            body = "%s [%s ...]" % (body, body)
        name = a["name"]
        prefix = "" if name == self.default_name(a) or t not in ("pure-token", "oneof", "block") else name + "="
        since = ("@" + a["since"] if "since" in a else "") + ("@!" + a["deprecated_since"] if "deprecated_since" in a else "")
        if opt:
            inner = body[1:-1] if body.startswith("<") and body.endswith(">") and t == "oneof" else body
            return prefix + "[%s]" % inner + since
        if tok is not None and not alone:
            return prefix + "<%s>" % body + since
        return prefix + body + since


def suggest(conn, name):
    info = conn.cmd("COMMAND", "INFO", name)[0]
    if info is None:
        print("/* %s: unknown to redis */" % name)
        return
    f = info_fields(info)
    docs = as_dict(as_dict(conn.cmd("COMMAND", "DOCS", name))[name])
    flags = names(f["flags"])
    acl = [c[1:] for c in names(f["acl"])]
    explicit = [c for c in acl if c not in implied_acl(flags)]
    out = ["/* %s */" % name,
           ".name = %s, .arity = %d, .flags = %s," % (c_str(name), f["arity"],
               " | ".join(FLAG_MACROS[x] for x in flags if x in FLAG_MACROS) or "0"),
           ".first_key = %d, .last_key = %d, .key_step = %d,%s" % (f["first"], f["last"], f["step"],
               "  /* movablekeys: getkeys */" if "movablekeys" in flags else "")]
    specs = [as_dict(x) for x in elems(f["key_specs"])]
    ks_names = {"RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"}
    def ks_flags(spec):
        return " | ".join("KS_" + x.upper() for x in names(spec["flags"]) if x in ks_names) or "0"
    simple = (len(specs) == 1 and "notes" not in specs[0] and "movablekeys" not in flags and
              as_dict(specs[0]["begin_search"])["type"] == "index" and as_dict(specs[0]["find_keys"])["type"] == "range")
    if simple:
        out.append(".key_flags = %s," % ks_flags(specs[0]))
    elif specs:
        out.append(".key_specs = (const struct cmd_key_spec[]){")
        for sp in specs:
            bs, fk = as_dict(sp["begin_search"]), as_dict(sp["find_keys"])
            bspec, fspec = as_dict(bs["spec"]), as_dict(fk["spec"])
            fields = [".flags = %s" % ks_flags(sp)]
            if bs["type"] == "index":
                fields += [".begin = KS_BEGIN_INDEX", ".index = %d" % bspec["index"]]
            elif bs["type"] == "keyword":
                fields += [".begin = KS_BEGIN_KEYWORD", ".keyword = %s" % c_str(bspec["keyword"]),
                           ".startfrom = %d" % bspec["startfrom"]]
            else:
                fields += [".begin = KS_BEGIN_UNKNOWN"]
            if fk["type"] == "range":
                fields += [".find = KS_FIND_RANGE", ".lastkey = %d" % fspec["lastkey"],
                           ".keystep = %d" % fspec["keystep"]] + ([".limit = %d" % fspec["limit"]] if fspec["limit"] else [])
            elif fk["type"] == "keynum":
                fields += [".find = KS_FIND_KEYNUM", ".keynumidx = %d" % fspec["keynumidx"],
                           ".firstkey = %d" % fspec["firstkey"], ".keystep = %d" % fspec["keystep"]]
            else:
                fields += [".find = KS_FIND_UNKNOWN"]
            if "notes" in sp:
                fields.append(".notes = %s" % c_str(sp["notes"]))
            out.append("    {%s}," % ", ".join(fields))
        out.append("    {0}},")
    tips = names(f["tips"])
    line = []
    if explicit:
        line.append(".acl_categories = %s" % c_str(" ".join(explicit)))
    if tips:
        line.append(".tips = %s" % c_str(" ".join(tips)))
    if line:
        out.append(", ".join(line) + ",")
    for k in ("group", "summary", "since", "complexity", "deprecated_since", "replaced_by"):
        if k in docs:
            out.append(".%s = %s," % (k, c_str(docs[k])))
    if "arguments" in docs:
        w = SyntaxWriter()
        out.append(".syntax = %s," % c_str(" ".join(w.arg(as_dict(a)) for a in docs["arguments"])))
    if "history" in docs:
        h = []
        for since, text in elems(docs["history"]):
            h += [c_str(since), c_str(text)]
        out.append(".history = (const char *const[]){%s, NULL}," % ", ".join(h))
    print("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringkv", default="build/ringkv-server", help="ringkv binary (started with --shards 1)")
    ap.add_argument("--port", type=int, help="use a running ringkv on this port")
    ap.add_argument("--redis", default=shutil.which("redis-server") or "redis-server")
    ap.add_argument("--redis-port", type=int, help="use a running redis-server on this port")
    ap.add_argument("--text", action="store_true", help="also compare summary, complexity, history")
    ap.add_argument("--args", action="store_true", help="also compare the argument trees")
    ap.add_argument("--resp2", action="store_true", help="also compare INFO in RESP2")
    ap.add_argument("--suggest", action="store_true",
                    help="print redis's facts about the named commands as table fields, and exit")
    ap.add_argument("commands", nargs="*", help="only these (full names)")
    args = ap.parse_args()
    if args.suggest and not args.commands:
        ap.error("--suggest needs command names")

    procs = []
    try:
        if not args.redis_port:
            args.redis_port = free_port()
            procs.append(start([args.redis, "--port", str(args.redis_port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"], args.redis_port))
        if not args.port and not args.suggest:
            args.port = free_port()
            procs.append(start([args.ringkv, "--port", str(args.port), "--bind", "127.0.0.1", "--shards", "1",
                                "--save", ""], args.port))
        if args.suggest:
            ra = Conn(args.redis_port)
            ra.cmd("HELLO", "3")
            for name in args.commands:
                suggest(ra, name)
            return 0
        ra, rb = Conn(args.redis_port), Conn(args.port)
        names = args.commands or rb.cmd("COMMAND", "LIST")
        diffs = []
        for resp in (3, 2) if args.resp2 else (3,):
            ra.cmd("HELLO", str(resp))
            rb.cmd("HELLO", str(resp))
            for name in names:
                compare_info(name, ra.cmd("COMMAND", "INFO", name)[0], rb.cmd("COMMAND", "INFO", name)[0], diffs, resp)
        ra.cmd("HELLO", "3")
        rb.cmd("HELLO", "3")
        for name in names:
            da, db = as_dict(ra.cmd("COMMAND", "DOCS", name)), as_dict(rb.cmd("COMMAND", "DOCS", name))
            if name in da and name in db:
                compare_docs(name, da[name], db[name], diffs, args)
        for d in diffs:
            print(d)
        print("crosscheck_command: %d commands, %d differences" % (len(names), len(diffs)))
        return 1 if diffs else 0
    finally:
        for p in procs:
            p.terminate()
            p.wait()


if __name__ == "__main__":
    sys.exit(main())
