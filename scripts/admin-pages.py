#!/usr/bin/env python3
"""Operations at scale, with 1,000,000 users and 1,000,000 audit events:

- admin list pages at depth: GET /v1/admin/users and /v1/admin/audit, the
  first page beside the deepest (and a name-prefix search for the last
  names, and one user's events), measured in the same run with wrk. Keyset
  pages should cost the same at any depth;
- the purge: logins and refresh grants, first alone, then while
  auth-service purges 1,000,000 expired audit events and 1,000,000 ended
  sessions (with a refresh token each) at its start. It should never stall
  them.

    scripts/admin-pages.py                  # SQLite
    BENCH_POSTGRES_URL=postgres://... scripts/admin-pages.py   # and PostgreSQL

Needs wrk (scripts/bench.py installs it), and psql for PostgreSQL.
"""

import base64
import concurrent.futures
import contextlib
import datetime
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the helpers beside this script)

PORT = 19095
ROWS = 1_000_000
# Recent events: older ones would be purged (AUTH__AUDIT__RETENTION_DAYS).
NOW = int(time.time() * 1000)
# Logins and refreshes are measured this long, the purge lasts longer (its
# p99 needs samples: logins run at about 50/s).
PURGE_SECONDS = 15
# Past the default retention of 90 days.
EXPIRED = NOW - 100 * 86_400_000
PASSWORD = "admin-pages-passphrase"

SQLITE_SEED = f"""
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})
INSERT INTO users (id, username, username_key, password_hash, created_at, updated_at, scopes)
SELECT printf('00000000-0000-4000-8000-%012d', i), printf('user%07d', i),
       printf('user%07d', i), 'x', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
       'items:read' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})
INSERT INTO audit_events (at, event, user_id, client_address)
SELECT {NOW} - {ROWS} + i, CASE WHEN i % 2 = 0 THEN 'login_failed' ELSE 'login_succeeded' END,
       printf('00000000-0000-4000-8000-%012d', i % 1000 + 1), '10.0.0.1' FROM n;
"""

POSTGRES_SEED = f"""
INSERT INTO users (id, username, username_key, password_hash, created_at, updated_at, scopes)
SELECT format('00000000-0000-4000-8000-%s', lpad(i::text, 12, '0')),
       'user' || lpad(i::text, 7, '0'), 'user' || lpad(i::text, 7, '0'), 'x',
       '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'items:read'
FROM generate_series(1, {ROWS}) i;
INSERT INTO audit_events (at, event, user_id, client_address)
SELECT {NOW} - {ROWS} + i, CASE WHEN i % 2 = 0 THEN 'login_failed' ELSE 'login_succeeded' END,
       format('00000000-0000-4000-8000-%s', lpad((i % 1000 + 1)::text, 12, '0')), '10.0.0.1'
FROM generate_series(1, {ROWS}) i;
"""


SQLITE_EXPIRED = f"""
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})
INSERT INTO audit_events (at, event, user_id, client_address)
SELECT {EXPIRED} + i, 'login_succeeded', printf('00000000-0000-4000-8000-%012d', i), '10.0.0.1'
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})
INSERT INTO refresh_families (id, user_id, scope, created_at, expires_at)
SELECT printf('ended-%07d', i), printf('00000000-0000-4000-8000-%012d', i), 'items:read',
       {EXPIRED}, {NOW} - 60000 FROM n;
INSERT INTO refresh_tokens (token_hash, family_id, expires_at)
SELECT id, id, {NOW} - 60000 FROM refresh_families WHERE id LIKE 'ended-%';
"""

POSTGRES_EXPIRED = f"""
INSERT INTO audit_events (at, event, user_id, client_address)
SELECT {EXPIRED} + i, 'login_succeeded',
       format('00000000-0000-4000-8000-%s', lpad(i::text, 12, '0')), '10.0.0.1'
FROM generate_series(1, {ROWS}) i;
INSERT INTO refresh_families (id, user_id, scope, created_at, expires_at)
SELECT 'ended-' || lpad(i::text, 7, '0'), format('00000000-0000-4000-8000-%s', lpad(i::text, 12, '0')),
       'items:read', {EXPIRED}, {NOW} - 60000
FROM generate_series(1, {ROWS}) i;
INSERT INTO refresh_tokens (token_hash, family_id, expires_at)
SELECT convert_to(id, 'UTF8'), id, {NOW} - 60000 FROM refresh_families WHERE id LIKE 'ended-%';
"""


