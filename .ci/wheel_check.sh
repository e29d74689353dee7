#!/usr/bin/env bash
# The built wheel, installed non-editable into a fresh virtualenv outside the checkout,
# migrates a throwaway database, loads a small demo, and serves /health, a page and a
# static file. Usage: .ci/wheel_check.sh POSTGRES_URL_OF_AN_ADMIN_DATABASE
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
admin_url="$1"
work="$(mktemp -d)"
db="touchpoint_wheel_$$"
db_url="${admin_url%/*}/$db"
port=$((20000 + $$ % 20000))
cleanup() {
    [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
    psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"$root/.venv/bin/python" -m build --wheel --outdir "$work/dist" "$root" >/dev/null
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet -c "$root/requirements.lock" "$work"/dist/*.whl
psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null

cd "$work"  # nothing of the checkout is importable from here
export TOUCHPOINT_DATABASE_URL="$db_url" TOUCHPOINT_API_KEY_SECRET="wheel-check-secret-0123456789abcdef"
export TOUCHPOINT_KEK_FILE="$work/keyring"  # made by the first migrate, outside the database
"$work/venv/bin/python" -c "import api, sys; assert 'site-packages' in api.__file__, api.__file__"
"$work/venv/bin/touchpoint" migrate
"$work/venv/bin/touchpoint" demo --no-serve --customers 200 --months 1
"$work/venv/bin/touchpoint" serve --port "$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:$port/health" > "$work/health.json" 2>/dev/null; then break; fi
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
    sleep 1
done
echo "health: $(cat "$work/health.json")"
# Into a file first: `curl | grep -q` fails under pipefail when grep stops reading early.
curl -fsS -o "$work/desktop.html" "http://127.0.0.1:$port/desktop"
grep -q "<html" "$work/desktop.html" || { echo "no /desktop page"; exit 1; }
for asset in common.js desktop/desktop.js dashboard/dashboard.js wallboard/wallboard.js vendor/chart.umd.min.js; do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/static/$asset" || { echo "no static file $asset"; exit 1; }
done
echo "wheel: migrated, loaded a demo, served /health, /desktop and the pages' static files"
