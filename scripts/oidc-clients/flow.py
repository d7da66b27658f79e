"""The code flow with PKCE and a nonce through authlib, a client library
nobody here wrote, as a confidential client (client_secret_basic): discovery,
the authorization URL, the sign-in page (driven over HTTP as a browser
would: its form's fields, its cookies), RFC 9207 `iss`, the code exchange,
the ID token checked against the JWK Set, and userinfo.

    python flow.py ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI USERNAME PASSWORD ALG

ALG is the ID token algorithm the client is registered for (ES256, RS256).
"""

import html
import re
import sys
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.common.security import generate_token

issuer, client_id, client_secret, redirect_uri, username, password, alg = sys.argv[1:8]


def cookies_of(response, jar):
    """Set-Cookie headers into `jar` (requests would not send back the
    Secure cookies over http, which browsers do for loopback hosts)."""
    for header in response.raw.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        if value:
            jar[name] = value
        else:
            jar.pop(name, None)


def sign_in(url):
    """What a browser does with the authorization URL: the callback URL."""
    jar = {}
    page = requests.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200, (page.status_code, page.text[:300])
    cookies_of(page, jar)
    fields = {html.unescape(name): html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)}
    assert 'name="username"' in page.text and 'name="password"' in page.text
    fields.update(username=username, password=password)
    action = urljoin(url, "authorize")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(issuer))
    answer = requests.post(action, data=fields, allow_redirects=False, timeout=10,
                           headers={"Origin": origin,
                                    "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    assert answer.status_code == 303, (answer.status_code, answer.text[:300])
    return answer.headers["Location"]


metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
assert metadata["issuer"] == issuer, metadata["issuer"]
session = OAuth2Session(client_id, client_secret, redirect_uri=redirect_uri,
                        scope="openid profile items:read", code_challenge_method="S256",
                        token_endpoint_auth_method="client_secret_basic")
verifier = generate_token(64)
nonce = generate_token(20)
url, state = session.create_authorization_url(metadata["authorization_endpoint"],
                                              code_verifier=verifier, nonce=nonce)
callback = sign_in(url)
query = parse_qs(urlsplit(callback).query)
assert query["iss"] == [issuer], query  # RFC 9207
assert query["state"] == [state], query
token = session.fetch_token(metadata["token_endpoint"], authorization_response=callback,
                            code_verifier=verifier)
keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
claims = jwt.decode(token["id_token"], keys, claims_options={
    "iss": {"essential": True, "value": issuer},
    "aud": {"essential": True, "value": client_id},
    "nonce": {"essential": True, "value": nonce},
    "sub": {"essential": True},
})
claims.validate()
assert claims.header["alg"] == alg, claims.header
info = session.get(metadata["userinfo_endpoint"], timeout=10).json()
assert info["sub"] == claims["sub"] and info["preferred_username"] == username, info
print(f"authlib: signed in {info['preferred_username']} (sub {claims['sub']}), "
      f"ID token {claims.header['alg']}, scope {token['scope']}")