def seed_postgres(url, script):
    """Runs `script`, then settles the database as a running one would be:
    vacuumed, analysed and checkpointed, so that no autovacuum or checkpoint
    of the load lands in a measurement."""
    bench.psql(url, script)
    bench.psql(url, "VACUUM ANALYZE")
    bench.psql(url, "CHECKPOINT")


def cursor(key):
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def at_scale(url, folder, seed, seed_expired):
    """Starts auth-service on `url`, makes an admin, seeds, measures the
    pages, then the purge."""
    socket = os.path.join(folder, "admin.sock")
    # The janitor's line only: request logs would be a load of their own.
    env = {"AUTH__DATABASE__URL": url, "AUTH__SERVER__ADMIN_SOCKET": socket,
           "AUTH__TOKENS__ACCESS_TOKEN_SECONDS": "3600", "LOG_FORMAT": "json",
           "RUST_LOG": "warn,auth_service::startup=info"}
    service = bench.Service("auth-service", PORT, folder, env, log=os.path.join(folder, "auth.log"))
    try:
        return measure(service, seed), purge(service, folder, seed_expired)
    finally:
        service.stop()


def measure(service, seed):
    service.start()
    bench.http("POST", PORT, "/v1/users", {"username": "admin", "password": PASSWORD})
    subprocess.run([os.path.join(bench.ROOT, "target/release/auth-service"),
                    "users", "grant", "admin", "auth:admin"],
                   env=service.environment, check=True, stdout=subprocess.DEVNULL)
    service.stop()
    seed()
    service.start()
    _, grant = bench.http("POST", PORT, "/v1/token", {
        "grant_type": "password", "username": "admin", "password": PASSWORD,
        "scope": "auth:admin"})
    token = grant["access_token"]
    user_keys = f"user{ROWS - 50:07d}"
    targets = [
        ("users, first page", "/v1/admin/users?limit=50"),
        ("users, deepest page", f"/v1/admin/users?limit=50&cursor={cursor(user_keys)}"),
        ("users, prefix of the last 10", f"/v1/admin/users?limit=50&prefix=user{ROWS // 10 - 1:06d}"),
        ("audit, first page", "/v1/admin/audit?limit=50"),
        ("audit, deepest page", "/v1/admin/audit?limit=50&cursor=51"),
        ("audit, one user's, deepest", "/v1/admin/audit?limit=50&cursor=60000&user_id="
         "00000000-0000-4000-8000-000000000001"),
        ("audit, one event, deepest", "/v1/admin/audit?limit=50&cursor=200&event=login_failed"),
    ]
    for label, path in targets:
        status, body = bench.http("GET", PORT, path, token=token)
        assert status == 200 and body["items"], (label, body)
    # Interleaved rounds: a p99 of one short run on shared cores is noise.
    rounds = []
    for _ in range(bench.ROUNDS):
        rounds.append({label: bench.wrk(PORT, path, connections=8, token=token)
                       for label, path in targets})
        assert all(run["non_2xx"] == 0 for run in rounds[-1].values()), rounds[-1]
    return rounds


def logins_and_refreshes(folder):
    """Password logins (2 connections) beside refresh grants (4 connections,
    each rotating its own token), for PURGE_SECONDS: their wrk results."""
    grant = {"grant_type": "password", "username": "admin", "password": PASSWORD}
    tokens = [bench.http("POST", PORT, "/v1/token", grant)[1]["refresh_token"] for _ in range(4)]
    rotate = bench.refresh_script(folder, "purge-refresh.lua", tokens)
    login = bench.lua(folder, "purge-login.lua", (
        'wrk.method = "POST"\n'
        f'wrk.body = "grant_type=password&username=admin&password={PASSWORD}"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'))
    with concurrent.futures.ThreadPoolExecutor() as pool:
        logins = pool.submit(bench.wrk, PORT, "/v1/token", connections=2, script=login,
                             seconds=PURGE_SECONDS)
        refreshes = pool.submit(bench.wrk, PORT, "/v1/token", connections=4, threads=4, script=rotate,
                                seconds=PURGE_SECONDS)
        return {"logins": logins.result(), "refreshes": refreshes.result()}


