#!/usr/bin/env bash
# Contract test: schemathesis fuzzes a running `lexset serve` against its own /openapi.json with
# every check and every phase, and fails on any contract failure.
#
#   .ci/schemathesis.sh target/debug/lexset
#
# The server runs on a throwaway data directory; nothing under the repository is written.
set -euo pipefail

bin=$(realpath "${1:?usage: $0 path/to/lexset}")
version=4.32.5
examples=${SCHEMATHESIS_EXAMPLES:-100} # per operation; ~2 min on 2 cores today
seed=${SCHEMATHESIS_SEED:-42}          # fixed, so a failure reproduces run after run
venv=${SCHEMATHESIS_VENV:-${TMPDIR:-/tmp}/lexset-schemathesis-venv}

# A pinned schemathesis in a reused venv: new releases add checks, which must not break CI.
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $version" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$version"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lexset-schemathesis.XXXXXX")
server=
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Token 1 is the fuzzer's admin token. Token 2 exists only to be revoked: the fuzzer calls
# POST /v1/tokens/{id}/revoke, and with id 1 it would lock itself out for the rest of the run.
token=$("$bin" token create --data-dir "$work/data" --role admin --user schemathesis 2>"$work/cli.log") &&
  "$bin" token create --data-dir "$work/data" --role reader --user revoke-target >/dev/null 2>>"$work/cli.log" ||
  { cat "$work/cli.log" >&2; exit 1; }

# A port below the kernel's ephemeral range (32768+), where a client socket cannot hold it; a
# taken one is skipped. Readiness is our own server's "listening" line, not /health, which a
# foreign process on the port could answer.
port=
for candidate in $(seq 18080 18089); do
  "$bin" serve --data-dir "$work/data" --bind "127.0.0.1:$candidate" >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do
    if grep -q "listening on: 127.0.0.1:$candidate" "$work/server.log"; then
      port=$candidate
      break 2
    fi
    kill -0 "$server" 2>/dev/null || break
    sleep 0.5
  done
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=
  grep -q "Address already in use" "$work/server.log" || break
done
if [ -z "$port" ]; then
  echo "lexset serve did not start; its log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
base=http://127.0.0.1:$port

victim=$(curl -sf -H "Authorization: Bearer $token" "$base/v1/tokens" |
  "$venv/bin/python" -c 'import json, sys; print(next(t["id"] for t in json.load(sys.stdin)["items"] if t["name"] == "revoke-target"))')

# Check settings, not exclusions: every check runs.
# - no cache: it would replay earlier runs' requests (runs must repeat exactly) and write
#   .schemathesis/ into the working directory.
# - revoke always targets the sacrificial token (see above).
# - 428 is how this API answers a missing If-Match (RFC 6585), and 412 the only right answer to
#   a well-formed If-Match that names no current version, which is what random tags are.
# - 422 is how it refuses a well-formed value for what it means (a term that folds to nothing,
#   an edit leaving a question without its risk): rules no schema states, documented as such.
# The one exclusion: GET /v1/builds/events is a Server-Sent Events stream that stays open by
# design, so every request to it would end in the request timeout; tests/api/build_events.rs
# covers it.
cat >"$work/schemathesis.toml" <<EOF
[cache]
enabled = false

[checks.missing_required_header]
expected-statuses = ["400", "401", "403", "406", "415", "422", "428"]

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429", "5xx"]

[[operations]]
include-name = "POST /v1/tokens/{id}/revoke"
parameters = { "path.id" = $victim }

[[operations]]
include-name = "GET /v1/builds/events"
enabled = false
EOF

# --continue-on-failure: report every distinct failure, not only the first per operation.
# --generation-database none: no example database carried between runs, so runs repeat exactly.
status=0
"$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
  --checks all --phases examples,coverage,fuzzing,stateful \
  --max-examples "$examples" --seed "$seed" --generation-database none \
  --continue-on-failure --request-timeout 30 --no-color \
  -H "Authorization: Bearer $token" || status=$?

# The fuzzer must still hold its token at the end, or the later failures are only 401s.
if ! curl -sf -o /dev/null -H "Authorization: Bearer $token" "$base/v1/me"; then
  echo "the fuzzer's token stopped working during the run; its results are not meaningful" >&2
  status=1
fi
exit "$status"
