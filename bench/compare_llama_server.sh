#!/usr/bin/env bash
# Side-by-side serving benchmark: wharf vs llama.cpp's llama-server, built from the same pinned
# llama.cpp source, same model, same settings, same machine, one server after the other.
#
#   bench/compare_llama_server.sh            # build what is missing, run both, print the table
#
# Settings (environment variables, defaults in brackets):
#   CTX [32768] PARALLEL [16] THREADS [nproc] BATCH [512]   server settings, identical for both
#   MAX_TOKENS [128] PROMPT_WORDS [128] PREFIX_WORDS [1000] PREFIX_MAX_TOKENS [32]
#   CONCURRENCIES ["1 4 16"] REQS_PER_WORKER [4] PREFIX_CONCURRENCY [4] PREFIX_REQUESTS [16]
#   PHASE_TIMEOUT [300] s per phase, LOAD_TIMEOUT [300] s for a server to become ready,
#   TOTAL_TIMEOUT [3600] s for the whole script
#   SERVERS ["llama-server wharf"]           which servers to run (ratios need both)
#   WHARF_READY_PATH [/ready]                readiness probe for wharf; LLAMA_EXTRA_ARGS / WHARF_EXTRA_ARGS
#                                            add flags to one server (e.g. LLAMA_EXTRA_ARGS=--kv-unified)
#   BENCH_MODEL [build/models/bench.gguf]    generated with GENMODEL + GENMODEL_ARGS if missing
#   GENMODEL [build/bin/wharf-genmodel] GENMODEL_ARGS [qwen2, 4 layers, 256 embd, 4/2 heads]
#   WHARF_BIN [build/bin/wharf] LLAMA_SRC [.deps/llama.cpp] LLAMA_BUILD [build-llama-server]
#   OUT_DIR [build/bench]                    results: $OUT_DIR/compare.json (+ per-server logs)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

CTX="${CTX:-32768}"
PARALLEL="${PARALLEL:-16}"
THREADS="${THREADS:-$(nproc)}"
BATCH="${BATCH:-512}"
MAX_TOKENS="${MAX_TOKENS:-128}"
PROMPT_WORDS="${PROMPT_WORDS:-128}"
PREFIX_WORDS="${PREFIX_WORDS:-1000}"
PREFIX_MAX_TOKENS="${PREFIX_MAX_TOKENS:-32}"
CONCURRENCIES="${CONCURRENCIES:-1 4 16}"
REQS_PER_WORKER="${REQS_PER_WORKER:-4}"
PREFIX_CONCURRENCY="${PREFIX_CONCURRENCY:-4}"
PREFIX_REQUESTS="${PREFIX_REQUESTS:-16}"
PHASE_TIMEOUT="${PHASE_TIMEOUT:-300}"
LOAD_TIMEOUT="${LOAD_TIMEOUT:-300}"
TOTAL_TIMEOUT="${TOTAL_TIMEOUT:-3600}"
SERVERS="${SERVERS:-llama-server wharf}"
WHARF_READY_PATH="${WHARF_READY_PATH:-/ready}"
LLAMA_EXTRA_ARGS="${LLAMA_EXTRA_ARGS:-}"
WHARF_EXTRA_ARGS="${WHARF_EXTRA_ARGS:-}"
WHARF_BIN="${WHARF_BIN:-$root/build/bin/wharf}"
GENMODEL="${GENMODEL:-$root/build/bin/wharf-genmodel}"
LLAMA_SRC="${LLAMA_SRC:-$root/.deps/llama.cpp}"
LLAMA_BUILD="${LLAMA_BUILD:-$root/build-llama-server}"
BENCH_MODEL="${BENCH_MODEL:-$root/build/models/bench.gguf}"
GENMODEL_ARGS="${GENMODEL_ARGS:---arch qwen2 --vocab $LLAMA_SRC/models/ggml-vocab-qwen2.gguf --layers 4 --embd 256 --heads 4 --kv-heads 2 --out $BENCH_MODEL}"
OUT_DIR="${OUT_DIR:-$root/build/bench}"
LOADGEN="$root/bench/loadgen.mjs"
NODE="${NODE:-node}"

