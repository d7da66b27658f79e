#!/usr/bin/env python3
"""Admin list pages at depth: GET /v1/admin/users and /v1/admin/audit with
1,000,000 rows each, the first page beside the deepest (and a name-prefix
search for the last names, and one user's events), measured in the same run
with wrk. Keyset pages should cost the same at any depth.

    scripts/admin-pages.py                  # SQLite
    BENCH_POSTGRES_URL=postgres://... scripts/admin-pages.py   # and PostgreSQL

Needs wrk (scripts/bench.py installs it), and psql for PostgreSQL.
"""

import base64
import os
import sqlite3
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
ANALYZE users; ANALYZE audit_events;
"""


def cursor(key):
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def pages(url, folder, seed):
    """Starts auth-service on `url`, makes an admin, seeds, measures."""
    socket = os.path.join(folder, "admin.sock")
    env = {"AUTH__DATABASE__URL": url, "AUTH__SERVER__ADMIN_SOCKET": socket,
           "AUTH__TOKENS__ACCESS_TOKEN_SECONDS": "3600"}
    service = bench.Service("auth-service", PORT, folder, env)
    try:
        return measure(service, seed)
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
    results = {}
    for label, path in targets:
        status, body = bench.http("GET", PORT, path, token=token)
        assert status == 200 and body["items"], (label, body)
        results[label] = bench.wrk(PORT, path, connections=8, token=token)
        assert results[label]["non_2xx"] == 0, label
    return results


def show(name, results):
    print(f"\n{name}: {ROWS:,} users and {ROWS:,} audit events; wrk, 8 connections, "
          f"{bench.SECONDS} s each")
    first = {"users": results["users, first page"]["rps"],
             "audit": results["audit, first page"]["rps"]}
    for label, run in results.items():
        base = first[label.split(",")[0]]
        print(f"  {label:32} {run['rps']:9.0f} req/s  p50 {run['p50']:6.2f} ms"
              f"  p99 {run['p99']:6.2f} ms  ({run['rps'] / base:.2f} of the first page)")


def main():
    bench.ensure_wrk()
    print("admin-pages: building the release binary")
    bench.run("cargo", "build", "-q", "--release", "-p", "auth-service")
    with tempfile.TemporaryDirectory(prefix="admin-pages-") as folder:
        path = os.path.join(folder, "auth.db")

        def seed_sqlite():
            db = sqlite3.connect(path)
            db.executescript(SQLITE_SEED)
            db.close()
        show("SQLite", pages(f"sqlite://{path}", folder, seed_sqlite))

    if bench.POSTGRES:
        url = bench.fresh_postgres_database("admin_pages_bench")
        with tempfile.TemporaryDirectory(prefix="admin-pages-") as folder:
            show("PostgreSQL", pages(url, folder, lambda: bench.psql(url, POSTGRES_SEED)))
        bench.psql(bench.POSTGRES, "DROP DATABASE admin_pages_bench")


if __name__ == "__main__":
    main()