def purge(service, folder, seed_expired):
    """Logins and refreshes alone (the service holds the pages' rows), then
    again from the moment a restarted service begins purging a backlog."""
    alone = logins_and_refreshes(folder)
    service.stop()
    seed_expired()
    began = time.time()
    service.start()
    during = logins_and_refreshes(folder)
    deadline = time.time() + 600
    while (purged := janitor_line(service.log, began)) is None:
        assert time.time() < deadline, "the purge did not end in 10 minutes"
        time.sleep(0.5)
    assert purged["audit_events"] == ROWS and purged["sessions"] == ROWS, purged
    # Else part of the window measured no purge at all.
    assert int(purged["elapsed_ms"]) > PURGE_SECONDS * 1000, "the purge ended within the window"
    return alone, during, purged


def janitor_line(log, since):
    """The janitor's `purged expired rows` fields logged after `since`, if any."""
    with open(log) as lines:
        for text in lines:
            entry = json.loads(text)
            stamp = datetime.datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00"))
            if entry["fields"].get("message") == "purged expired rows" and stamp.timestamp() >= since:
                return entry["fields"]
    return None


def show(name, results):
    rounds, (alone, during, purged) = results
    print(f"\n{name}: {ROWS:,} users and {ROWS:,} audit events; wrk, 8 connections, "
          f"{bench.SECONDS} s each, {len(rounds)} interleaved rounds (p99: the median round's"
          " ratio to the same round's first page)")
    for label in rounds[0]:
        first = f"{label.split(',')[0]}, first page"
        ratio, _ = bench.median_ratio(rounds, label, first, key="p99")
        median = statistics.median(run[label]["rps"] for run in rounds)
        p99s = " / ".join(f"{r[label]['p99']:.2f}" for r in rounds)
        print(f"  {label:32} {median:9.0f} req/s  p99 {p99s} ms  = {ratio:.2f}x"
              f" the first page's{'' if label == first else '   target <= 1.5x'}")
    print(f"\n{name}: logins (2 connections) beside refresh grants (4), {PURGE_SECONDS} s, alone and"
          f" while purging {purged['audit_events']:,} audit events and {purged['sessions']:,}"
          f" sessions (the purge took {int(purged['elapsed_ms']) / 1000:.1f} s)")
    for what in ("logins", "refreshes"):
        for label, run in ((f"{what}, alone", alone[what]), (f"{what}, during the purge", during[what])):
            bench.show_load(label, run)
        print(f"  {what}: p99 {during[what]['p99'] - alone[what]['p99']:+.1f} ms during the purge"
              "   target <= +50 ms")
        assert alone[what]["non_2xx"] == 0 and during[what]["non_2xx"] == 0, what


def main():
    bench.ensure_wrk()
    print("admin-pages: building the release binary")
    bench.run("cargo", "build", "-q", "--release", "-p", "auth-service")
    with tempfile.TemporaryDirectory(prefix="admin-pages-") as folder:
        path = os.path.join(folder, "auth.db")

        def sqlite(script):
            with contextlib.closing(sqlite3.connect(path)) as db:
                db.executescript(script)
        show("SQLite", at_scale(f"sqlite://{path}", folder, lambda: sqlite(SQLITE_SEED),
                                lambda: sqlite(SQLITE_EXPIRED)))

    if bench.POSTGRES:
        url = bench.fresh_postgres_database("admin_pages_bench")
        with tempfile.TemporaryDirectory(prefix="admin-pages-") as folder:
            show("PostgreSQL", at_scale(url, folder, lambda: seed_postgres(url, POSTGRES_SEED),
                                        lambda: seed_postgres(url, POSTGRES_EXPIRED)))
        bench.psql(bench.POSTGRES, "DROP DATABASE admin_pages_bench")


if __name__ == "__main__":
    main()
