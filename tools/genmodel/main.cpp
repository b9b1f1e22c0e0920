// wharf-genmodel: writes small GGUF models with random (seeded, deterministic) weights and a
// real tokenizer copied from one of llama.cpp's models/ggml-vocab-*.gguf files.
//
//   --arch qwen2        causal chat model, ChatML template with tool calling, EOS = <|im_end|>
//   --arch bert         BERT embedding model, mean pooling
//   --arch bert-rerank  BERT + one-label classification head, rank pooling
//
// The same flags always give a byte-identical file: every tensor is filled from its own
// stream, seeded from --seed and the tensor's name, with a portable normal generator
// (mt19937_64 + Box-Muller; std::normal_distribution differs between standard libraries).

#include "chat_template.h"

#include <CLI/CLI.hpp>

#include "ggml.h"
#include "gguf.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Options {
    std::string arch;
    std::string vocab;
    std::string out;
    std::string type = "f16";
    int layers = 2;
    int embd = 64;
    int heads = 4;
    int kv_heads = 0;  // 0: arch default
    int ff = 0;        // 0: 4 * embd
    int ctx = 0;       // 0: arch default
    uint64_t seed = 42;
};

enum class Arch { Qwen2, Bert, BertRerank };

// ---------------------------------------------------------------------------------------------
// deterministic random numbers

uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t fnv1a(const std::string& s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

class Normal {
public:
    explicit Normal(uint64_t seed) : rng_(seed) {}
    float next() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        // u1 in (0, 1], u2 in [0, 1)
        const double u1 = (double((rng_() >> 11)) + 1.0) * 0x1.0p-53;
        const double u2 = double(rng_() >> 11) * 0x1.0p-53;
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double t = 2.0 * 3.14159265358979323846 * u2;
        spare_ = float(r * std::sin(t));
        has_spare_ = true;
        return float(r * std::cos(t));
    }

private:
    std::mt19937_64 rng_;
    float spare_ = 0.0f;
    bool has_spare_ = false;
};

// ---------------------------------------------------------------------------------------------
// GGUF helpers

struct GgufDeleter {
    void operator()(gguf_context* c) const { gguf_free(c); }
};
struct GgmlDeleter {
    void operator()(ggml_context* c) const { ggml_free(c); }
};
using GgufPtr = std::unique_ptr<gguf_context, GgufDeleter>;
using GgmlPtr = std::unique_ptr<ggml_context, GgmlDeleter>;

// Qwen2.5 adds <tool_call> (151657) and </tool_call> (151658) where the Qwen2 vocab has padding
// placeholders. Writing them as user-defined tokens makes tool calls single tokens, as in the
// real Qwen2.5 tokenizer, so the template's tool-call format and triggers behave as there.
void add_qwen25_tool_tokens(gguf_context* dst, const gguf_context* src) {
    const int64_t tid = gguf_find_key(src, "tokenizer.ggml.tokens");
    const int64_t yid = gguf_find_key(src, "tokenizer.ggml.token_type");
    if (tid < 0 || yid < 0) return;
    const size_t n = gguf_get_arr_n(src, tid);
    std::vector<std::string> toks(n);
    for (size_t i = 0; i < n; ++i) toks[i] = gguf_get_arr_str(src, tid, i);
    std::vector<int32_t> types(n);
    const auto* ty = static_cast<const int32_t*>(gguf_get_arr_data(src, yid));
    std::copy(ty, ty + n, types.begin());
    const std::pair<const char*, const char*> repl[] = {{"[PAD151657]", "<tool_call>"}, {"[PAD151658]", "</tool_call>"}};
    for (const auto& [from, to] : repl) {
        for (size_t i = 0; i < n; ++i) {
            if (toks[i] == from) {
                toks[i] = to;
                types[i] = 4;  // LLAMA_TOKEN_TYPE_USER_DEFINED
            }
        }
    }
    std::vector<const char*> ptrs(n);
    for (size_t i = 0; i < n; ++i) ptrs[i] = toks[i].c_str();
    gguf_set_arr_str(dst, "tokenizer.ggml.tokens", ptrs.data(), n);
    gguf_set_arr_data(dst, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types.data(), n);
}

