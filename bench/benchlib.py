# Shared helpers for bench/compare and bench/memory: start and stop servers
# on free loopback ports, read their CPU time and RSS from /proc, talk a
# little RESP, bulk-load through `redis-cli --pipe`, and print Markdown.
# Single-threaded scripts; Python 3 standard library only.

import datetime
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(REPO, "bench", "results")


class BenchError(Exception):
    """A failure worth one clear line to the user (no traceback)."""


def free_port():
    # The kernel picks an unused port; the tiny window before the server
    # binds it is acceptable on a loopback-only bench.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def is_redis_like(path):
    """redis-server and valkey-server take Redis flags, not ringkv's."""
    base = os.path.basename(path)
    return base.startswith("redis-server") or base.startswith("valkey-server")


def find_binary(path):
    """Absolute path of an executable given as a path or a name on PATH."""
    if path is None:
        return None
    if os.sep in path:
        return os.path.abspath(path) if os.access(path, os.X_OK) else None
    return shutil.which(path)


# ---------------------------------------------------------------- RESP

def resp_encode(*args):
    """One command as a RESP array of bulk strings (bytes)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def crc16(data):
    """CRC16-XMODEM (poly 0x1021, init 0), Redis Cluster's key hash."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def keyslot(key):
    """Redis Cluster's hash slot of a key (str or bytes), hash tags honoured."""
    k = key.encode() if isinstance(key, str) else key
    s = k.find(b"{")
    if s >= 0:
        e = k.find(b"}", s + 1)
        if e > s + 1:
            k = k[s + 1:e]
    return crc16(k) % 16384


def shard_of(key, nshards):
    """The ringkv shard that owns a key: slot * nshards / 16384."""
    return keyslot(key) * nshards // 16384


