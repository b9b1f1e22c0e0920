#!/usr/bin/env bash
# Generates Wharf's test models with wharf-genmodel (random weights, real llama.cpp tokenizers).
#
#   scripts/gen-test-models.sh GENMODEL_BIN OUT_DIR LLAMA_DIR
#
# Writes OUT_DIR/chat.gguf (qwen2 + ChatML/tool-call template), OUT_DIR/embed.gguf (bert, mean
# pooling) and OUT_DIR/rerank.gguf (bert + one-label classifier, rank pooling). A model that
# already exists and is newer than the generator binary is kept as it is.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 GENMODEL_BIN OUT_DIR LLAMA_DIR" >&2
  exit 2
fi
genmodel=$1
out_dir=$2
llama_dir=$3
vocab_dir=$llama_dir/models

if [[ ! -x $genmodel ]]; then
  echo "$0: generator not found or not executable: $genmodel" >&2
  exit 1
fi
for v in ggml-vocab-qwen2.gguf ggml-vocab-bert-bge.gguf; do
  if [[ ! -f $vocab_dir/$v ]]; then
    echo "$0: missing tokenizer $vocab_dir/$v (is LLAMA_DIR a llama.cpp tree?)" >&2
    exit 1
  fi
done

mkdir -p "$out_dir"

# gen NAME ARGS...: writes OUT_DIR/NAME unless it is already newer than the generator.
gen() {
  local name=$1
  shift
  local file=$out_dir/$name
  if [[ -f $file && $file -nt $genmodel ]]; then
    echo "kept  $file (up to date)"
    return 0
  fi
  "$genmodel" "$@" --out "$file" >/dev/null
  echo "made  $file ($(stat -c %s "$file") bytes)"
}

gen chat.gguf   --arch qwen2       --vocab "$vocab_dir/ggml-vocab-qwen2.gguf"
gen embed.gguf  --arch bert        --vocab "$vocab_dir/ggml-vocab-bert-bge.gguf"
gen rerank.gguf --arch bert-rerank --vocab "$vocab_dir/ggml-vocab-bert-bge.gguf"
