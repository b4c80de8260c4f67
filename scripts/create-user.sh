#!/usr/bin/env bash
# Create (or update) a Cognito user on the local stack and print a ready curl command with its ID token.
# Usage: scripts/create-user.sh [--email E] [--password P] [--merchant-id M] [--admin]
# Pool/client/endpoint: SMARTPAY_USER_POOL_ID, SMARTPAY_USER_POOL_CLIENT_ID, AWS_ENDPOINT_URL, else .local/stack.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${SMARTPAY_VENV:-$root/.venv}"
smartpay="$venv/bin/smartpay"
[ -x "$smartpay" ] || { echo "no $smartpay: run 'make install' first" >&2; exit 1; }

email="dev@example.com"
password="${SMARTPAY_USER_PASSWORD:-Local-dev-Passw0rd!}"  # local emulator only
merchant="m_dev"
admin=()
while [ $# -gt 0 ]; do
  case "$1" in
    --email) email="$2"; shift 2 ;;
    --password) password="$2"; shift 2 ;;
    --merchant-id) merchant="$2"; shift 2 ;;
    --admin) admin=(--admin); shift ;;
    -h|--help) sed -n 2,4p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

stack_value() {  # a key of .local/stack.json, empty if the file or key is missing
  "$venv/bin/python" - "$root/.local/stack.json" "$1" <<'EOF'
import json, pathlib, sys
path = pathlib.Path(sys.argv[1])
print(json.loads(path.read_text()).get(sys.argv[2], "") if path.is_file() else "")
EOF
}

endpoint="${AWS_ENDPOINT_URL:-$(stack_value aws_endpoint_url)}"
case "$endpoint" in
  http://127.0.0.1*|http://localhost*)  # the emulator accepts any credentials; never invent real ones
    export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}" ;;
esac
export AWS_REGION="${AWS_REGION:-us-east-1}"
export SMARTPAY_USER_PASSWORD="$password"  # handed to the CLI by environment, not on its command line

"$smartpay" auth create-user --email "$email" --merchant-id "$merchant" "${admin[@]}" >&2
token="$("$smartpay" auth token --email "$email")"
gateway="${SMARTPAY_GATEWAY_URL:-$(stack_value gateway_url)}"
gateway="${gateway:-http://127.0.0.1:8080}"

cat <<EOF
# ID token for $email (merchant $merchant), valid for about an hour:
export TOKEN='$token'
curl -sS -X POST '$gateway/fraud' -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
  -d '{"amount": 1999, "currency": "EUR", "payment_method": {"type": "card", "token": "pm_card_visa"}, "customer_id": "cus_1", "country": "DE"}'
EOF