// Copies one key/value (scalar or array) from src to dst under the same name.
void copy_kv(gguf_context* dst, const gguf_context* src, int64_t id) {
    const char* key = gguf_get_key(src, id);
    const gguf_type type = gguf_get_kv_type(src, id);
    switch (type) {
        case GGUF_TYPE_UINT8: gguf_set_val_u8(dst, key, gguf_get_val_u8(src, id)); break;
        case GGUF_TYPE_INT8: gguf_set_val_i8(dst, key, gguf_get_val_i8(src, id)); break;
        case GGUF_TYPE_UINT16: gguf_set_val_u16(dst, key, gguf_get_val_u16(src, id)); break;
        case GGUF_TYPE_INT16: gguf_set_val_i16(dst, key, gguf_get_val_i16(src, id)); break;
        case GGUF_TYPE_UINT32: gguf_set_val_u32(dst, key, gguf_get_val_u32(src, id)); break;
        case GGUF_TYPE_INT32: gguf_set_val_i32(dst, key, gguf_get_val_i32(src, id)); break;
        case GGUF_TYPE_FLOAT32: gguf_set_val_f32(dst, key, gguf_get_val_f32(src, id)); break;
        case GGUF_TYPE_UINT64: gguf_set_val_u64(dst, key, gguf_get_val_u64(src, id)); break;
        case GGUF_TYPE_INT64: gguf_set_val_i64(dst, key, gguf_get_val_i64(src, id)); break;
        case GGUF_TYPE_FLOAT64: gguf_set_val_f64(dst, key, gguf_get_val_f64(src, id)); break;
        case GGUF_TYPE_BOOL: gguf_set_val_bool(dst, key, gguf_get_val_bool(src, id)); break;
        case GGUF_TYPE_STRING: gguf_set_val_str(dst, key, gguf_get_val_str(src, id)); break;
        case GGUF_TYPE_ARRAY: {
            const gguf_type at = gguf_get_arr_type(src, id);
            const size_t n = gguf_get_arr_n(src, id);
            if (at == GGUF_TYPE_STRING) {
                std::vector<const char*> strs(n);
                for (size_t i = 0; i < n; ++i) strs[i] = gguf_get_arr_str(src, id, i);
                gguf_set_arr_str(dst, key, strs.data(), n);
            } else if (at == GGUF_TYPE_ARRAY) {
                throw std::runtime_error(std::string("nested arrays are not supported: ") + key);
            } else {
                gguf_set_arr_data(dst, key, at, gguf_get_arr_data(src, id), n);
            }
            break;
        }
        default: throw std::runtime_error(std::string("unsupported gguf type for key ") + key);
    }
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// ---------------------------------------------------------------------------------------------
// model writer

class ModelWriter {
public:
    ModelWriter(uint64_t seed, ggml_type matrix_type, size_t max_tensors)
        : seed_(seed), matrix_type_(matrix_type), gguf_(gguf_init_empty()) {
        ggml_init_params p{};
        p.mem_size = ggml_tensor_overhead() * max_tensors;
        p.mem_buffer = nullptr;
        p.no_alloc = true;  // tensor data lives in buffers_
        ggml_.reset(ggml_init(p));
        if (!gguf_ || !ggml_) throw std::runtime_error("out of memory");
    }

    gguf_context* gguf() { return gguf_.get(); }

    // ne1 == 0 makes a 1-D tensor (norms, biases): always f32. 2-D tensors use the matrix type
    // unless force_f32 (for tensors that llama.cpp's converter always keeps in f32).
    void normal(const std::string& name, int64_t ne0, int64_t ne1, float std, bool force_f32 = false) {
        Normal rng(splitmix64(seed_ ^ fnv1a(name)));
        add(name, ne0, ne1, force_f32, [&](size_t) { return std * rng.next(); });
    }
    void constant(const std::string& name, int64_t ne0, float value) {
        add(name, ne0, 0, true, [&](size_t) { return value; });
    }

    size_t n_tensors() const { return buffers_.size(); }
    size_t n_bytes() const {
        size_t n = 0;
        for (const auto& b : buffers_) n += b.size();
        return n;
    }

    void write(const std::string& path) {
        const fs::path out(path);
        if (out.has_parent_path()) fs::create_directories(out.parent_path());
        // write next to the target and rename, so a half-written file never looks complete
        const std::string tmp = path + ".tmp";
        if (!gguf_write_to_file(gguf_.get(), tmp.c_str(), false)) {
            fs::remove(tmp);
            throw std::runtime_error("failed to write " + tmp);
        }
        fs::rename(tmp, out);
    }

private:
    template <class Fn>
    void add(const std::string& name, int64_t ne0, int64_t ne1, bool force_f32, Fn&& value) {
        if (name.size() >= GGML_MAX_NAME) throw std::runtime_error("tensor name too long: " + name);
        const bool is_matrix = ne1 > 0;
        const ggml_type type = is_matrix && !force_f32 ? matrix_type_ : GGML_TYPE_F32;
        ggml_tensor* t = is_matrix ? ggml_new_tensor_2d(ggml_.get(), type, ne0, ne1)
                                   : ggml_new_tensor_1d(ggml_.get(), type, ne0);
        if (!t) throw std::runtime_error("ggml context too small");
        ggml_set_name(t, name.c_str());

        const size_t n = size_t(ne0) * size_t(is_matrix ? ne1 : 1);
        std::vector<float> f(n);
        for (size_t i = 0; i < n; ++i) f[i] = value(i);

        auto& buf = buffers_.emplace_back(ggml_nbytes(t));
        if (type == GGML_TYPE_F32) {
            std::memcpy(buf.data(), f.data(), buf.size());
        } else {
            ggml_fp32_to_fp16_row(f.data(), reinterpret_cast<ggml_fp16_t*>(buf.data()), int64_t(n));
        }
        t->data = buf.data();
        gguf_add_tensor(gguf_.get(), t);
    }

    uint64_t seed_;
    ggml_type matrix_type_;
    GgufPtr gguf_;
    GgmlPtr ggml_;
    std::deque<std::vector<uint8_t>> buffers_;
};

// ---------------------------------------------------------------------------------------------

// Embeddings and biases: N(0, 0.02^2), the usual transformer init. Weight matrices: N(0, 1/fan_in)
// (LeCun), so every layer changes the residual stream as much as the embedding does. With a
// 0.02 std everywhere the blocks would be near no-ops and, with the output tied to token_embd,
// a qwen2 model would just echo its last input token forever.
constexpr float kStd = 0.02f;
float lecun(int fan_in) { return 1.0f / std::sqrt(float(fan_in)); }

std::string blk(int i, const char* suffix) { return "blk." + std::to_string(i) + "." + suffix; }

int64_t find_token(const gguf_context* vocab, const char* text) {
    const int64_t id = gguf_find_key(vocab, "tokenizer.ggml.tokens");
    const size_t n = gguf_get_arr_n(vocab, id);
    for (size_t i = 0; i < n; ++i) {
        if (std::string(gguf_get_arr_str(vocab, id, i)) == text) return int64_t(i);
    }
    return -1;
}

int run(const Options& o, Arch arch) {
    const bool is_bert = arch != Arch::Qwen2;
    const int n_embd = o.embd;
    const int n_head = o.heads;
    const int n_head_kv = is_bert ? n_head : (o.kv_heads > 0 ? o.kv_heads : 2);
    const int n_ff = o.ff > 0 ? o.ff : 4 * n_embd;
    const int n_ctx = o.ctx > 0 ? o.ctx : (is_bert ? 512 : 2048);
    const int n_layer = o.layers;

    if (n_layer < 1 || n_embd < 1 || n_head < 1 || n_ff < 1 || n_ctx < 1)
        throw std::runtime_error("--layers, --embd, --heads, --ff and --ctx must be positive");
    if (n_embd % n_head != 0) throw std::runtime_error("--embd must be a multiple of --heads");
    if (n_head_kv < 1 || n_head % n_head_kv != 0)
        throw std::runtime_error("--heads must be a multiple of --kv-heads");
    const int head_dim = n_embd / n_head;
    if (!is_bert && head_dim % 2 != 0) throw std::runtime_error("qwen2 needs an even head size (RoPE)");
    const int n_embd_kv = head_dim * n_head_kv;

    // ---- tokenizer source
    gguf_init_params vp{};
    vp.no_alloc = true;
    vp.ctx = nullptr;
    GgufPtr vocab(gguf_init_from_file(o.vocab.c_str(), vp));
    if (!vocab) throw std::runtime_error("cannot read vocab file " + o.vocab);
    const int64_t tokens_id = gguf_find_key(vocab.get(), "tokenizer.ggml.tokens");
    if (tokens_id < 0) throw std::runtime_error("vocab file has no tokenizer.ggml.tokens: " + o.vocab);
    const int64_t n_vocab = int64_t(gguf_get_arr_n(vocab.get(), tokens_id));

    const ggml_type mtype = o.type == "f32" ? GGML_TYPE_F32 : GGML_TYPE_F16;
    ModelWriter w(o.seed, mtype, size_t(32 * n_layer + 64));
    gguf_context* g = w.gguf();

    const char* a = is_bert ? "bert" : "qwen2";
    auto key = [&](const char* suffix) { return std::string(a) + "." + suffix; };
    const char* name = arch == Arch::Qwen2 ? "wharf-test-chat"
                       : arch == Arch::Bert ? "wharf-test-embed"
                                            : "wharf-test-rerank";

    // ---- general + hparams
    gguf_set_val_str(g, "general.architecture", a);
    gguf_set_val_str(g, "general.type", "model");
    gguf_set_val_str(g, "general.name", name);
    gguf_set_val_str(g, "general.description",
                     ("Wharf test model: random weights, tokenizer from " +
                      fs::path(o.vocab).filename().string()).c_str());
    gguf_set_val_u32(g, "general.file_type", mtype == GGML_TYPE_F32 ? 0 : 1);  // LLAMA_FTYPE_ALL_F32 / MOSTLY_F16
    gguf_set_val_u32(g, key("context_length").c_str(), uint32_t(n_ctx));
    gguf_set_val_u32(g, key("embedding_length").c_str(), uint32_t(n_embd));
    gguf_set_val_u32(g, key("block_count").c_str(), uint32_t(n_layer));
    gguf_set_val_u32(g, key("feed_forward_length").c_str(), uint32_t(n_ff));
    gguf_set_val_u32(g, key("attention.head_count").c_str(), uint32_t(n_head));
    if (is_bert) {
        gguf_set_val_f32(g, key("attention.layer_norm_epsilon").c_str(), 1e-12f);
        gguf_set_val_bool(g, key("attention.causal").c_str(), false);
        // enum llama_pooling_type: MEAN = 1, RANK = 4
        gguf_set_val_u32(g, key("pooling_type").c_str(), arch == Arch::Bert ? 1 : 4);
        if (arch == Arch::BertRerank) {
            // one label, like bge-reranker; llama.cpp's n_cls_out = number of labels (default 1)
            const char* labels[] = {"LABEL_0"};
            gguf_set_arr_str(g, key("classifier.output_labels").c_str(), labels, 1);
        }
    } else {
        gguf_set_val_u32(g, key("attention.head_count_kv").c_str(), uint32_t(n_head_kv));
        gguf_set_val_f32(g, key("attention.layer_norm_rms_epsilon").c_str(), 1e-6f);
        gguf_set_val_f32(g, key("rope.freq_base").c_str(), 1000000.0f);
    }

    // ---- tokenizer: every tokenizer.* key from the vocab file, with qwen2 chat overrides
    std::set<std::string> overridden;
    int64_t eos_id = -1;
    if (arch == Arch::Qwen2) {
        eos_id = find_token(vocab.get(), "<|im_end|>");
        if (eos_id < 0) throw std::runtime_error("vocab has no <|im_end|> token: " + o.vocab);
        overridden = {"tokenizer.chat_template", "tokenizer.ggml.eos_token_id"};
    } else {
        // an embedding model carries no chat template
        overridden = {"tokenizer.chat_template"};
    }
    for (int64_t i = 0; i < gguf_get_n_kv(vocab.get()); ++i) {
        const std::string k = gguf_get_key(vocab.get(), i);
        if (!starts_with(k, "tokenizer.") || overridden.count(k) || starts_with(k, "tokenizer.chat_template."))
            continue;
        copy_kv(g, vocab.get(), i);
    }
    if (arch == Arch::Qwen2) {
        gguf_set_val_u32(g, "tokenizer.ggml.eos_token_id", uint32_t(eos_id));
        if (gguf_find_key(g, "tokenizer.ggml.add_bos_token") < 0)
            gguf_set_val_bool(g, "tokenizer.ggml.add_bos_token", false);  // as Qwen2.5 GGUFs do
        gguf_set_val_str(g, "tokenizer.chat_template", wharf::genmodel::kChatMLToolsTemplate);
        add_qwen25_tool_tokens(g, vocab.get());
    }
    uint32_t n_token_types = 0;
    if (is_bert) {
        const int64_t id = gguf_find_key(g, "tokenizer.ggml.token_type_count");
        if (id >= 0) {
            n_token_types = gguf_get_val_u32(g, id);
        } else {
            n_token_types = 2;
            gguf_set_val_u32(g, "tokenizer.ggml.token_type_count", n_token_types);
        }
    }

    // ---- tensors
    if (arch == Arch::Qwen2) {
        // output.weight is omitted: llama.cpp ties the output projection to token_embd
        w.normal("token_embd.weight", n_embd, n_vocab, kStd);
        for (int i = 0; i < n_layer; ++i) {
            w.constant(blk(i, "attn_norm.weight"), n_embd, 1.0f);
            w.normal(blk(i, "attn_q.weight"), n_embd, n_embd, lecun(n_embd));
            w.normal(blk(i, "attn_q.bias"), n_embd, 0, kStd);
            w.normal(blk(i, "attn_k.weight"), n_embd, n_embd_kv, lecun(n_embd));
            w.normal(blk(i, "attn_k.bias"), n_embd_kv, 0, kStd);
            w.normal(blk(i, "attn_v.weight"), n_embd, n_embd_kv, lecun(n_embd));
            w.normal(blk(i, "attn_v.bias"), n_embd_kv, 0, kStd);
            w.normal(blk(i, "attn_output.weight"), n_embd, n_embd, lecun(n_embd));
            w.constant(blk(i, "ffn_norm.weight"), n_embd, 1.0f);
            w.normal(blk(i, "ffn_gate.weight"), n_embd, n_ff, lecun(n_embd));
            w.normal(blk(i, "ffn_up.weight"), n_embd, n_ff, lecun(n_embd));
            w.normal(blk(i, "ffn_down.weight"), n_ff, n_embd, lecun(n_ff));
        }
        w.constant("output_norm.weight", n_embd, 1.0f);
    } else {
        w.normal("token_embd.weight", n_embd, n_vocab, kStd);
        // f32 like convert_hf_to_gguf.py writes them: the graph adds a token_types row to f32
        // activations with ggml_add, which the CPU backend does not support for an f16 operand
        w.normal("token_types.weight", n_embd, n_token_types, kStd, /*force_f32=*/true);
        w.normal("position_embd.weight", n_embd, n_ctx, kStd, /*force_f32=*/true);
        w.constant("token_embd_norm.weight", n_embd, 1.0f);
        w.constant("token_embd_norm.bias", n_embd, 0.0f);
        for (int i = 0; i < n_layer; ++i) {
            w.normal(blk(i, "attn_q.weight"), n_embd, n_embd, lecun(n_embd));
            w.normal(blk(i, "attn_q.bias"), n_embd, 0, kStd);
            w.normal(blk(i, "attn_k.weight"), n_embd, n_embd, lecun(n_embd));
            w.normal(blk(i, "attn_k.bias"), n_embd, 0, kStd);
            w.normal(blk(i, "attn_v.weight"), n_embd, n_embd, lecun(n_embd));
            w.normal(blk(i, "attn_v.bias"), n_embd, 0, kStd);
            w.normal(blk(i, "attn_output.weight"), n_embd, n_embd, lecun(n_embd));
            w.normal(blk(i, "attn_output.bias"), n_embd, 0, kStd);
            w.constant(blk(i, "attn_output_norm.weight"), n_embd, 1.0f);
            w.constant(blk(i, "attn_output_norm.bias"), n_embd, 0.0f);
            w.normal(blk(i, "ffn_up.weight"), n_embd, n_ff, lecun(n_embd));
            w.normal(blk(i, "ffn_up.bias"), n_ff, 0, kStd);
            w.normal(blk(i, "ffn_down.weight"), n_ff, n_embd, lecun(n_ff));
            w.normal(blk(i, "ffn_down.bias"), n_embd, 0, kStd);
            w.constant(blk(i, "layer_output_norm.weight"), n_embd, 1.0f);
            w.constant(blk(i, "layer_output_norm.bias"), n_embd, 0.0f);
        }
        if (arch == Arch::BertRerank) {
            // classification head: score = cls.output(tanh(cls(h_[CLS])))
            w.normal("cls.weight", n_embd, n_embd, lecun(n_embd));
            w.normal("cls.bias", n_embd, 0, kStd);
            w.normal("cls.output.weight", n_embd, 1, lecun(n_embd));
            w.normal("cls.output.bias", 1, 0, kStd);
        }
    }

    w.write(o.out);
    std::printf("wrote %s: arch=%s n_vocab=%lld layers=%d embd=%d heads=%d kv_heads=%d ff=%d ctx=%d type=%s "
                "tensors=%zu data_bytes=%zu%s\n",
                o.out.c_str(), o.arch.c_str(), (long long)n_vocab, n_layer, n_embd, n_head, n_head_kv, n_ff, n_ctx,
                o.type.c_str(), w.n_tensors(), w.n_bytes(),
                eos_id >= 0 ? (" eos=<|im_end|>(" + std::to_string(eos_id) + ")").c_str() : "");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"wharf-genmodel: write a small random-weight GGUF test model with a real tokenizer"};
    app.add_option("--arch", o.arch, "model kind")
        ->required()
        ->check(CLI::IsMember({"qwen2", "bert", "bert-rerank"}));
    app.add_option("--vocab", o.vocab, "llama.cpp models/ggml-vocab-*.gguf file to take the tokenizer from")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--out", o.out, "output .gguf path")->required();
    app.add_option("--layers", o.layers, "transformer blocks")->capture_default_str();
    app.add_option("--embd", o.embd, "embedding width")->capture_default_str();
    app.add_option("--heads", o.heads, "attention heads")->capture_default_str();
    auto* kv = app.add_option("--kv-heads", o.kv_heads, "KV heads (qwen2 only; default 2)");
    app.add_option("--ff", o.ff, "feed-forward width (default 4*embd)");
    app.add_option("--ctx", o.ctx, "training context length (default 2048 for qwen2, 512 for bert)");
    app.add_option("--seed", o.seed, "weight seed")->capture_default_str();
    app.add_option("--type", o.type, "type of 2-D weight matrices (norms and biases stay f32)")
        ->check(CLI::IsMember({"f32", "f16"}))
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    const Arch arch = o.arch == "qwen2" ? Arch::Qwen2 : o.arch == "bert" ? Arch::Bert : Arch::BertRerank;
    if (arch != Arch::Qwen2 && kv->count() > 0 && o.kv_heads != o.heads) {
        std::fprintf(stderr, "wharf-genmodel: --kv-heads is only supported for qwen2 (bert has n_kv_heads == heads)\n");
        return 2;
    }
    try {
        return run(o, arch);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wharf-genmodel: %s\n", e.what());
        return 1;
    }
}
