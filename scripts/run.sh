#!/usr/bin/env bash
# Sets up, builds and starts `wharf serve`. With no arguments it serves the generated demo chat
# model; any arguments are passed to `wharf serve` instead (e.g. -m /path/to/model.gguf).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh" wharf wharf-genmodel
llama_dir="${WHARF_LLAMA_DIR:-$root/.deps/llama.cpp}"
"$root/scripts/gen-test-models.sh" "$root/build/bin/wharf-genmodel" "$root/build/models" "$llama_dir" >/dev/null
if [ $# -eq 0 ]; then
  cat <<MSG
==> Serving the demo model build/models/chat.gguf on http://127.0.0.1:8080
    It is a qwen2-style model with RANDOM weights (a real Qwen2 tokenizer and ChatML
    template), made by wharf-genmodel so that everything runs offline: its answers are
    gibberish. To serve a real model:
        build/bin/wharf serve -m /path/to/model.gguf --port 8080 [--gpu-layers auto]
    Try: curl http://127.0.0.1:8080/v1/chat/completions \\
           -d '{"messages":[{"role":"user","content":"Hello"}],"max_tokens":16}'
MSG
  exec "$root/build/bin/wharf" serve -m "$root/build/models/chat.gguf" --host 127.0.0.1 --port 8080
fi
exec "$root/build/bin/wharf" serve "$@"
