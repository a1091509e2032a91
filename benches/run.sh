#!/usr/bin/env bash
# Benchmarks one credential update by seam-edge against curl, Seam's official Python and
# JavaScript clients and a bare ureq program, all against one loopback fake of Seam's API.
#
# Usage: benches/run.sh
#
# Measures, in this order: process start to exit for one update (hyperfine), the start of
# the Python and Node runtimes with and without the client, peak resident memory
# (/usr/bin/time), on-disk footprint, CPU time per update inside a long-running
# process whose connection is reused, and CPU time per update of a whole `seam-edge
# --batch` process against the Python client updating in a loop. Writes raw data and
# results.md to BENCH_OUT and prints results.md at the end. Takes about 5 minutes on 2
# cores, builds included.
#
# Every client is pointed at the fake on 127.0.0.1 by an explicit argument, proxy variables
# are unset, and the fake's request log is checked after each phase.
#
# Environment:
#   BENCH_OUT         results folder [default: /tmp/seam-edge-bench]
#   BENCH_TARGET_DIR  cargo target folder for every build [default: /tmp/bench-target]
#   BENCH_VENV        Python virtual environment [default: /tmp/bench-venv]
#   BENCH_RUNS        hyperfine runs per command, after 3 warm-up runs [default: 40]
#   BENCH_MEMORY_RUNS runs per client for peak memory [default: 7]
#   BENCH_LOOP_COUNT  updates per long-running process [default: 200]
#   BENCH_LOOP_RUNS   long-running processes per client [default: 5]
#   BENCH_BATCH_COUNT updates per batch process [default: 1000]
#   BENCH_BATCH_RUNS  batch processes per client [default: 5]
#   BENCH_MAX_LOAD    1-minute load average to wait for before measuring [default: 1.0]
#   BENCH_LOAD_WAIT   seconds to wait for it before measuring anyway [default: 180]
set -euo pipefail

BENCHES=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCHES")
OUT=${BENCH_OUT:-/tmp/seam-edge-bench}
TARGET=${BENCH_TARGET_DIR:-/tmp/bench-target}
VENV=${BENCH_VENV:-/tmp/bench-venv}
RUNS=${BENCH_RUNS:-40}
MEMORY_RUNS=${BENCH_MEMORY_RUNS:-7}
LOOP_COUNT=${BENCH_LOOP_COUNT:-200}
LOOP_RUNS=${BENCH_LOOP_RUNS:-5}
BATCH_COUNT=${BENCH_BATCH_COUNT:-1000}
BATCH_RUNS=${BENCH_BATCH_RUNS:-5}
MAX_LOAD=${BENCH_MAX_LOAD:-1.0}
LOAD_WAIT=${BENCH_LOAD_WAIT:-180}
WARMUP=3

CREDENTIAL_ID=66666666-6666-6666-6666-666666666666
CA_FILE=$OUT/fake-ca.pem

# No client may reach anything but the fake, so no proxy variable survives.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset SEAM_ENDPOINT SEAM_API_URL SEAM_PERSONAL_ACCESS_TOKEN SEAM_WORKSPACE_ID

step() { printf '\n==> %s\n' "$*" >&2; }
fail() {
  printf 'run.sh: %s\n' "$*" >&2
  exit 1
}

