#!/usr/bin/env bash
# The JSON API against its own OpenAPI document: schemathesis (PyPI) fuzzes
# every operation of /api/v1/openapi.json on a live demo server with an
# admin's token and fails on any 5xx, any status or content type the
# document does not declare, and any response that violates its schema.
#
#   .ci/schemathesis.sh             start a demo server (dev build) and check it
#   .ci/schemathesis.sh BASE TOKEN  check a running server (BASE like
#                                   http://127.0.0.1:8080, TOKEN an admin's)
#
# GRIDSAFE_SCHEMATHESIS_SECONDS bounds the run (default 180). The venv is
# made in target/schemathesis-venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in curl:curl jq:jq python3:python3; do
    if ! command -v "${tool%%:*}" >/dev/null; then
        apt-get update -qq && apt-get install -y -qq "${tool##*:}"
    fi
done
venv=target/schemathesis-venv
if [[ ! -x "$venv/bin/st" ]]; then
    if ! python3 -m venv "$venv" 2>/dev/null; then
        apt-get update -qq && apt-get install -y -qq python3-venv
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet 'schemathesis==4.32.*'
fi

work=$(mktemp -d)
server=""
cleanup() {
    if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [[ $# -eq 0 ]]; then
    cargo build --quiet
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    base="http://127.0.0.1:$port"
    target/debug/gridsafe serve --demo --db "$work/demo.db" --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 600); do
        curl -fsS "$base/healthz" >/dev/null 2>&1 && break
        kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; echo "schemathesis.sh: the server did not start" >&2; exit 1; }
        sleep 0.5
    done
    token=$(curl -fsS -X POST "$base/api/v1/login" -H 'content-type: application/json' \
        -d '{"username":"admin","password":"gridsafe-demo"}' | jq -r .token)
elif [[ $# -eq 2 ]]; then
    base=${1%/}
    token=$2
else
    sed -n '2,13p' "$0" >&2
    exit 2
fi

# /logout is left out: it would end the very session the run uses.
status=0
"$venv/bin/st" run "$base/api/v1/openapi.json" --url "$base/api/v1" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path /logout \
    --max-time "${GRIDSAFE_SCHEMATHESIS_SECONDS:-180}" --workers 2 --seed 20261204 \
    --warnings off || status=$?
if [[ -n "$server" ]] && grep -q "panicked" "$work/server.log"; then
    grep -B2 -A10 "panicked" "$work/server.log" >&2
    status=1
fi
exit "$status"
