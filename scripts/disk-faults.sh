#!/usr/bin/env bash
# Storage faults on SQLite: both services keep their databases on a small
# ext4 file system (a loop device) that is filled up, then turned read-only
# by the kernel the way a disk error does (errors=remount-ro). Checks that
# writes then answer 503 problem details with a log line naming the cause
# (never a panic or a 500), that reads and /health/live go on, that a write
# that got 503 left nothing behind, that the services recover by themselves
# once space is freed, that after a read-only fault, fsck and a restart every
# acknowledged write is there, and that a start on a read-only disk fails
# with a clear message.
#
# Needs root (mount, loop devices), e2fsprogs, curl, python3.
# Usage: scripts/disk-faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."

auth_port=${FAULTS_AUTH_PORT:-18091}
items_port=${FAULTS_ITEMS_PORT:-18092}
work=$(mktemp -d)
disk=$work/disk
auth=http://127.0.0.1:$auth_port
items=http://127.0.0.1:$items_port
pids=()

fail() {
    echo "disk-faults: $*" >&2
    exit 1
}

cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "$status" -ne 0 ]; then
        tail -n 20 "$work"/*.log >&2 2>/dev/null || true
    fi
    umount "$disk" 2>/dev/null || umount -l "$disk" 2>/dev/null || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

status_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 15 "$@" || true; }
json_post() { curl -s -o "$work/body" -w '%{http_code}' --max-time 15 -H 'Content-Type: application/json' "$@" || true; }
put_item() {
    curl -s -o "$work/body" -w '%{http_code}' --max-time 15 -X PUT "$items/v1/items/$1" \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"price": 1}' || true
}
# The last response body is problem details that name nothing internal.
clean_problem() {
    python3 - "$1" "$work/body" <<'PY' || fail "the $1 body is not a clean problem: $(cat "$work/body")"
import json, sys
status, body = int(sys.argv[1]), json.load(open(sys.argv[2]))
assert body["status"] == status, body
text = json.dumps(body).lower()
assert not any(w in text for w in ("sqlite", "sqlx", "disk", "readonly", "read-only", "code")), body
PY
}
no_panic() {
    ! grep -q "panicked" "$work"/*.log || fail "a service panicked: $(grep -h panicked "$work"/*.log)"
}

mkdir "$disk"
truncate -s 16M "$work/disk.img"
mkfs.ext4 -q -m 0 "$work/disk.img"
mount -o loop,errors=remount-ro "$work/disk.img" "$disk"
device=$(findmnt -n -o SOURCE "$disk")
cargo build -q -p auth-service -p items-service
common=(JWT_SECRET=disk-faults-secret-disk-faults-secret RUST_LOG=warn RUST_BACKTRACE=1)
start_items() {
    exec env "${common[@]}" ITEMS__SERVER__PORT="$items_port" ITEMS__DATABASE__URL="sqlite://$disk/items.db" \
        target/debug/items-service >>"$work/items.log" 2>&1
}
start_auth() {
    exec env "${common[@]}" AUTH__SERVER__PORT="$auth_port" AUTH__DATABASE__URL="sqlite://$disk/auth.db" \
        target/debug/auth-service >>"$work/auth.log" 2>&1
}
wait_ready() {
    for _ in $(seq 1 100); do
        [ "$(status_of "$auth/health/ready")" = 200 ] && [ "$(status_of "$items/health/ready")" = 200 ] && return
        sleep 0.1
    done
    fail "the services did not start"
}
start_auth &
pids+=($!)
start_items &
pids+=($!)
wait_ready

credentials='{"username": "faults", "password": "disk-faults-passphrase"}'
[ "$(json_post "$auth/v1/users" -d "$credentials")" = 201 ] || fail "registration failed"
token=$(curl -fsS "$auth/auth" -H 'Content-Type: application/json' -d "$credentials" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
[ "$(put_item before-the-fault)" = 201 ] || fail "the first write failed"

echo "disk-faults: filling the disk"
dd if=/dev/zero of="$disk/filler" bs=64k status=none 2>/dev/null || true
# SQLite may still have room in pages it owns: write until a write fails.
refused=""
for n in $(seq 1 3000); do
    code=$(put_item "full-$n-$(printf 'x%.0s' $(seq 1 60))")
    case "$code" in
        201) ;;
        503) refused="full-$n-$(printf 'x%.0s' $(seq 1 60))"; break ;;
        *) fail "a write on a full disk answered $code: $(cat "$work/body")" ;;
    esac
done
[ -n "$refused" ] || fail "3000 writes fit on a full disk"
echo "disk-faults: write $n answered 503"
clean_problem 503
grep -q "database or disk is full" "$work/items.log" || fail "no log line names the full disk"
[ "$(status_of "$items/v1/items/$refused" -H "Authorization: Bearer $token")" = 404 ] ||
    fail "the refused write left an item behind"
[ "$(status_of "$items/v1/items/before-the-fault" -H "Authorization: Bearer $token")" = 200 ] ||
    fail "reads stopped on a full disk"
[ "$(status_of "$items/health/live")" = 200 ] || fail "items /health/live is not 200 on a full disk"
code=$(json_post "$auth/v1/users" -d '{"username": "on-a-full-disk", "password": "disk-faults-passphrase"}')
[ "$code" = 503 ] || fail "a registration on a full disk answered $code"
clean_problem 503
grep -q "database or disk is full" "$work/auth.log" || fail "no auth log line names the full disk"

rm -f "$disk/filler"
[ "$(put_item after-space-freed)" = 201 ] || fail "writes did not recover once space was freed"
[ "$(put_item "$refused")" = 201 ] || fail "the refused write could not be done again"
code=$(json_post "$auth/v1/users" -d '{"username": "on-a-full-disk", "password": "disk-faults-passphrase"}')
[ "$code" = 201 ] || fail "the refused registration could not be done again ($code)"
echo "disk-faults: recovered once space was freed, with no restart"

echo "disk-faults: a disk error turns the file system read-only"
echo "disk-faults test" >"/sys/fs/ext4/$(basename "$device")/trigger_fs_error"
findmnt -n -o OPTIONS "$disk" | grep -q emergency_ro || fail "the file system did not turn read-only"
code=$(put_item on-a-read-only-disk)
[ "$code" = 503 ] || fail "a write on a read-only disk answered $code: $(cat "$work/body")"
clean_problem 503
# SQLite reports the kernel's EROFS on a write as SQLITE_IOERR_WRITE.
grep -q "disk I/O error" "$work/items.log" || fail "no log line names the failed disk write"
[ "$(status_of "$items/v1/items/before-the-fault" -H "Authorization: Bearer $token")" = 200 ] ||
    fail "reads stopped on a read-only disk"
[ "$(status_of "$items/health/live")" = 200 ] || fail "items /health/live is not 200 on a read-only disk"
acknowledged=$(curl -fsS "$items/v1/items?limit=100" -H "Authorization: Bearer $token" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))')

echo "disk-faults: stop, fsck, restart"
for pid in "${pids[@]}"; do kill "$pid"; done
wait 2>/dev/null || true
pids=()
umount "$disk"
e2fsck -fy "$work/disk.img" >/dev/null 2>&1 || [ $? -le 1 ] || fail "fsck could not repair the disk"
mount -o loop,errors=remount-ro "$work/disk.img" "$disk"
start_auth &
pids+=($!)
start_items &
pids+=($!)
wait_ready
count=$(curl -fsS "$items/v1/items?limit=100" -H "Authorization: Bearer $token" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))')
[ "$count" = "$acknowledged" ] || fail "$acknowledged items were acknowledged, $count are there after the restart"
[ "$(put_item on-a-read-only-disk)" = 201 ] || fail "writes did not work after the restart"
echo "disk-faults: all $count acknowledged items there after the restart; writes work"

echo "disk-faults: starting items-service on a read-only disk"
for pid in "${pids[@]}"; do kill "$pid"; done
wait 2>/dev/null || true
pids=()
umount "$disk"
mount -o loop,ro "$work/disk.img" "$disk"
: >"$work/items.log"
if (start_items); then fail "items-service started on a read-only disk"; fi
grep -qiE "readonly|read-only" "$work/items.log" || fail "the start failure does not name the read-only database: $(cat "$work/items.log")"
echo "disk-faults: refused to start: $(grep -iE 'readonly|read-only' "$work/items.log" | head -1)"
no_panic
echo "disk-faults: passed"
