#!/usr/bin/env bash
# Load benchmark (issue 17): wrk against a release `lexset serve` on 127.0.0.1, SQLite in a
# fresh temporary data directory. Four cases, each at 32 and 64 connections, once idle and
# once while a 100 000-row import is running:
#   keywords   GET /v1/keywords?limit=50
#   search     GET /v1/search?q=<a seeded term>       (200 terms in turn)
#   match      POST /v1/builds/1/match                (5 texts of ~100 characters in turn)
#   artifact   GET /v1/builds/1/artifact with If-None-Match: <its ETag>  (304)
# plus, idle only, GET /health at 64 connections as a reference (no token, no database).
# Every request carries an admin bearer token. See docs/benchmarks.md ("Load").
#
# Environment: LOAD_DURATION (seconds per case, default 10), LOAD_CONNECTIONS (default
# "32 64"), LOAD_ROWS (rows per import, default 100000), LEXSET_BIN (a built binary; default:
# cargo build --release -p lexset into $CARGO_TARGET_DIR or ./target), LOAD_KEEP=1 (keep the
# temporary directory and its server logs), RUST_LOG (the server's, default info: with the
# access log, as the service runs by default).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
duration=${LOAD_DURATION:-10}
read -r -a connections <<<"${LOAD_CONNECTIONS:-32 64}"
rows=${LOAD_ROWS:-100000}
risk=A.1.a
cases=(keywords search match artifact)

log() { printf '[load %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

for tool in curl jq python3; do
    command -v "$tool" >/dev/null || die "$tool is needed"
done
if ! command -v wrk >/dev/null; then
    [[ $(id -u) == 0 ]] || die "wrk is needed: apt-get install -y wrk"
    log "installing wrk (Debian package)"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

if [[ -n ${LEXSET_BIN:-} ]]; then
    bin=$LEXSET_BIN
else
    log "cargo build --release -p lexset"
    (cd "$repo" && cargo build --release -q -p lexset)
    bin=${CARGO_TARGET_DIR:-$repo/target}/release/lexset
fi
[[ -x $bin ]] || die "no binary at $bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/lexset-load.XXXXXX")
server_pid=
poller_pid=
cleanup() {
    local status=$?
    if [[ -n $poller_pid ]]; then kill "$poller_pid" 2>/dev/null || true; fi
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ ${LOAD_KEEP:-0} == 1 || $status != 0 ]]; then
        log "kept $work (server logs: $work/server-*.log)"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

data=$work/data
snapshot=$work/snapshot
starts=0

# Starts `lexset serve` on data dir $data, on a free port; sets server_pid and base.
start_server() {
    starts=$((starts + 1))
    local server_log=$work/server-$starts.log
    : >"$server_log"
    LEXSET_DATA_DIR=$data LEXSET_BIND=127.0.0.1:0 LEXSET_FOUR_EYES=false \
        RUST_LOG=${RUST_LOG:-info} NO_COLOR=1 "$bin" serve 2>"$server_log" &
    server_pid=$!
    local port='' i
    for ((i = 0; i < 1200; i++)); do
        kill -0 "$server_pid" 2>/dev/null || die "the server stopped: see $server_log"
        port=$(sed 's/\x1b\[[0-9;]*m//g' "$server_log" |
            sed -n 's/.*lexset is listening.*port=\([0-9][0-9]*\).*/\1/p' | head -n 1)
        [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] || die "the server did not listen within 120 s: see $server_log"
    base=http://127.0.0.1:$port
}

stop_server() {
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

api() { curl -sS --fail-with-body -H "Authorization: Bearer $token" "$@"; }

# Starts an import of the terms in file $1 (approved, risk $risk); prints the task id.
start_import() {
    api -F "file=@$1;filename=terms.txt" "$base/v1/imports?risk=$risk&status=approved" | jq -r .id
}

# One line: status stage done total.
task_state() {
    api "$base/v1/tasks/$1" | jq -r '"\(.status) \(.stage) \(.done) \(.total)"'
}

# Waits for task $1 to finish; fails unless it succeeded. Prints the task's JSON.
wait_task() {
    local task state
    for ((;;)); do
        task=$(api "$base/v1/tasks/$1")
        state=$(jq -r .status <<<"$task")
        case $state in
        succeeded) printf '%s\n' "$task"; return 0 ;;
        failed) die "task $1 failed: $(jq -r .error <<<"$task")" ;;
        esac
        sleep 0.2
    done
}

# Waits for import task $1 and checks that it accepted every row.
wait_import() {
    local accepted
    accepted=$(wait_task "$1" | jq -r .result.accepted)
    [[ $accepted == "$rows" ]] || die "import task $1 accepted $accepted of $rows rows"
}

