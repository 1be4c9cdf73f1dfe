#!/usr/bin/env bash
# scripts/install in a scratch root: the files, their modes and owner, the
# ringkv user, a rerun that keeps an edited config, the unit's hardening
# (systemd-analyze security, offline), and the installed binary serving
# with the installed config, whose every directive holds Redis's default
# (CONFIG GET * equal to a server started without it) and which lists
# every directive the server knows.
# Usage: test_install.sh SERVER_BINARY
set -euo pipefail
server=$(realpath "$1")
cd "$(dirname "$0")/../.."
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ringkv-install-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v systemd-sysusers >/dev/null || { echo "SKIP: no systemd-sysusers"; exit 77; }
root=$scratch/root
scripts/install --root "$root" --binary "$server" >/dev/null 2>&1 || fail "scripts/install exited $?"
bin=$root/usr/local/bin/ringkv-server conf=$root/etc/ringkv/ringkv.conf unit=$root/etc/systemd/system/ringkv.service
[ "$(stat -c %a "$bin")" = 755 ] || fail "binary mode $(stat -c %a "$bin")"
cmp -s "$bin" "$server" || fail "installed binary differs from $server"
[ "$(stat -c %a "$conf")" = 640 ] || fail "config mode $(stat -c %a "$conf")"
gid=$(awk -F: '$1 == "ringkv" { print $3 }' "$root/etc/group")
[ -n "$gid" ] && [ "$(stat -c %g "$conf")" = "$gid" ] || fail "config group $(stat -c %g "$conf"), ringkv is '$gid'"
grep -q '^ringkv:x:[0-9]*:[0-9]*:.*:/var/lib/ringkv:/usr/sbin/nologin$' "$root/etc/passwd" || fail "no ringkv user: $(cat "$root/etc/passwd")"
grep -qx 'Type=notify' "$unit" || fail "the unit is not Type=notify"
grep -qx 'ExecStart=/usr/local/bin/ringkv-server /etc/ringkv/ringkv.conf --supervised systemd --daemonize no' "$unit" \
  || fail "ExecStart: $(grep ExecStart "$unit")"
grep -qx 'User=ringkv' "$unit" && grep -q '^LimitNOFILE=' "$unit" || fail "the unit lacks User= or LimitNOFILE="
! grep -q '@[A-Z]*@' "$unit" || fail "unsubstituted template words in the unit"

# A rerun keeps the operator's config and puts the new one beside it.
echo "maxmemory 1gb" >> "$conf"
scripts/install --root "$root" --binary "$server" >/dev/null 2>&1 || fail "second install exited $?"
grep -qx 'maxmemory 1gb' "$conf" || fail "the rerun replaced an edited config"
[ -f "$conf.new" ] || fail "the rerun left no ringkv.conf.new"
[ "$(grep -c '^ringkv:' "$root/etc/passwd")" = 1 ] || fail "the rerun added the user twice"

if command -v systemd-analyze >/dev/null; then
  # exposure 0-100 (Debian's redis-server.service scores 12)
  systemd-analyze security --offline=true --threshold=20 "$unit" >/dev/null 2>&1 \
    || fail "the unit's exposure: $(systemd-analyze security --offline=true "$unit" 2>&1 | tail -1)"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Starts the installed binary with its arguments; echoes its port once it answers.
start() {
  local port; port=$(free_port)
  mkdir -p "$scratch/data$port"
  "$bin" "$@" --port "$port" --bind 127.0.0.1 --dir "$scratch/data$port" --supervised no --save '' --shards 2 \
    >"$scratch/log$port" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$port" PING 2>/dev/null)" = PONG ] && { echo "$port"; return; }
    sleep 0.1
  done
  cat "$scratch/log$port" >&2
  fail "the installed server did not answer on port $port"
}
config_all() { redis-cli -p "$1" CONFIG GET '*' | paste -d'\t' - - | grep -v $'^dir\t\|^port\t' | sort; }

with_conf=$(start "$conf.new")
bare=$(start)
diff <(config_all "$bare") <(config_all "$with_conf") >&2 || fail "the sample config changes the defaults above"
missing=0
while IFS=$'\t' read -r name _; do
  grep -qE "^#? ?$name( |$)|alias: .*\\b$name\\b" "$conf.new" || { echo "not in ringkv.conf: $name" >&2; missing=1; }
done < <(config_all "$bare")
[ $missing = 0 ] || fail "the sample config misses directives the server knows (scripts/service/gen-conf rewrites it)"
redis-cli -p "$with_conf" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
redis-cli -p "$bare" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
echo "install: ok"