# Installs hyperfine and GNU time from Debian when they are missing.
install_tools() {
  local missing=()
  command -v hyperfine >/dev/null || missing+=(hyperfine)
  [ -x /usr/bin/time ] || missing+=(time)
  [ ${#missing[@]} -eq 0 ] && return
  step "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# Installs the pinned Python and JavaScript clients.
install_clients() {
  step "Python client into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$BENCHES/py/requirements.txt"

  step "JavaScript client into benches/js/node_modules"
  (cd "$BENCHES/js" && npm ci --no-audit --no-fund --loglevel=error)
}

build() {
  export CARGO_TARGET_DIR=$TARGET
  step "cargo build --release (seam-edge)"
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin seam-edge
  step "cargo build --release (bare-ureq)"
  cargo build --release --quiet --manifest-path "$BENCHES/bare-ureq/Cargo.toml"
  step "cargo build --release (loop programs, then the logged fake)"
  # Two builds, so the loop programs link seam-edge without its fake-server feature.
  local harness=$BENCHES/harness/Cargo.toml
  cargo build --release --quiet --manifest-path "$harness" \
    --bin library-loop --bin ureq-loop --bin ureq-loop-timeouts
  cargo build --release --quiet --manifest-path "$harness" --features fake --bin fake-logged
  unset CARGO_TARGET_DIR
}

# Waits until the 1-minute load average drops below MAX_LOAD, for at most LOAD_WAIT seconds.
wait_for_quiet_machine() {
  local waited=0 load
  while :; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    if awk -v load="$load" -v max="$MAX_LOAD" 'BEGIN { exit !(load < max) }'; then
      break
    fi
    if [ "$waited" -ge "$LOAD_WAIT" ]; then
      step "load average still $load after ${waited}s; measuring anyway"
      break
    fi
    step "load average $load, waiting for it to drop below $MAX_LOAD"
    sleep 10
    waited=$((waited + 10))
  done
  echo "load_before: $(cat /proc/loadavg)" >>"$OUT/machine.txt"
}

# Prints the commit of the seam-edge source under test, marked when the tree has changes.
# A copy without .git, such as one made by git archive, reports BENCH_SOURCE_LABEL.
source_revision() {
  if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$ROOT" describe --always --dirty --exclude='*'
  else
    echo "${BENCH_SOURCE_LABEL:-unknown}"
  fi
}

record_machine() {
  local seam_edge=$1
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc)"
    echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "memory: $(free -h | awk '/^Mem:/ { print $2 }')"
    echo "kernel: $(uname -sr)"
    echo "os: $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')"
    echo "source: $(source_revision)"
    echo "rustc: $(rustc --version)"
    echo "seam-edge: $("$seam_edge" --version | head -1)"
    echo "ureq: $(awk '/^name = "ureq"/ { getline; print $3 }' "$BENCHES/bare-ureq/Cargo.lock" | tr -d '"')"
    echo "curl: $(curl --version | head -1)"
    echo "python: $("$VENV/bin/python" --version)"
    echo "python seam: $("$VENV/bin/pip" show seam | sed -n 's/^Version: //p')"
    echo "python httpx: $("$VENV/bin/pip" show httpx | sed -n 's/^Version: //p')"
    echo "node: $(node --version)"
    echo "js @seamapi/http: $(node -p "require('$BENCHES/js/node_modules/@seamapi/http/package.json').version")"
    echo "js axios: $(node -p "require('$BENCHES/js/node_modules/axios/package.json').version")"
    echo "hyperfine: $(hyperfine --version)"
  } >"$OUT/machine.txt"
}

# Starts the logged fake with standard input on a FIFO held open by descriptor 3.
start_fake() {
  rm -f "$OUT/fake.in"
  mkfifo "$OUT/fake.in"
  "$TARGET/release/fake-logged" "$CA_FILE" <"$OUT/fake.in" >"$OUT/fake-log.txt" &
  FAKE_PID=$!
  exec 3>"$OUT/fake.in"
  trap stop_fake EXIT

  local tries=0
  until grep -q '^endpoint: ' "$OUT/fake-log.txt"; do
    tries=$((tries + 1))
    [ $tries -le 50 ] || fail "the fake printed no endpoint within 5 s"
    sleep 0.1
  done
  ENDPOINT=$(sed -n 's/^endpoint: //p' "$OUT/fake-log.txt")
  SEAM_API_KEY=$(sed -n 's/^API key: //p' "$OUT/fake-log.txt")
  case $ENDPOINT in
    https://127.0.0.1:*) ;;
    *) fail "the fake's endpoint $ENDPOINT is not on 127.0.0.1" ;;
  esac
  export SEAM_API_KEY
  # Node reads this at start, and only the JavaScript client uses it.
  export NODE_EXTRA_CA_CERTS=$CA_FILE
}