# Waits until a search for term $1 finds it (the index has replayed the import).
wait_indexed() {
    local q i
    q=$(jq -rn --arg t "$1" '$t|@uri')
    for ((i = 0; i < 3000; i++)); do
        [[ $(api "$base/v1/search?q=$q&limit=1" | jq -r .total) != 0 ]] && return 0
        sleep 0.2
    done
    die "search did not find $1 within 600 s"
}

# --- inputs --------------------------------------------------------------------------------
log "work directory $work"
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
python3 "$here/terms.py" 0 "$rows" >"$work/seed.txt"
python3 "$here/terms.py" "$rows" "$rows" >"$work/fresh.txt"
seed_last=$(tail -n 1 "$work/seed.txt")
fresh_last=$(tail -n 1 "$work/fresh.txt")
python3 - "$work" <<'EOF'
import json, sys, urllib.parse
work = sys.argv[1]
terms = open(f"{work}/seed.txt", encoding="utf-8").read().split()
step = len(terms) // 200
with open(f"{work}/search.paths", "w") as out:
    for term in terms[::step][:200]:
        out.write("/v1/search?q=" + urllib.parse.quote(term) + "\n")
filler = "今天我们讨论一下这个问题的背景和影响，大家可以自由发表意见，但是请注意文明用语。"
with open(f"{work}/match.bodies", "w", encoding="utf-8") as out:
    for k in range(5):
        picked = [terms[(k * 7919 + j * 104729) % len(terms)] for j in range(3)]
        text = filler[:20] + picked[0] + filler[20:] + picked[1] + filler + picked[2] + "。"
        out.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
EOF
printf '/v1/keywords?limit=50\n' >"$work/keywords.paths"

# --- seed: token, 100 000 approved keywords, a build --------------------------------------
mkdir -p "$data"
token=$(LEXSET_DATA_DIR=$data RUST_LOG=warn "$bin" token create --role admin --user load-bench)
start_server
log "server on $base; importing $rows seed keywords"
t0=$(now)
task=$(start_import "$work/seed.txt")
wait_import "$task"
seed_seconds=$(elapsed "$t0" "$(now)")
log "seed import: $seed_seconds s"
build=$(api -X POST "$base/v1/builds")
build_number=$(jq -r .build.number <<<"$build")
wait_task "$(jq -r .task.id <<<"$build")" >/dev/null
etag=$(api -o /dev/null -D - "$base/v1/builds/$build_number/artifact" |
    tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p')
[[ -n $etag ]] || die "the artefact has no ETag"
code=$(api -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
    "$base/v1/builds/$build_number/artifact")
[[ $code == 304 ]] || die "If-None-Match answered $code, not 304"
printf '/v1/builds/%s/artifact\n' "$build_number" >"$work/artifact.paths"
printf '/v1/builds/%s/match\n' "$build_number" >"$work/match.paths"
t0=$(now)
wait_indexed "$seed_last"
log "build $build_number published (ETag $etag); search index caught up $(elapsed "$t0" "$(now)") s after"
stop_server
cp -a "$data" "$snapshot"

# Back to the seeded state, server started and ready.
restore() {
    rm -rf "$data"
    cp -a "$snapshot" "$data"
    start_server
}

# Runs wrk: case $1 at $2 connections for $3 seconds; prints wrk's RESULT line.
run_wrk() {
    local name=$1 conns=$2 seconds=$3 method=GET bodies='' if_none_match=''
    case $name in
    match) method=POST bodies=$work/match.bodies ;;
    artifact) if_none_match=$etag ;;
    esac
    LOAD_METHOD=$method LOAD_PATHS=$work/$name.paths LOAD_BODIES=$bodies LOAD_TOKEN=$token \
        LOAD_IF_NONE_MATCH=$if_none_match \
        wrk -t2 -c"$conns" -d"${seconds}s" --timeout 10s -s "$here/case.lua" "$base" \
        >"$work/wrk.out" 2>&1 || die "wrk failed: $(cat "$work/wrk.out")"
    grep '^RESULT ' "$work/wrk.out" || die "wrk printed no result: $(cat "$work/wrk.out")"
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

results=$work/results.tsv
# Records a measurement: case conns phase RESULT-line [import columns].
record() {
    local line=$4
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" \
        "$(field rps "$line")" "$(field p50_ms "$line")" "$(field p99_ms "$line")" \
        "$(field max_ms "$line")" "$(field status_errors "$line")" \
        "$(field socket_errors "$line")" "$(field bytes_per_request "$line")" "${5:--}" >>"$results"
}

# One request of each case, then two seconds of each at $1 connections. The single match
# comes first: the first match after a start loads the build into the server's cache, and
# many of them at once each load it (see docs/benchmarks.md).
warm_up() {
    local name
    api -o /dev/null -H 'Content-Type: application/json' -d "$(head -n 1 "$work/match.bodies")" \
        "$base/v1/builds/$build_number/match"
    for name in "${cases[@]}"; do run_wrk "$name" "$1" 2 >/dev/null; done
}

