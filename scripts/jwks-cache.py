#!/usr/bin/env python3
"""The key cache of a verifier that fetches auth-service's JWK Set by URL
(items-service with JWT_JWKS_URL, EdDSA), under load, each figure beside its
baseline from the same run:

1. a flood of tokens naming made-up key ids beside valid reads, against the
   same load of valid reads only: the valid reads' throughput, and the
   fetches the flood caused (counted at auth-service);
2. auth-service stopped (an outage): valid reads go on; the fetches that
   failed, and the key set's age.

    scripts/jwks-cache.py           # BENCH_SECONDS=10 per load run by default

Needs wrk, as scripts/bench.py (whose helpers it uses).
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the helpers beside this script)

AUTH_PORT, ITEMS_PORT = 19091, 19092
COOLDOWN = 5
FORGED = 2000


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def value(text, series):
    """One series' value in an exposition; 0 when absent."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split(" ")[1])
    return 0.0


def sample(port, series):
    return value(metrics(port), series)


def jwks_fetches():
    series = 'http_requests_total{method="GET",route="/.well-known/jwks.json",status="200"}'
    return sample(AUTH_PORT, series)


def with_kid(token, kid):
    header, rest = token.split(".", 1)
    decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    decoded["kid"] = kid
    encoded = base64.urlsafe_b64encode(json.dumps(decoded).encode()).decode().rstrip("=")
    return f"{encoded}.{rest}"


def both(first, second):
    """Two wrk runs at once, 16 connections each; their results."""
    runs = [subprocess.Popen(
        ["wrk", "-t1", "-c16", f"-d{bench.SECONDS}s", "--latency", *args],
        stdout=subprocess.PIPE, text=True) for args in (first, second)]
    return [run.communicate()[0] for run in runs]


def main():
    bench.ensure_wrk()
    print(f"jwks-cache: building release binaries; load runs of {bench.SECONDS} s")
    bench.run("cargo", "build", "-q", "--release", "-p", "auth-service", "-p", "items-service")
    folder = tempfile.mkdtemp(prefix="jwks-cache-")
    keys = [os.path.join(folder, "auth"), os.path.join(folder, "items")]
    for path in keys:
        os.makedirs(path)
    subprocess.run([os.path.join(bench.ROOT, "target/release/auth-service"), "keys", "init", *keys],
                   env={**os.environ, "JWT_ALGORITHM": "EdDSA"}, check=True, stdout=subprocess.DEVNULL)
    auth = bench.Service("auth-service", AUTH_PORT, folder,
                         {"AUTH_CONFIG_FILE": os.path.join(keys[0], "auth.toml")})
    items = bench.Service("items-service", ITEMS_PORT, folder, {
        "JWT_ALGORITHM": "EdDSA",
        "JWT_JWKS_URL": f"http://127.0.0.1:{AUTH_PORT}/.well-known/jwks.json",
        "JWT_JWKS_COOLDOWN_SECONDS": str(COOLDOWN),
    })
    for service in (auth, items):
        del service.environment["JWT_SECRET"]
    try:
        auth.start()
        items.start()
        bench.http("POST", AUTH_PORT, "/v1/users", bench.USER)
        token = bench.http("POST", AUTH_PORT, "/auth", bench.USER)[1]["access_token"]
        bench.http("PUT", ITEMS_PORT, "/v1/items/bench-item", {"price": 9.99}, token)
        url = f"http://127.0.0.1:{ITEMS_PORT}/v1/items/bench-item"
        valid = ["-H", f"Authorization: Bearer {token}", url]
        tokens = ",\n".join(f'"{with_kid(token, f"forged-{i}")}"' for i in range(FORGED))
        forged_script = bench.lua(folder, "forged.lua", (
            f"local tokens = {{\n{tokens}\n}}\nlocal i = 0\n"
            "request = function()\n  i = i % #tokens + 1\n"
            '  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. tokens[i] })\nend\n'))

        print(f"\n1. Valid reads beside {FORGED} made-up key ids in rotation (16 + 16 connections),"
              f" cooldown {COOLDOWN} s")
        base_valid, _ = map(bench.parse_wrk, both(valid, valid))
        before = jwks_fetches()
        flood_valid, flood_forged = map(bench.parse_wrk, both(valid, ["-s", forged_script, url]))
        fetched = jwks_fetches() - before
        bench.line("valid reads/s beside valid reads (baseline)", f"{base_valid['rps']:9.0f}  non-2xx {base_valid['non_2xx']}")
        bench.line("valid reads/s beside the flood", f"{flood_valid['rps']:9.0f}  non-2xx {flood_valid['non_2xx']}")
        bench.line("valid reads under the flood / baseline", f"{flood_valid['rps'] / base_valid['rps']:.2f}x")
        bench.line("forged requests (all refused)", f"{flood_forged['requests']:9d}  refused {flood_forged['non_2xx']}")
        bench.line("JWK Set fetches the flood caused", f"{fetched:9.0f}",
                   f"at most 1 + {bench.SECONDS}/{COOLDOWN}")

        print("\n2. auth-service stopped: an outage of the issuer")
        auth.stop()
        failures_before = sample(ITEMS_PORT, "jwt_keys_refresh_failures_total")
        time.sleep(COOLDOWN)
        outage_valid, outage_forged = map(bench.parse_wrk, both(valid, ["-s", forged_script, url]))
        status = metrics(ITEMS_PORT)
        bench.line("valid reads/s during the outage", f"{outage_valid['rps']:9.0f}  non-2xx {outage_valid['non_2xx']}",
                   "target: zero non-2xx")
        bench.line("forged requests (all refused)", f"{outage_forged['requests']:9d}  refused {outage_forged['non_2xx']}")
        failed = (value(status, "jwt_keys_refresh_failures_total")) - failures_before
        bench.line("fetches that failed (the last good set stayed)", f"{failed:9.0f}")
        bench.line("key set age at the end", f"{value(status, 'jwt_keys_age_seconds'):9.1f} s")
    finally:
        for service in (items, auth):
            service.stop()


if __name__ == "__main__":
    main()
