# Sourced by the scripts that run Python clients and servers nobody here
# wrote (scripts/foreign-verifiers/requirements.txt: PyJWT, authlib,
# aiosmtpd): makes the venv, or makes it again when the list changed, and
# sets $venv. Needs python3 with venv.
venv=target/foreign-verifiers/venv
if ! cmp -s scripts/foreign-verifiers/requirements.txt "$venv/requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r scripts/foreign-verifiers/requirements.txt
    cp scripts/foreign-verifiers/requirements.txt "$venv/"
fi