class _Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n + 2:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def reply(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            text = rest.decode(errors="replace")
            return text if kind == b"+" else ReplyError(text)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.exact(n).decode(errors="replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ConnectionError("unexpected RESP reply %r" % line[:40])


class ReplyError(str):
    """An error reply, kept distinct from a status reply."""


def command(port, *args, timeout=5.0):
    """Send one command on a fresh connection and return its decoded reply."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(resp_encode(*args))
        return _Reader(s).reply()


# ---------------------------------------------------------------- servers

class Server:
    """A server process this script started, on its own free port.

    kind is "redis" for redis-server/valkey-server (Redis flags, no
    persistence) and "ringkv" for ringkv-server and ringkv-floor, decided
    by the binary's name so redis-server can stand in for ringkv. role says
    what the server is in the comparison (redis, valkey, ringkv, floor).
    """

    def __init__(self, label, path, role=None, shards=None, extra_args=()):
        self.label = label
        self.role = role or label
        # Absolute, because the server runs with its temp dir as cwd.
        self.path = os.path.abspath(path) if os.sep in path else path
        self.kind = "redis" if is_redis_like(path) else "ringkv"
        self.shards = shards
        self.extra_args = list(extra_args)
        self.port = None
        self.tls_dir = None   # set (make_tls_certs) to open a TLS port too
        self.tls_port = None
        self.proc = None
        self.workdir = None
        self.logpath = None
        self.version = "not started"

    def argv(self, display=False):
        """The command line; display=True hides the per-run port and dir."""
        port = "PORT" if display else str(self.port)
        args = [self.path, "--port", port, "--bind", HOST]
        if self.kind == "redis":
            args += ["--save", "", "--appendonly", "no", "--daemonize", "no",
                     "--dir", "TMPDIR" if display else self.workdir]
        elif self.shards:
            args += ["--shards", str(self.shards)]
        if self.tls_dir:
            args += ["--tls-port", "TLSPORT" if display else str(self.tls_port),
                     "--tls-cert-file", os.path.join(self.tls_dir, "server.crt"),
                     "--tls-key-file", os.path.join(self.tls_dir, "server.key"),
                     "--tls-auth-clients", "no"]
        return args + self.extra_args

    @property
    def client_port(self):
        """Where the benchmark clients connect: the TLS port when there is one."""
        return self.tls_port if self.tls_dir else self.port

    def start(self, ready_timeout=10.0):
        self.port = free_port()
        if self.tls_dir:
            self.tls_port = free_port()
        self.workdir = tempfile.mkdtemp(prefix="ringkv-bench-")
        self.logpath = os.path.join(self.workdir, "server.log")
        with open(self.logpath, "wb") as log:
            self.proc = subprocess.Popen(self.argv(), cwd=self.workdir,
                                         stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(ready_timeout)
        self.version = self._version()
        return self

    def _version(self):
        """What the running server says it is (INFO server); never runs the
        binary with --version, which the floor would take as 'serve on 6379'."""
        try:
            info = command(self.port, "INFO", "server")
        except OSError:
            return "?"
        if not isinstance(info, str) or isinstance(info, ReplyError) or ":" not in info:
            return "no INFO"
        fields = dict(l.split(":", 1) for l in info.splitlines() if ":" in l)
        parts = ["%s %s" % (k, fields[k]) for k in
                 ("ringkv_version", "valkey_version", "redis_version", "shards") if k in fields]
        return ", ".join(parts) or "?"

    def _wait_ready(self, timeout):
        # Any reply to PING will do: the floor answers +OK to everything.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError("%s (%s) exited with status %s at startup:\n%s"
                                 % (self.label, " ".join(self.argv()),
                                    self.proc.returncode, self.log_tail()))
            try:
                command(self.port, "PING", timeout=1.0)
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BenchError("%s did not answer PING within %.0fs:\n%s"
                         % (self.label, timeout, self.log_tail()))

    def log_tail(self, lines=15):
        try:
            with open(self.logpath, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu_ns(self):
        """On-CPU nanoseconds of all live threads (schedstat field 1).

        schedstat is nanosecond-exact and per thread, unlike utime/stime
        (clock ticks). A thread that exits between two reads drops its
        share, so servers with short-lived worker threads read low.
        """
        total = 0
        taskdir = "/proc/%d/task" % self.proc.pid
        try:
            tids = os.listdir(taskdir)
        except OSError:
            raise BenchError("%s is gone (pid %d)" % (self.label, self.proc.pid))
        for tid in tids:
            try:
                with open("%s/%s/schedstat" % (taskdir, tid)) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass  # thread exited while we listed the directory
        return total

    def cpu_stat_ns(self):
        """utime+stime of the whole process, exited threads included.

        Coarser than schedstat (clock ticks) but it keeps the time of
        threads that have exited, so it catches what cpu_ns() would miss.
        """
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")

    def rss_bytes(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise BenchError("no VmRSS for %s" % self.label)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.workdir, ignore_errors=True)


    def describe(self):
        """One Markdown line: label, command line, version."""
        shown = " ".join(shlex.quote(a) for a in self.argv(display=True))
        return "- %s: `%s` (%s)" % (self.label, shown, self.version)


def stop_on_sigterm():
    """Make SIGTERM unwind like Ctrl-C, so finally blocks stop our servers."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def stop_all(servers):
    for s in servers:
        try:
            s.stop()
        except Exception as e:  # keep stopping the others
            print("warning: stopping %s: %s" % (s.label, e))


# ---------------------------------------------------------------- loading

def pipe_load(redis_cli, port, path, expected_replies, timeout=600):
    """Feed a file of RESP commands through `redis-cli --pipe`.

    redis-cli ends the stream with an ECHO and waits for its echo, so this
    needs a server that implements ECHO (not the floor).
    """
    with open(path, "rb") as f:
        res = subprocess.run([redis_cli, "-h", HOST, "-p", str(port), "--pipe"],
                             stdin=f, capture_output=True, text=True,
                             timeout=timeout)
    out = res.stdout + res.stderr
    m = re.search(r"errors:\s*(\d+),\s*replies:\s*(\d+)", out)
    if res.returncode == 0 and m and int(m.group(1)) == 0 \
            and int(m.group(2)) == expected_replies:
        return
    # One line, however many errors: the first error and the totals.
    lines = out.strip().splitlines()
    replies = [l for l in lines if re.match(r"-?[A-Z]+ ", l) and not l.startswith("All ")]
    first = replies[0] if replies else (lines[-1] if lines else "no output")
    totals = "%s errors, %s replies of %d" % (m.group(1), m.group(2), expected_replies) \
        if m else "exit %d" % res.returncode
    raise BenchError("redis-cli --pipe (%s): %s" % (totals, first.strip()[:100]))


def write_resp_file(commands, prefix):
    """Write an iterable of RESP-encoded commands to a temp file; return path."""
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=".resp")
    with os.fdopen(fd, "wb", buffering=1 << 20) as f:
        batch = []
        for cmd in commands:
            batch.append(cmd)
            if len(batch) >= 10000:
                f.write(b"".join(batch))
                batch.clear()
        f.write(b"".join(batch))
    return path


# ---------------------------------------------------------------- reporting

def median(values):
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt(value, spec):
    return "n/a" if value is None else format(value, spec)


def fmt_ratio(value):
    return "—" if value is None else "%.2f×" % value


def markdown_table(header, rows, align=None):
    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = {"l": ":---", "r": "---:"}
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join(sep[a] for a in align) + " |"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def cell(value):
    """A value made safe for one Markdown table cell."""
    return " ".join(str(value).split()).replace("|", "\\|")


def git_describe():
    try:
        return subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                              capture_output=True, text=True, timeout=5).stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine_busy_ns():
    """Busy CPU time of the whole machine so far, all CPUs, steal included."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = v
    return (user + nice + system + irq + softirq + steal) * 1e9 / os.sysconf("SC_CLK_TCK")


def own_cpu_ns():
    """CPU time of this script plus the children it has waited for (clients)."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime) * 1e9


