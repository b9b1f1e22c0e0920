// Loads the three test models written by wharf-genmodel (scripts/gen-test-models.sh) through
// llama.h and checks that each one works for what the engine uses it for:
//   chat.gguf   qwen2: real Qwen2 tokenizer, EOS = <|im_end|>, ChatML template with tools, finite logits
//   embed.gguf  bert, mean pooling: finite, non-zero sentence embeddings
//   rerank.gguf bert + classifier, rank pooling: one finite score per (query, document)
// A missing model is a failure, not a skip: the models are a test fixture we generate ourselves.

#include <gtest/gtest.h>

#include "chat.h"
#include "gguf.h"
#include "llama.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

struct ModelDeleter {
    void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextDeleter {
    void operator()(llama_context* c) const { llama_free(c); }
};
using ModelPtr = std::unique_ptr<llama_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<llama_context, ContextDeleter>;

class LlamaEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        llama_log_set(
            [](ggml_log_level level, const char* text, void*) {
                if (level >= GGML_LOG_LEVEL_WARN && level != GGML_LOG_LEVEL_CONT) std::fputs(text, stderr);
            },
            nullptr);
        llama_backend_init();
    }
    void TearDown() override { llama_backend_free(); }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new LlamaEnvironment);

std::string model_path(const char* name) { return std::string(WHARF_TEST_MODELS_DIR) + "/" + name; }

ModelPtr load_model(const std::string& path) {
    llama_model_params mp = llama_model_default_params();
    return ModelPtr(llama_model_load_from_file(path.c_str(), mp));
}

// Number of entries in the file's tokenizer.ggml.tokens array, read straight from the GGUF.
int64_t gguf_token_count(const std::string& path) {
    gguf_init_params p{};
    p.no_alloc = true;
    p.ctx = nullptr;
    gguf_context* g = gguf_init_from_file(path.c_str(), p);
    if (!g) return -1;
    const int64_t id = gguf_find_key(g, "tokenizer.ggml.tokens");
    const int64_t n = id < 0 ? -1 : int64_t(gguf_get_arr_n(g, id));
    gguf_free(g);
    return n;
}

std::vector<llama_token> tokenize(const llama_vocab* vocab, const std::string& text, bool add_special,
                                  bool parse_special = false) {
    std::vector<llama_token> out(text.size() + 8);
    int n = llama_tokenize(vocab, text.data(), int32_t(text.size()), out.data(), int32_t(out.size()), add_special,
                           parse_special);
    if (n < 0) {
        out.resize(size_t(-n));
        n = llama_tokenize(vocab, text.data(), int32_t(text.size()), out.data(), int32_t(out.size()), add_special,
                           parse_special);
    }
    out.resize(size_t(std::max(n, 0)));
    return out;
}

bool all_finite(const float* v, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (!std::isfinite(v[i])) return false;
    return true;
}

// One fixture per model file, loaded once per suite. The file must exist (we generate it: a
// missing model fails every test of the suite, it is never skipped) and must load.
template <const char* kFile>
class ModelTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        path_ = model_path(kFile);
        if (std::filesystem::exists(path_)) model_ = load_model(path_);
    }
    static void TearDownTestSuite() { model_.reset(); }

    void SetUp() override {
        ASSERT_TRUE(std::filesystem::exists(path_))
            << path_ << " is missing: generate the test models with scripts/gen-test-models.sh "
            << "(ctest runs it as the models.generate fixture)";
        ASSERT_NE(model_, nullptr) << "llama.cpp failed to load " << path_;
        vocab_ = llama_model_get_vocab(model_.get());
    }

    ContextPtr NewContext(bool embeddings, enum llama_pooling_type pooling) {
        llama_context_params cp = llama_context_default_params();
        cp.n_ctx = 512;
        cp.n_batch = 512;
        cp.n_ubatch = 512;
        cp.n_seq_max = 2;
        cp.n_threads = 2;
        cp.n_threads_batch = 2;
        cp.embeddings = embeddings;
        cp.pooling_type = pooling;
        return ContextPtr(llama_init_from_model(model_.get(), cp));
    }

    static inline std::string path_;
    static inline ModelPtr model_;
    const llama_vocab* vocab_ = nullptr;
};

constexpr char kChatFile[] = "chat.gguf";
constexpr char kEmbedFile[] = "embed.gguf";
constexpr char kRerankFile[] = "rerank.gguf";

// ---------------------------------------------------------------------------------------------
// chat.gguf

using ChatModel = ModelTest<kChatFile>;

