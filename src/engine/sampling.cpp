#include "sampling.h"

#include "chat_internal.h"
#include "common/sampling.h"

namespace wharf::engine {

common_sampler* make_sampler(const LlamaModel& model, const GenerateRequest& req, std::string& err) {
  const auto& sp = req.sampling;
  common_params_sampling p;
  p.seed = sp.seed ? *sp.seed : LLAMA_DEFAULT_SEED;
  p.temp = sp.temperature;
  p.top_p = sp.top_p;
  // Greedy: top-k 1 is the same argmax, and it cuts the candidate list to one token before the
  // rest of the chain (temperature, softmax) runs over the whole vocabulary.
  p.top_k = sp.temperature <= 0.0f ? 1 : sp.top_k;
  p.min_p = sp.min_p;
  p.penalty_present = sp.presence_penalty;
  p.penalty_freq = sp.frequency_penalty;
  p.penalty_repeat = sp.repetition_penalty;
  p.penalty_last_n = sp.penalty_last_n;
  p.ignore_eos = req.ignore_eos;
  p.no_perf = true;
  for (auto [tok, bias] : sp.logit_bias) p.logit_bias.push_back({tok, bias <= -100.0f ? -INFINITY : bias});
  if (req.ignore_eos)
    for (Token t : model.eog_tokens()) p.logit_bias.push_back({t, -INFINITY});

  const auto* chat = dynamic_cast<const CommonChatParser*>(req.chat.get());
  if (chat && !chat->params.grammar.empty()) {
    const auto& cp = chat->params;
    p.grammar = {chat->output_format ? COMMON_GRAMMAR_TYPE_OUTPUT_FORMAT : COMMON_GRAMMAR_TYPE_TOOL_CALLS,
                 cp.grammar};
    p.grammar_lazy = cp.grammar_lazy;
    p.generation_prompt = cp.generation_prompt;
    for (const auto& word : cp.preserved_tokens) {
      auto ids = model.tokenize(word, false, true);
      if (ids.size() == 1) p.preserved_tokens.insert(ids[0]);
    }
    for (const auto& trig : cp.grammar_triggers) {
      common_grammar_trigger t = trig;
      if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_WORD) {
        auto ids = model.tokenize(t.value, false, true);
        if (ids.size() == 1 && p.preserved_tokens.count(ids[0])) {
          t.type = COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN;
          t.token = ids[0];
        }
      }
      p.grammar_triggers.push_back(std::move(t));
    }
  } else if (!sp.grammar.empty()) {
    p.grammar = {COMMON_GRAMMAR_TYPE_OUTPUT_FORMAT, sp.grammar};
  }
  try {
    common_sampler* s = common_sampler_init(model.model(), p);
    if (!s) err = "invalid grammar for structured output";
    return s;
  } catch (const std::exception& e) {
    err = std::string("sampler: ") + e.what();
    return nullptr;
  }
}

}  // namespace wharf::engine
