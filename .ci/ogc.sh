#!/usr/bin/env bash
# OGC API – Features as a GIS client reads it: GDAL's OAPIF driver lists the
# layers of /ogc (`ogrinfo -ro -al -so`), copies every layer into a
# GeoPackage (`ogr2ogr -f GPKG`, following the `next` links), and each
# copy's feature count must equal what the database holds (sqlite3) or, with
# no database at hand, what the JSON API lists for the same admin.
#
#   .ci/ogc.sh                      start a demo server (dev build) and check it
#   .ci/ogc.sh BASE TOKEN [DB]      check a running server: BASE like
#                                   http://127.0.0.1:8080, TOKEN an admin's
#                                   bearer token, DB its SQLite file (read only)
#
# Needs gdal-bin (installed with apt-get when missing), curl and jq; sqlite3
# for the database counts.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in ogrinfo:gdal-bin ogr2ogr:gdal-bin curl:curl jq:jq sqlite3:sqlite3; do
    if ! command -v "${tool%%:*}" >/dev/null; then
        apt-get update -qq && apt-get install -y -qq "${tool##*:}"
    fi
done

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
    db="$work/demo.db"
    target/debug/gridsafe serve --demo --db "$db" --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 600); do
        curl -fsS "$base/healthz" >/dev/null 2>&1 && break
        kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; echo "ogc.sh: the server did not start" >&2; exit 1; }
        sleep 0.5
    done
    token=$(curl -fsS -X POST "$base/api/v1/login" -H 'content-type: application/json' \
        -d '{"username":"admin","password":"gridsafe-demo"}' | jq -r .token)
elif [[ $# -ge 2 ]]; then
    base=${1%/}
    token=$2
    db=${3:-}
else
    sed -n '2,15p' "$0" >&2
    exit 2
fi

export GDAL_HTTP_HEADERS="Authorization: Bearer $token"
source="OAPIF:$base/ogc"
layers=(grids rivers reaches enterprises cases patrols)

# What an admin must see of each layer.
expected() {
    local layer=$1
    if [[ -n "$db" ]]; then
        sqlite3 -readonly "$db" "SELECT count(*) FROM $layer"
        return
    fi
    local auth=(-H "Authorization: Bearer $token")
    case $layer in
        grids) curl -fsS "$base/api/v1/grids" | jq '.features | length' ;;
        rivers) curl -fsS "$base/api/v1/rivers" | jq '.features | length' ;;
        reaches)
            local total=0 code
            for code in $(curl -fsS "$base/api/v1/rivers" | jq -r '.features[].id'); do
                total=$((total + $(curl -fsS "$base/api/v1/rivers/$code" | jq '.reaches.features | length')))
            done
            echo "$total"
            ;;
        enterprises | cases | patrols)
            # Keyset pages of the JSON API, as many as it takes.
            local key=items total=0 next="" page
            [[ $layer == enterprises ]] && key=enterprises
            [[ $layer == patrols ]] && key=patrols
            while :; do
                page=$(curl -fsS "${auth[@]}" "$base/api/v1/$layer?limit=500${next:+&after=$next}")
                total=$((total + $(jq ".$key | length" <<<"$page")))
                next=$(jq -r '.next // empty' <<<"$page")
                [[ -z "$next" ]] && break
            done
            echo "$total"
            ;;
    esac
}

echo "== ogrinfo -ro -al -so $source"
ogrinfo -ro -al -so "$source" | tee "$work/ogrinfo.txt"
for layer in "${layers[@]}"; do
    grep -q "^Layer name: $layer\$" "$work/ogrinfo.txt" || { echo "ogc.sh: GDAL lists no layer $layer" >&2; exit 1; }
done

# GDAL 3.6 pages 10 at a time; newer GDAL asks for 1,000 (the server clamps
# anything above its maximum of 10,000).
page=(-oo "PAGE_SIZE=${OGC_PAGE_SIZE:-1000}")
failed=0
for layer in "${layers[@]}"; do
    out="$work/$layer.gpkg"
    started=$(date +%s%N)
    ogr2ogr -f GPKG "${page[@]}" "$out" "$source" "$layer"
    ms=$((($(date +%s%N) - started) / 1000000))
    got=$(ogrinfo -ro -so "$out" "$layer" | sed -n 's/^Feature Count: //p')
    want=$(expected "$layer")
    if [[ "$got" == "$want" ]]; then
        printf 'ok   %-12s %8s features (%d ms)\n' "$layer" "$got" "$ms"
    else
        printf 'FAIL %-12s GeoPackage %s, expected %s\n' "$layer" "${got:-none}" "$want"
        failed=1
    fi
done
# A spatial filter goes to the server as bbox (the west half of the cases).
if [[ -n "$db" ]]; then
    read -r west south middle north < <(sqlite3 -readonly -separator ' ' "$db" \
        "SELECT min(lon), min(lat), (min(lon) + max(lon)) / 2, max(lat) FROM cases")
    if [[ -n "$west" ]]; then
        ogr2ogr -f GPKG "${page[@]}" -spat "$west" "$south" "$middle" "$north" "$work/west.gpkg" "$source" cases
        got=$(ogrinfo -ro -so "$work/west.gpkg" cases | sed -n 's/^Feature Count: //p')
        want=$(sqlite3 -readonly "$db" \
            "SELECT count(*) FROM cases WHERE lon BETWEEN $west AND $middle AND lat BETWEEN $south AND $north")
        if [[ "$got" == "$want" ]]; then
            printf 'ok   %-12s %8s features in the west half (bbox)\n' cases "$got"
        else
            printf 'FAIL %-12s bbox: GeoPackage %s, expected %s\n' cases "${got:-none}" "$want"
            failed=1
        fi
    fi
fi
exit "$failed"