TEST_F(ChatModel, IsQwen2WithTheRealTokenizer) {
    char arch[64] = {};
    ASSERT_GT(llama_model_meta_val_str(model_.get(), "general.architecture", arch, sizeof arch), 0);
    EXPECT_STREQ(arch, "qwen2");

    const int32_t n_vocab = llama_vocab_n_tokens(vocab_);
    EXPECT_EQ(n_vocab, gguf_token_count(path_));
    EXPECT_EQ(n_vocab, 151936);  // Qwen2's tokenizer
    EXPECT_EQ(llama_vocab_type(vocab_), LLAMA_VOCAB_TYPE_BPE);

    const auto hello = tokenize(vocab_, "Hello world", /*add_special=*/true);
    ASSERT_FALSE(hello.empty());
    EXPECT_EQ(hello, (std::vector<llama_token>{9707, 1879}));  // "Hello", " world"; no BOS for Qwen

    // generation must stop on <|im_end|>, like a real Qwen2.5 model
    const auto im_end = tokenize(vocab_, "<|im_end|>", false, /*parse_special=*/true);
    ASSERT_EQ(im_end.size(), 1u);
    EXPECT_EQ(llama_vocab_eos(vocab_), im_end[0]);
    EXPECT_TRUE(llama_vocab_is_eog(vocab_, im_end[0]));
    EXPECT_FALSE(llama_vocab_get_add_bos(vocab_));
}

TEST_F(ChatModel, HasChatMLTemplate) {
    const char* tmpl = llama_model_chat_template(model_.get(), nullptr);
    ASSERT_NE(tmpl, nullptr);
    EXPECT_NE(std::string(tmpl).find("<|im_start|>"), std::string::npos);
    EXPECT_NE(std::string(tmpl).find("<tool_call>"), std::string::npos);
}

TEST_F(ChatModel, TemplateRendersToolsAndParsesToolCalls) {
    auto tmpls = common_chat_templates_init(model_.get(), "");
    ASSERT_NE(tmpls, nullptr);

    common_chat_tool weather;
    weather.name = "get_weather";
    weather.description = "Current weather in a city";
    weather.parameters = R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})";

    common_chat_msg sys, user, call, result;
    sys.role = "system";
    sys.content = "You are a test.";
    user.role = "user";
    user.content = "Weather in Paris?";
    call.role = "assistant";
    call.tool_calls.push_back({"get_weather", R"({"city":"Paris"})", "call_1"});
    result.role = "tool";
    result.tool_call_id = "call_1";
    result.content = R"({"temp_c":21})";

    common_chat_templates_inputs in;
    in.use_jinja = true;
    in.messages = {sys, user, call, result};
    in.tools = {weather};
    in.add_generation_prompt = true;
    const common_chat_params params = common_chat_templates_apply(tmpls.get(), in);
    const std::string& p = params.prompt;

    EXPECT_EQ(p.rfind("<|im_start|>system\nYou are a test.\n\n# Tools", 0), 0u) << p;
    EXPECT_NE(p.find("<tools>\n{"), std::string::npos) << p;
    EXPECT_NE(p.find("\"name\": \"get_weather\""), std::string::npos) << p;  // the tool's JSON schema
    EXPECT_NE(p.find("<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\""),
              std::string::npos)
        << p;
    EXPECT_NE(p.find("<|im_start|>user\n<tool_response>\n{\"temp_c\":21}\n</tool_response><|im_end|>\n"),
              std::string::npos)
        << p;
    EXPECT_TRUE(p.size() > 22 && p.compare(p.size() - 22, 22, "<|im_start|>assistant\n") == 0) << p;

    // what the model would answer is parsed back into a tool call by llama-common
    common_chat_parser_params pp(params);
    if (!params.parser.empty()) pp.parser.load(params.parser);
    const common_chat_msg parsed = common_chat_parse(
        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>", false, pp);
    ASSERT_EQ(parsed.tool_calls.size(), 1u) << "format " << common_chat_format_name(params.format);
    EXPECT_EQ(parsed.tool_calls[0].name, "get_weather");
    EXPECT_NE(parsed.tool_calls[0].arguments.find("Oslo"), std::string::npos);

    // without tools: plain ChatML, no system prompt invented
    common_chat_templates_inputs plain;
    plain.use_jinja = true;
    plain.messages = {user};
    plain.add_generation_prompt = true;
    EXPECT_EQ(common_chat_templates_apply(tmpls.get(), plain).prompt,
              "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n");
}

TEST_F(ChatModel, DecodesWithFiniteLogits) {
    ContextPtr ctx = NewContext(false, LLAMA_POOLING_TYPE_UNSPECIFIED);
    ASSERT_NE(ctx, nullptr);
    const int32_t n_vocab = llama_vocab_n_tokens(vocab_);

    std::vector<llama_token> prompt = tokenize(vocab_, "<|im_start|>user\nHello world<|im_end|>\n<|im_start|>assistant\n",
                                               true, /*parse_special=*/true);
    ASSERT_FALSE(prompt.empty());
    ASSERT_EQ(llama_decode(ctx.get(), llama_batch_get_one(prompt.data(), int32_t(prompt.size()))), 0);

    for (int step = 0; step < 4; ++step) {
        const float* logits = llama_get_logits_ith(ctx.get(), -1);
        ASSERT_NE(logits, nullptr);
        ASSERT_TRUE(all_finite(logits, size_t(n_vocab))) << "step " << step;
        llama_token best = 0;
        for (llama_token t = 1; t < n_vocab; ++t)
            if (logits[t] > logits[best]) best = t;
        ASSERT_EQ(llama_decode(ctx.get(), llama_batch_get_one(&best, 1)), 0) << "step " << step;
    }
}