def machine_lines(start_loadavg):
    """Facts that decide whether two result files are comparable."""
    return ["- date: %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "- git: %s" % git_describe(),
            "- kernel: %s; CPUs online: %d (%s)" % (platform.release(),
                                                    os.cpu_count(), cpu_model()),
            "- load average before the run: %s" % start_loadavg]


def save_report(name, text):
    """Write text to bench/results/NAME-DATE.md and return the path."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(RESULTS_DIR, "%s-%s.md" % (name, stamp))
    with open(path, "w") as f:
        f.write(text)
    return path


# ---------------------------------------------------------------- choosing servers

def add_server_options(parser, with_floor):
    """Options both scripts share: which binaries, shards, extra arguments."""
    parser.add_argument("--shards", default=None,
                        help="shard count(s) for ringkv%s; a comma list such as 1,2 runs "
                             "one instance per count (default: the server's own default)"
                             % (" and the floor" if with_floor else ""))
    parser.add_argument("--server-args", default="",
                        help="extra arguments for ringkv%s (one shell-quoted string)"
                             % (" and the floor" if with_floor else ""))
    parser.add_argument("--redis-args", default="",
                        help="extra arguments for redis-server and valkey-server")
    parser.add_argument("--ringkv", default=os.path.join(REPO, "build", "ringkv-server"))
    if with_floor:
        parser.add_argument("--floor", default=os.path.join(REPO, "build", "ringkv-floor"),
                            help="ring-layer-only server; skipped when absent")
    parser.add_argument("--redis", default="redis-server")
    parser.add_argument("--valkey", default="valkey-server",
                        help="valkey-server binary; skipped silently when absent")
    parser.add_argument("--cli", default="redis-cli", help="redis-cli binary (bulk loading)")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")


def shard_counts(text):
    """--shards as a list; [None] means: pass no --shards flag."""
    if not text:
        return [None]
    counts = [int(x) for x in text.split(",") if x.strip()]
    if not counts or min(counts) < 1:
        raise ValueError(text)
    return counts


def make_tls_certs():
    """A temp dir with a self-signed server certificate and key (EC), for
    TLS runs; the caller removes it."""
    d = tempfile.mkdtemp(prefix="ringkv-bench-tls-")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-keyout", os.path.join(d, "server.key"), "-out", os.path.join(d, "server.crt")],
                   check=True, capture_output=True)
    return d


def plan_servers(args, with_floor):
    """Servers to run, redis-server first. Missing ringkv/redis is an error;
    missing valkey-server or floor is skipped silently."""
    redis = find_binary(args.redis)
    ringkv = find_binary(args.ringkv)
    if not redis:
        raise BenchError("redis-server not found (%s); pass --redis PATH" % args.redis)
    if not ringkv:
        raise BenchError("ringkv binary not found (%s); build it or pass --ringkv PATH"
                         % args.ringkv)
    redis_extra = shlex.split(args.redis_args)
    ringkv_extra = shlex.split(args.server_args)
    servers = [Server("redis", redis, extra_args=redis_extra)]
    valkey = find_binary(args.valkey)
    if valkey:
        servers.append(Server("valkey", valkey, extra_args=redis_extra))
    roles = [("ringkv", ringkv)]
    if getattr(args, "baseline", None):
        baseline = find_binary(args.baseline)
        if not baseline:
            raise BenchError("baseline binary not found (%s)" % args.baseline)
        roles.append(("base", baseline))
    if with_floor:
        roles.append(("floor", find_binary(args.floor)))
    for role, path in roles:
        if not path:
            continue
        for n in args.shards:
            label = role if len(args.shards) == 1 else "%s/s%d" % (role, n)
            servers.append(Server(label, path, role=role, shards=n, extra_args=ringkv_extra))
    return servers