log() { echo "[bench] $*" >&2; }
die() { echo "[bench] error: $*" >&2; exit 1; }

mkdir -p "$OUT_DIR"
PIDFILE="$OUT_DIR/.server.pid"
rm -f "$PIDFILE"
SERVER_PID=""
WATCHDOG_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$WATCHDOG_PID" ]; then kill -TERM "$WATCHDOG_PID" 2>/dev/null || true; fi
  rm -f "$PIDFILE"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Whole-script time bound: the watchdog stops the running server (so a load run in progress
# fails fast) and sends us SIGTERM, whose trap cleans up.
(
  trap 'kill "$sp" 2>/dev/null; exit 0' TERM
  sleep "$TOTAL_TIMEOUT" &
  sp=$!
  if wait "$sp"; then
    log "total timeout ${TOTAL_TIMEOUT}s reached"
    [ -f "$PIDFILE" ] && kill -KILL "$(cat "$PIDFILE")" 2>/dev/null
    kill -TERM $$
  fi
) &
WATCHDOG_PID=$!

command -v "$NODE" >/dev/null || die "node not found"

# ---- llama-server from the same pinned llama.cpp source
LLAMA_SERVER="$LLAMA_BUILD/bin/llama-server"
if [[ " $SERVERS " == *" llama-server "* ]]; then
  [ -d "$LLAMA_SRC" ] || die "llama.cpp source not found at $LLAMA_SRC (run scripts/setup.sh)"
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  if [ ! -f "$LLAMA_BUILD/build.ninja" ]; then
    log "configuring llama-server in $LLAMA_BUILD"
    cmake -S "$LLAMA_SRC" -B "$LLAMA_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
      -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF "${launcher[@]}" >"$OUT_DIR/llama-server-configure.log" 2>&1 \
      || die "cmake configure failed, see $OUT_DIR/llama-server-configure.log"
  fi
  log "building llama-server (-j2)"
  cmake --build "$LLAMA_BUILD" --target llama-server -j2 >"$OUT_DIR/llama-server-build.log" 2>&1 \
    || die "llama-server build failed, see $OUT_DIR/llama-server-build.log"
  [ -x "$LLAMA_SERVER" ] || die "no $LLAMA_SERVER after the build"
fi
if [[ " $SERVERS " == *" wharf "* ]]; then
  [ -x "$WHARF_BIN" ] || die "wharf binary not found at $WHARF_BIN (build it first: cmake --build build -j2)"
fi

# ---- bench model
if [ ! -f "$BENCH_MODEL" ]; then
  [ -x "$GENMODEL" ] || die "$BENCH_MODEL missing and no generator at $GENMODEL (set BENCH_MODEL=...)"
  mkdir -p "$(dirname "$BENCH_MODEL")"
  log "generating $BENCH_MODEL: $GENMODEL $GENMODEL_ARGS"
  # shellcheck disable=SC2086
  "$GENMODEL" $GENMODEL_ARGS >"$OUT_DIR/genmodel.log" 2>&1 || die "genmodel failed, see $OUT_DIR/genmodel.log"
fi
MODEL_ID="$(basename "$BENCH_MODEL" .gguf)"

cat >"$OUT_DIR/settings.json" <<EOF
{"model": "$BENCH_MODEL", "ctx": $CTX, "parallel": $PARALLEL, "threads": $THREADS, "batch": $BATCH,
 "max_tokens": $MAX_TOKENS, "prompt_words": $PROMPT_WORDS, "prefix_words": $PREFIX_WORDS,
 "prefix_max_tokens": $PREFIX_MAX_TOKENS, "concurrencies": "$CONCURRENCIES",
 "reqs_per_worker": $REQS_PER_WORKER, "prefix_concurrency": $PREFIX_CONCURRENCY,
 "prefix_requests": $PREFIX_REQUESTS, "nproc": $(nproc),
 "cpu": "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//;s/"//g')"}
EOF

start_server() { # name port
  local name="$1" port="$2" logf="$OUT_DIR/$1.log"
  case "$name" in
    llama-server)
      "$LLAMA_SERVER" -m "$BENCH_MODEL" --host 127.0.0.1 --port "$port" -c "$CTX" -np "$PARALLEL" \
        -t "$THREADS" -tb "$THREADS" -b "$BATCH" -ub "$BATCH" --no-webui --alias "$MODEL_ID" $LLAMA_EXTRA_ARGS \
        >"$logf" 2>&1 &
      SERVER_PID=$!
      echo "$SERVER_PID" >"$PIDFILE"
      "$NODE" "$LOADGEN" wait --url "http://127.0.0.1:$port" --path /health --timeout "$LOAD_TIMEOUT" ;;
    wharf)
      "$WHARF_BIN" serve -m "$BENCH_MODEL" --host 127.0.0.1 --port "$port" --ctx "$CTX" \
        --parallel "$PARALLEL" --threads "$THREADS" --batch "$BATCH" $WHARF_EXTRA_ARGS >"$logf" 2>&1 &
      SERVER_PID=$!
      echo "$SERVER_PID" >"$PIDFILE"
      "$NODE" "$LOADGEN" wait --url "http://127.0.0.1:$port" --path "$WHARF_READY_PATH" --timeout "$LOAD_TIMEOUT" ;;
  esac || { tail -20 "$logf" >&2; die "$name did not become ready"; }
}

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  rm -f "$PIDFILE"
}