stop_fake() {
  exec 3>&- 2>/dev/null || true
  if [ -n "${FAKE_PID:-}" ]; then
    wait "$FAKE_PID" 2>/dev/null || true
  fi
}

# Ends a phase: the fake reports the requests it logged since the previous phase, and
# their count must equal the number expected.
check_phase() {
  local phase=$1 expected=$2 tries=0 total
  echo "$phase" >&3
  until grep -q "^end $phase\$" "$OUT/fake-log.txt"; do
    tries=$((tries + 1))
    [ $tries -le 50 ] || fail "the fake did not report phase $phase"
    sleep 0.1
  done
  total=$(sed -n "/^phase $phase\$/,/^end $phase\$/ s/^total=//p" "$OUT/fake-log.txt")
  [ "$total" -eq "$expected" ] ||
    fail "phase $phase: the fake logged $total requests, expected $expected"
  sed -n "/^phase $phase\$/,/^end $phase\$/p" "$OUT/fake-log.txt" >&2
}

define_clients() {
  local body="{\"acs_credential_id\":\"$CREDENTIAL_ID\",\"code\":\"1234\"}"
  CLIENT_NAMES=("seam-edge" "bare ureq" "curl" "Python seam" "JS @seamapi/http")
  CLIENT_COMMANDS=(
    "$TARGET/release/seam-edge acs credentials update --endpoint $ENDPOINT --ca-file $CA_FILE --acs-credential-id $CREDENTIAL_ID --code 1234"
    "$TARGET/release/bare-ureq $ENDPOINT $CA_FILE $CREDENTIAL_ID 1234"
    "curl -q -fsS -o /dev/null -X PATCH --cacert $CA_FILE -H 'authorization: Bearer $SEAM_API_KEY' -H 'content-type: application/json' --data '$body' $ENDPOINT/acs/credentials/update"
    "$VENV/bin/python $BENCHES/py/update.py $ENDPOINT $CA_FILE $CREDENTIAL_ID"
    "node $BENCHES/js/update.mjs $ENDPOINT $CREDENTIAL_ID"
  )
}

