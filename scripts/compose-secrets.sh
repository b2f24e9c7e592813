#!/usr/bin/env bash
# Generate what compose.yaml needs and git must never hold: the api token, the key that
# encrypts account secrets at rest, and the database password (in .env, which compose
# reads for ${POSTGRES_PASSWORD}). Existing values are kept: a new secret key would make
# the stored account passwords unreadable.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
mkdir -p secrets
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
[[ -s secrets/api-token ]] || random > secrets/api-token
# Fernet keys are 32 url-safe base64 bytes.
[[ -s secrets/secret-key ]] || python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())' > secrets/secret-key
if ! grep -qs '^POSTGRES_PASSWORD=' .env; then
  echo "POSTGRES_PASSWORD=$(random)" >> .env
fi
echo "secrets ready: secrets/api-token, secrets/secret-key, POSTGRES_PASSWORD in .env"