# --- idle ----------------------------------------------------------------------------------
restore
log "idle cases on $base"
warm_up 32
for conns in "${connections[@]}"; do
    for name in "${cases[@]}"; do
        line=$(run_wrk "$name" "$conns" "$duration")
        record "$name" "$conns" idle "$line"
    done
done

# A reference without a token or the database: the HTTP stack and wrk on this machine.
printf '/health\n' >"$work/health.paths"
line=$(run_wrk health 64 "$duration")
record health 64 idle "$line"
stop_server

# --- an import alone, for comparison -------------------------------------------------------
restore
t0=$(now)
task=$(start_import "$work/fresh.txt")
wait_import "$task"
quiet_import_seconds=$(elapsed "$t0" "$(now)")
log "import of $rows rows onto the seeded store, nothing else running: $quiet_import_seconds s"
t0=$(now)
wait_indexed "$fresh_last"
quiet_index_seconds=$(elapsed "$t0" "$(now)")
stop_server

# --- during an import ----------------------------------------------------------------------
# Polls task $1 every 0.25 s into $2 (time status stage done total) until it is finished.
poll_task() {
    local state
    for ((;;)); do
        state=$(task_state "$1") || state="error - - -"
        printf '%s %s\n' "$(now)" "$state" >>"$2"
        case $state in succeeded* | failed* | error*) return 0 ;; esac
        sleep 0.25
    done
}

for conns in "${connections[@]}"; do
    for name in "${cases[@]}"; do
        restore
        warm_up "$conns"
        polls=$work/polls-$name-$conns.txt
        : >"$polls"
        t_import=$(now)
        task=$(start_import "$work/fresh.txt")
        poll_task "$task" "$polls" &
        poller_pid=$!
        # measure while the rows are written (the write lock held), not while they are checked
        for ((;;)); do
            before=$(task_state "$task")
            case $before in *" write "*) break ;; succeeded* | failed*) die "import ended before its write stage" ;; esac
            sleep 0.1
        done
        check_seconds=$(elapsed "$t_import" "$(now)")
        t_start=$(now)
        line=$(run_wrk "$name" "$conns" "$duration")
        t_end=$(now)
        after=$(task_state "$task")
        wait "$poller_pid"
        poller_pid=
        wait_import "$task"
        # the first poll that saw the task finished
        t_done=$(awk '$2 != "enqueued" && $2 != "processing" { print $1; exit }' "$polls")
        covered=$(awk -v s="$t_start" -v e="$t_end" -v d="$t_done" \
            'BEGIN { f = ((d < e ? d : e) - s) / (e - s); if (f < 0) f = 0; printf "%.0f", 100 * f }')
        import_seconds=$(elapsed "$t_import" "$t_done")
        read -r _ b_stage b_done b_total <<<"$before"
        read -r a_status a_stage a_done a_total <<<"$after"
        note="$b_stage $b_done/$b_total -> $a_stage $a_done/$a_total ($a_status); running ${covered}% of the run; import ${import_seconds} s (write stage from ${check_seconds} s)"
        log "$name $conns during import: $note"
        record "$name" "$conns" import "$line" "$note"
        stop_server
    done
done

# --- report --------------------------------------------------------------------------------
printf '\nlexset load benchmark, %s, %s, %s cores, %s s per case, wrk -t2, %s rows per import\n' \
    "$(date +%F)" "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')" "$(nproc)" \
    "$duration" "$rows"
printf 'load average (1, 5, 15 min) at the start: %s, at the end: %s (other work on the machine shows here)\n' \
    "$load_at_start" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'seed import onto an empty store: %s s; import onto the seeded store alone: %s s (searchable %s s later)\n\n' \
    "$seed_seconds" "$quiet_import_seconds" "$quiet_index_seconds"
{
    printf 'case\tconns\tphase\treq/s\tp50 ms\tp99 ms\tmax ms\tnon-2xx/3xx\tsocket errors\tbytes/req\timport (state at start -> end of the run)\n'
    cat "$results"
} | column -t -s $'\t'
printf '\ntargets: reads (keywords, search, artifact) p99 < 50 ms during the import; match >= 5000 req/s\n'
awk -F'\t' '
    $1 != "match" && $3 == "import" { verdict = ($6 < 50) ? "met" : "MISSED"; printf "  %-9s %3s conns  import  p99 %8.2f ms  %s\n", $1, $2, $6, verdict }
    $1 == "match" { verdict = ($4 >= 5000) ? "met" : "MISSED"; printf "  %-9s %3s conns  %-6s  %6.0f req/s  %s\n", $1, $2, $3, $4, verdict }
' "$results"
