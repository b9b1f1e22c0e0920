#include "logprobs.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace wharf::engine {

TokenLogprob token_logprob(llama_context* ctx, const LlamaModel& model, int batch_idx, Token sampled,
                           int top_n) {
  const float* logits = llama_get_logits_ith(ctx, batch_idx);
  const int n_vocab = llama_vocab_n_tokens(model.vocab());
  float max_l = -INFINITY;
  for (int i = 0; i < n_vocab; ++i) max_l = std::max(max_l, logits[i]);
  double sum = 0;
  for (int i = 0; i < n_vocab; ++i) sum += std::exp((double)logits[i] - max_l);
  const float log_z = max_l + (float)std::log(sum);

  TokenLogprob out;
  out.id = sampled;
  out.token = model.piece(sampled, true);
  out.logprob = logits[sampled] - log_z;
  if (top_n > 0) {
    std::vector<int> idx(n_vocab);
    for (int i = 0; i < n_vocab; ++i) idx[i] = i;
    top_n = std::min(top_n, n_vocab);
    std::partial_sort(idx.begin(), idx.begin() + top_n, idx.end(),
                      [&](int a, int b) { return logits[a] > logits[b]; });
    for (int k = 0; k < top_n; ++k)
      out.top.push_back({model.piece(idx[k], true), logits[idx[k]] - log_z});
  }
  return out;
}

}  // namespace wharf::engine