// ---------------------------------------------------------------------------------------------
// embed.gguf

class EmbedModel : public ModelTest<kEmbedFile> {
protected:
    std::vector<float> Embed(llama_context* ctx, const std::string& text) {
        llama_memory_clear(llama_get_memory(ctx), true);
        std::vector<llama_token> toks = tokenize(vocab_, text, /*add_special=*/true);
        if (llama_decode(ctx, llama_batch_get_one(toks.data(), int32_t(toks.size()))) != 0) return {};
        const float* e = llama_get_embeddings_seq(ctx, 0);
        if (!e) return {};
        return std::vector<float>(e, e + llama_model_n_embd(model_.get()));
    }
};

TEST_F(EmbedModel, IsBertWithTheRealTokenizer) {
    EXPECT_EQ(llama_vocab_n_tokens(vocab_), gguf_token_count(path_));
    EXPECT_EQ(llama_vocab_n_tokens(vocab_), 30522);  // bge / bert-base-uncased WordPiece
    EXPECT_EQ(llama_vocab_type(vocab_), LLAMA_VOCAB_TYPE_WPM);
    EXPECT_FALSE(llama_model_has_encoder(model_.get()) && llama_model_has_decoder(model_.get()));
    EXPECT_EQ(llama_model_chat_template(model_.get(), nullptr), nullptr);

    const auto hello = tokenize(vocab_, "Hello world", /*add_special=*/true);
    ASSERT_FALSE(hello.empty());
    EXPECT_EQ(hello, (std::vector<llama_token>{101, 7592, 2088, 102}));  // [CLS] hello world [SEP]
}

TEST_F(EmbedModel, MeanPooledEmbeddingIsFiniteAndNonZero) {
    ContextPtr ctx = NewContext(true, LLAMA_POOLING_TYPE_UNSPECIFIED);  // the model's own pooling
    ASSERT_NE(ctx, nullptr);
    EXPECT_EQ(llama_pooling_type(ctx.get()), LLAMA_POOLING_TYPE_MEAN);

    const auto a = Embed(ctx.get(), "The quick brown fox jumps over the lazy dog.");
    const auto b = Embed(ctx.get(), "An entirely different sentence about ships.");
    ASSERT_EQ(a.size(), size_t(llama_model_n_embd(model_.get())));
    ASSERT_EQ(b.size(), a.size());
    ASSERT_TRUE(all_finite(a.data(), a.size()));
    double norm = 0;
    for (float x : a) norm += double(x) * x;
    EXPECT_GT(norm, 1e-6);
    EXPECT_NE(a, b);
    EXPECT_EQ(a, Embed(ctx.get(), "The quick brown fox jumps over the lazy dog."));  // deterministic
}

// ---------------------------------------------------------------------------------------------
// rerank.gguf

class RerankModel : public ModelTest<kRerankFile> {
protected:
    // [CLS] query [SEP] document [SEP], the pair layout BERT cross-encoders are trained on
    float Score(llama_context* ctx, const std::string& query, const std::string& doc) {
        llama_memory_clear(llama_get_memory(ctx), true);
        std::vector<llama_token> toks = tokenize(vocab_, query, /*add_special=*/true);
        const auto d = tokenize(vocab_, doc, /*add_special=*/false);
        toks.insert(toks.end(), d.begin(), d.end());
        toks.push_back(llama_vocab_sep(vocab_));
        if (llama_decode(ctx, llama_batch_get_one(toks.data(), int32_t(toks.size()))) != 0) return NAN;
        const float* s = llama_get_embeddings_seq(ctx, 0);
        return s ? s[0] : NAN;
    }
};

TEST_F(RerankModel, RankPoolingGivesOneFiniteScore) {
    EXPECT_EQ(llama_vocab_n_tokens(vocab_), gguf_token_count(path_));
    EXPECT_EQ(llama_model_n_cls_out(model_.get()), 1u);
    EXPECT_EQ(std::string(llama_model_cls_label(model_.get(), 0)), "LABEL_0");
    EXPECT_FALSE(tokenize(vocab_, "Hello world", true).empty());

    ContextPtr ctx = NewContext(true, LLAMA_POOLING_TYPE_UNSPECIFIED);
    ASSERT_NE(ctx, nullptr);
    EXPECT_EQ(llama_pooling_type(ctx.get()), LLAMA_POOLING_TYPE_RANK);

    const float s1 = Score(ctx.get(), "what is a panda?", "The giant panda is a bear species endemic to China.");
    const float s2 = Score(ctx.get(), "what is a panda?", "Paris is the capital of France.");
    ASSERT_TRUE(std::isfinite(s1));
    ASSERT_TRUE(std::isfinite(s2));
    EXPECT_NE(s1, s2);
    EXPECT_EQ(s1, Score(ctx.get(), "what is a panda?", "The giant panda is a bear species endemic to China."));
}

}  // namespace