report_args=()
for name in $SERVERS; do
  port="$("$NODE" "$LOADGEN" freeport)"
  res="$OUT_DIR/$name.jsonl"
  : >"$res"
  log "starting $name on port $port"
  start_server "$name" "$port"
  url="http://127.0.0.1:$port"
  for c in $CONCURRENCIES; do
    n=$((c * REQS_PER_WORKER))
    log "$name: random prompts, concurrency $c, $n requests x $MAX_TOKENS tokens"
    "$NODE" "$LOADGEN" run --url "$url" --model "$MODEL_ID" --workload random --concurrency "$c" \
      --requests "$n" --max-tokens "$MAX_TOKENS" --prompt-words "$PROMPT_WORDS" \
      --phase-timeout "$PHASE_TIMEOUT" --load-timeout "$LOAD_TIMEOUT" --label "random-c$c" >>"$res" \
      || { tail -20 "$OUT_DIR/$name.log" >&2; die "$name: load run failed (concurrency $c)"; }
    tail -1 "$res" | "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.error(`[bench]   ${j.ok}/${j.requests} ok, ${j.output_tok_s.toFixed(1)} tok/s, TTFT p50 ${j.ttft_ms.p50?.toFixed(0)} ms${j.first_error?" first error: "+j.first_error:""}`)})'
  done
  log "$name: shared ${PREFIX_WORDS}-word system prompt, concurrency $PREFIX_CONCURRENCY, $PREFIX_REQUESTS requests"
  "$NODE" "$LOADGEN" run --url "$url" --model "$MODEL_ID" --workload prefix \
    --concurrency "$PREFIX_CONCURRENCY" --requests "$PREFIX_REQUESTS" --max-tokens "$PREFIX_MAX_TOKENS" \
    --prefix-words "$PREFIX_WORDS" --warmup 1 --phase-timeout "$PHASE_TIMEOUT" --label "prefix-c$PREFIX_CONCURRENCY" >>"$res" \
    || { tail -20 "$OUT_DIR/$name.log" >&2; die "$name: prefix run failed"; }
  version=""
  [ "$name" = llama-server ] && version="$("$LLAMA_SERVER" --version 2>&1 | grep -m1 -i version || true)"
  printf '{"meta":{"server":"%s","version":"%s"}}\n' "$name" "${version//\"/}" >>"$res"
  stop_server
  report_args+=("$name=$res")
done

echo
echo "wharf vs llama-server — model $(basename "$BENCH_MODEL"), ctx $CTX, parallel $PARALLEL, threads $THREADS, batch $BATCH, max_tokens $MAX_TOKENS"
"$NODE" "$LOADGEN" report --out "$OUT_DIR/compare.json" --settings "$OUT_DIR/settings.json" "${report_args[@]}"
echo
log "results: $OUT_DIR/compare.json"
