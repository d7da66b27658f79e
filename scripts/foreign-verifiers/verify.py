"""PyJWT's PyJWKClient and authlib against auth-service, each given only the
issuer's discovery URL. Usage: verify.py DISCOVERY_URL ALGORITHM STAGE
STAGE: `first` (login through authlib, verify, refuse forgeries; prints the
token) or `rotated OLD_TOKEN` (after next+activate: both verify) or
`retired OLD_TOKEN NEW_TOKEN` (after retire: the old key's token is refused).
"""

import sys

import authlib
import authlib.integrations.base_client
import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

AUDIENCE = "items-service"
USER, PASSWORD = "foreign-verifier", "foreign-verifier-passphrase"
# Made admin by foreign-verifiers.sh (`auth-service users grant`).
ADMIN, ADMIN_PASSWORD = "foreign-admin", "foreign-admin-passphrase"


def discover(url):
    metadata = requests.get(url, timeout=5).json()
    return metadata, jwt.PyJWKClient(metadata["jwks_uri"], cache_keys=True)


def verify(client, metadata, token, algorithm):
    key = client.get_signing_key_from_jwt(token)
    return jwt.decode(
        token, key.key, algorithms=[algorithm], audience=AUDIENCE, issuer=metadata["issuer"]
    )


def refused(client, metadata, token, algorithm):
    try:
        verify(client, metadata, token, algorithm)
    except (jwt.PyJWTError, jwt.PyJWKClientError) as error:
        return type(error).__name__
    raise SystemExit("PyJWT accepted a forged token")


def session():
    return OAuth2Session(
        client_id="foreign-verifiers",
        token_endpoint_auth_method="none",
        revocation_endpoint_auth_method="none",
        scope="items:read",
    )


def login(metadata):
    # authlib reads the token endpoint from the RFC 8414 document.
    token = session().fetch_token(metadata["token_endpoint"], username=USER, password=PASSWORD)
    assert token["token_type"].lower() == "bearer", token
    return token["access_token"]


def revoke_with_authlib(metadata):
    """authlib's standard revoke call (RFC 7009) at the advertised endpoint:
    the refresh token is dead afterwards."""
    client = session()
    token = client.fetch_token(metadata["token_endpoint"], username=USER, password=PASSWORD)
    answer = client.revoke_token(metadata["revocation_endpoint"], token=token["refresh_token"], token_type_hint="refresh_token")
    assert answer.status_code == 200, answer.text
    try:
        client.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    except authlib.integrations.base_client.OAuthError as error:
        return error.error
    raise SystemExit("a revoked refresh token still refreshed")


def service_client_with_authlib(metadata, client, algorithm):
    """A service client the admin API registered gets its own token with
    authlib's client-credentials call (HTTP Basic), which PyJWT verifies, and
    introspects a user's token with authlib's standard call (RFC 7662)."""
    admin = OAuth2Session(client_id="foreign-verifiers", token_endpoint_auth_method="none", scope="auth:admin")
    admin.fetch_token(metadata["token_endpoint"], username=ADMIN, password=ADMIN_PASSWORD)
    created = admin.post(metadata["issuer"] + "/v1/admin/clients", json={"name": "foreign", "scopes": ["items:read", "auth:introspect"]}, timeout=5)
    assert created.status_code == 201, created.text
    registered = created.json()
    service = OAuth2Session(
        client_id=registered["client_id"],
        client_secret=registered["client_secret"],
        token_endpoint_auth_method="client_secret_basic",
        scope="items:read",
    )
    token = service.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert "refresh_token" not in token, token
    claims = verify(client, metadata, token["access_token"], algorithm)
    assert claims["sub"] == claims["client_id"] == registered["client_id"], claims
    answer = service.introspect_token(metadata["introspection_endpoint"], token=login(metadata))
    assert answer.status_code == 200 and answer.json()["active"] is True, answer.text
    assert answer.json()["username"] == USER, answer.text
    return registered["client_id"]


def throttled_with_authlib(metadata):
    """A throttled login raises authlib's OAuthError (RFC 6749 5.2 members on
    the 429) rather than being read as a token."""
    errors = []
    for _ in range(6):
        try:
            session().fetch_token(metadata["token_endpoint"], username="nobody-at-all", password="not-the-password")
        except authlib.integrations.base_client.OAuthError as error:
            errors.append(error.error)
    assert errors[-1] == "temporarily_unavailable", errors
    return errors[-1]


def forge(claims, algorithm, kid):
    key = ed25519.Ed25519PrivateKey.generate() if algorithm == "EdDSA" else ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid, "typ": "JWT"})


def main():
    url, algorithm, stage = sys.argv[1:4]
    metadata, client = discover(url)
    if stage == "first":
        requests.post(metadata["issuer"] + "/v1/users", json={"username": USER, "password": PASSWORD}, timeout=5)
        token = login(metadata)
        claims = verify(client, metadata, token, algorithm)
        kid = jwt.get_unverified_header(token)["kid"]
        unknown = refused(client, metadata, forge(claims, algorithm, "not-in-the-set"), algorithm)
        wrong_key = refused(client, metadata, forge(claims, algorithm, kid), algorithm)
        revoked = revoke_with_authlib(metadata)
        service = service_client_with_authlib(metadata, client, algorithm)
        throttled = throttled_with_authlib(metadata)
        print(
            f"PyJWT {jwt.__version__}: verified {algorithm} (kid {kid}); refused an unknown key "
            f"({unknown}) and a key not in the set under a known kid ({wrong_key}); "
            f"authlib {authlib.__version__} logged in at {metadata['token_endpoint']} and revoked a "
            f"refresh token at {metadata['revocation_endpoint']} (then refused: {revoked}); the "
            f"service client {service} got a token by client credentials and introspected a "
            f"user's at {metadata['introspection_endpoint']}; a "
            f"throttled login raised OAuthError({throttled})",
            file=sys.stderr,
        )
        print(token)
    elif stage == "rotated":
        old, new = sys.argv[4], login(metadata)
        for token in (old, new):
            verify(client, metadata, token, algorithm)
        print(f"PyJWT: after the rotation both keys verify (new kid {jwt.get_unverified_header(new)['kid']})", file=sys.stderr)
        print(new)
    elif stage == "retired":
        old, new = sys.argv[4], sys.argv[5]
        verify(client, metadata, new, algorithm)
        why = refused(client, metadata, old, algorithm)
        print(f"PyJWT: after retirement the new key verifies, the old is refused ({why})", file=sys.stderr)
    else:
        raise SystemExit(f"unknown stage {stage}")


main()