# Runs every client once, so a broken one fails before the measurements.
check_clients() {
  step "one update by each client"
  local command
  for command in "${CLIENT_COMMANDS[@]}"; do
    eval "$command"
  done
  check_phase check ${#CLIENT_COMMANDS[@]}
}

measure_startup() {
  step "process start to exit: hyperfine, $WARMUP warm-up runs and $RUNS runs each"
  local args=() i
  for i in "${!CLIENT_NAMES[@]}"; do
    args+=(--command-name "${CLIENT_NAMES[$i]}" "${CLIENT_COMMANDS[$i]}")
  done
  hyperfine --shell=none --warmup "$WARMUP" --runs "$RUNS" --style basic \
    --export-json "$OUT/hyperfine.json" "${args[@]}" >&2
  check_phase startup $(((WARMUP + RUNS) * ${#CLIENT_COMMANDS[@]}))
}

# Times the interpreters alone and with the client imported, which sends no request.
measure_imports() {
  step "interpreter start and client import: hyperfine, $WARMUP warm-up runs and 10 runs each"
  local js_client=$BENCHES/js/node_modules/@seamapi/http/index.js
  hyperfine --shell=none --warmup "$WARMUP" --runs 10 --style basic \
    --export-json "$OUT/imports.json" \
    --command-name "python -c pass" "$VENV/bin/python -c pass" \
    --command-name "python: from seam import Seam" "$VENV/bin/python -c 'from seam import Seam'" \
    --command-name "node -e 0" "node -e 0" \
    --command-name "node: import @seamapi/http" \
    "node --input-type=module -e \"import '$js_client'\"" >&2
}

measure_memory() {
  step "peak resident memory: /usr/bin/time, $MEMORY_RUNS runs each"
  local i run
  printf 'client\trun\tmax_rss_kib\n' >"$OUT/memory.tsv"
  for i in "${!CLIENT_NAMES[@]}"; do
    for run in $(seq "$MEMORY_RUNS"); do
      eval "/usr/bin/time -f '%M' -o '$OUT/time.out' ${CLIENT_COMMANDS[$i]}"
      printf '%s\t%s\t%s\n' "${CLIENT_NAMES[$i]}" "$run" "$(tail -1 "$OUT/time.out")"
    done
  done >>"$OUT/memory.tsv"
  check_phase memory $((MEMORY_RUNS * ${#CLIENT_COMMANDS[@]}))
}

# Prints the summed size in bytes of the shared libraries that ldd lists for a binary.
shared_library_bytes() {
  ldd "$1" | awk '/=> \// { print $3 } /^\t\// { print $1 }' |
    xargs -r readlink -f | sort -u | xargs -r stat -L -c %s |
    awk '{ sum += $1 } END { print sum + 0 }'
}

measure_footprint() {
  step "on-disk footprint"
  local python_bin site stdlib curl_bin node_bin
  python_bin=$(readlink -f "$VENV/bin/python")
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  stdlib=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  curl_bin=$(readlink -f "$(command -v curl)")
  node_bin=$(readlink -f "$(command -v node)")
  {
    printf 'client\tpart\tbytes\n'
    printf 'seam-edge\tbinary\t%s\n' "$(stat -c %s "$TARGET/release/seam-edge")"
    printf 'seam-edge\tshared libraries\t%s\n' "$(shared_library_bytes "$TARGET/release/seam-edge")"
    printf 'bare ureq\tbinary\t%s\n' "$(stat -c %s "$TARGET/release/bare-ureq")"
    printf 'bare ureq\tshared libraries\t%s\n' "$(shared_library_bytes "$TARGET/release/bare-ureq")"
    printf 'curl\tbinary\t%s\n' "$(stat -c %s "$curl_bin")"
    printf 'curl\tshared libraries\t%s\n' "$(shared_library_bytes "$curl_bin")"
    # The client and its dependencies, without the venv's own pip and setuptools.
    printf 'Python seam\tpackages\t%s\n' "$(du -sb --exclude='pip*' --exclude='setuptools*' \
      --exclude='_distutils_hack' --exclude='distutils-precedence.pth' "$site" | cut -f1)"
    printf 'Python seam\tinterpreter\t%s\n' "$(stat -c %s "$python_bin")"
    printf 'Python seam\tshared libraries\t%s\n' "$(shared_library_bytes "$python_bin")"
    printf 'Python seam\tstandard library\t%s\n' "$(du -sb --exclude=site-packages "$stdlib" | cut -f1)"
    printf 'JS @seamapi/http\tpackages\t%s\n' "$(du -sb "$BENCHES/js/node_modules" | cut -f1)"
    printf 'JS @seamapi/http\tinterpreter\t%s\n' "$(stat -c %s "$node_bin")"
    printf 'JS @seamapi/http\tshared libraries\t%s\n' "$(shared_library_bytes "$node_bin")"
  } >"$OUT/footprint.tsv"
}

measure_loops() {
  step "long-running process: $LOOP_COUNT updates after the first, $LOOP_RUNS processes each"
  local names=("seam-edge library" "bare ureq" "bare ureq, timeouts set" "Python seam"
    "JS @seamapi/http")
  local commands=(
    "$TARGET/release/library-loop $ENDPOINT $CA_FILE $CREDENTIAL_ID $LOOP_COUNT"
    "$TARGET/release/ureq-loop $ENDPOINT $CA_FILE $CREDENTIAL_ID $LOOP_COUNT"
    "$TARGET/release/ureq-loop-timeouts $ENDPOINT $CA_FILE $CREDENTIAL_ID $LOOP_COUNT"
    "$VENV/bin/python $BENCHES/py/update.py $ENDPOINT $CA_FILE $CREDENTIAL_ID $LOOP_COUNT"
    "node $BENCHES/js/update.mjs $ENDPOINT $CREDENTIAL_ID $LOOP_COUNT"
  )
  local i run line
  printf 'client\trun\tcpu_us\twall_us\n' >"$OUT/loop.tsv"
  for run in $(seq "$LOOP_RUNS"); do
    for i in "${!names[@]}"; do
      line=$(${commands[$i]})
      echo "${names[$i]}: $line" >&2
      # Each loop program prints `updates=N cpu_us=X wall_us=Y`.
      printf '%s\t%s\t%s\n' "${names[$i]}" "$run" \
        "$(echo "$line" | sed -n 's/.*cpu_us=\([0-9.]*\) wall_us=\([0-9.]*\).*/\1\t\2/p')"
    done
  done >>"$OUT/loop.tsv"
  check_phase loop $(((LOOP_COUNT + 1) * LOOP_RUNS * ${#names[@]}))
}

# Times whole processes that send BATCH_COUNT updates each: seam-edge reading them as one
# batch file, and the Python client sending one update and then BATCH_COUNT - 1 more in a
# loop. CPU time is the child's user plus system time from getrusage(RUSAGE_CHILDREN), so
# process start, TLS handshake and, for seam-edge, reading and checking the file count.
measure_batch() {
  step "batch: $BATCH_COUNT updates per process, $BATCH_RUNS processes each"
  local batch=$OUT/batch.jsonl i run line
  rm -f "$batch"
  (umask 077 && for i in $(seq "$BATCH_COUNT"); do
    echo "{\"acs_credential_id\":\"$CREDENTIAL_ID\",\"code\":\"1234\"}"
  done >"$batch")
  local names=("seam-edge --batch" "Python seam")
  local commands=(
    "$TARGET/release/seam-edge acs credentials update --endpoint $ENDPOINT --ca-file $CA_FILE --batch $batch -q"
    "$VENV/bin/python $BENCHES/py/update.py $ENDPOINT $CA_FILE $CREDENTIAL_ID $((BATCH_COUNT - 1))"
  )
  printf 'client\trun\tupdates\tprocess_cpu_us\tprocess_wall_us\tloop_cpu_us\n' >"$OUT/batch.tsv"
  for run in $(seq "$BATCH_RUNS"); do
    for i in "${!names[@]}"; do
      line=$("$VENV/bin/python" "$BENCHES/py/child_cpu.py" ${commands[$i]})
      echo "${names[$i]}: $(echo "$line" | tr '\n' ' ')" >&2
      # The Python loop also prints its own CPU time per update inside the loop.
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "${names[$i]}" "$run" "$BATCH_COUNT" \
        "$(echo "$line" | sed -n 's/^child_cpu_us=\([0-9]*\) .*/\1/p')" \
        "$(echo "$line" | sed -n 's/.* child_wall_us=\([0-9]*\)$/\1/p')" \
        "$(echo "$line" | sed -n 's/.*updates=[0-9]* cpu_us=\([0-9.]*\) .*/\1/p')"
    done
  done >>"$OUT/batch.tsv"
  check_phase batch $((BATCH_COUNT * BATCH_RUNS * ${#names[@]}))
}

main() {
  mkdir -p "$OUT"
  install_tools
  install_clients
  build
  record_machine "$TARGET/release/seam-edge"
  wait_for_quiet_machine

  start_fake
  define_clients
  check_clients
  measure_startup
  measure_imports
  measure_memory
  measure_footprint
  measure_loops
  measure_batch
  echo "load_after: $(cat /proc/loadavg)" >>"$OUT/machine.txt"
  stop_fake
  trap - EXIT

  "$VENV/bin/python" "$BENCHES/report.py" "$OUT" >"$OUT/results.md"
  step "results in $OUT/results.md"
  cat "$OUT/results.md"
}

main "$@"
