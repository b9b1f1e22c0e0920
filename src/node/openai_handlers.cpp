// POST /v1/chat/completions and /v1/completions: parse (src/api) -> render + tokenize (engine)
// -> length checks -> one engine sequence per choice -> SSE stream or one JSON body.
#include <chrono>
#include <random>

#include "api/openai.h"
#include "node/access_log.h"
#include "node/respond.h"
#include "node/generation.h"
#include "node/node_server.h"

namespace wharf::node {

namespace {

using engine::FinishReason;

std::string random_id(const char* prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string s = prefix;
  for (int i = 0; i < 24; ++i) s += hex[rng() & 15];
  return s;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// max_tokens after the prompt is known: fits the context or a 400 naming the counts.
Result<int32_t> resolve_max_tokens(const std::optional<int32_t>& asked, size_t n_prompt, int32_t n_ctx,
                                   const char* param) {
  int64_t want = asked ? *asked : std::max<int64_t>(1, (int64_t)n_ctx - (int64_t)n_prompt);
  if ((int64_t)n_prompt + want > n_ctx) {
    return Error{Errc::context_length,
                 "This model's maximum context length is " + std::to_string(n_ctx) + " tokens. However, you requested " +
                     std::to_string(n_prompt + want) + " tokens (" + std::to_string(n_prompt) + " in the prompt, " +
                     std::to_string(want) + " in the completion). Please reduce the length of the prompt or completion.",
                 param};
  }
  return (int32_t)want;
}

engine::GenerateRequest make_request(const api::CommonParams& c, std::vector<engine::Token> prompt,
                                     int32_t max_tokens, const std::string& id, int choice,
                                     engine::Clock::time_point arrival) {
  engine::GenerateRequest r;
  r.id = id;
  r.prompt = std::move(prompt);
  r.max_tokens = max_tokens;
  r.stop = c.stop;
  r.ignore_eos = c.ignore_eos;
  r.sampling = c.sampling;
  if (r.sampling.seed && choice > 0) r.sampling.seed = *r.sampling.seed + (uint32_t)choice;
  r.arrival = arrival;
  return r;
}

struct Totals {
  api::UsageTotals usage;
  engine::Timings timings;  // of the first choice
  std::string finish;
  std::string error;
  void add(const engine::StreamEvent& ev, bool first) {
    usage.completion_tokens += ev.usage.completion_tokens;
    if (first) {
      timings = ev.timings;
      finish = engine::to_string(ev.finish);
    }
  }
};

// Logs the finished request (status 499 when the client went away).
void log_finished(AccessRecord& log, const Totals& tot, bool client_gone) {
  if (client_gone) {
    log.status = 499;
    log.finish_reason = "abort";
  } else {
    log.completion_tokens = tot.usage.completion_tokens;
    log.cached_tokens = tot.usage.cached_tokens;
    log.finish_reason = tot.finish;
    log.queue_s = tot.timings.queue_s;
    log.ttft_s = tot.timings.ttft_s;
    log.e2e_s = tot.timings.e2e_s;
  }
  log_access(log);
}

// A generation failed: cancel the rest, log, and end the response with the error (an SSE error
// event when streaming, never a silent [DONE]).
http::awaitable<void> fail_generation(http::Responder& res, Generation& gen, AccessRecord& log, bool streaming,
                                      std::string why) {
  Error e{Errc::internal, "generation failed: " + why};
  log.status = 500;
  log.error = std::move(why);
  log_access(log);
  gen.cancel();
  if (streaming) {
    std::string chunk = api::error_sse(e);
    co_await res.write(chunk);
    co_await res.end_stream();
  } else {
    co_await send_error(res, std::move(e));
  }
}

// Incremental state of one streamed chat choice when tools are parsed.
struct ChoiceState {
  std::string text;
  engine::ChatParsed prev;
  std::vector<std::string> call_ids;
  bool started = false;
  std::vector<engine::TokenLogprob> logprobs;
};

// Deltas between two partial parses (only ever appends; a parse that retracts is ignored).
void diff_parsed(ChoiceState& st, const engine::ChatParsed& now, api::ChatDelta& d) {
  if (now.content.size() > st.prev.content.size() && now.content.compare(0, st.prev.content.size(), st.prev.content) == 0)
    d.content = now.content.substr(st.prev.content.size());
  for (size_t k = 0; k < now.tool_calls.size(); ++k) {
    const auto& tc = now.tool_calls[k];
    if (tc.name.empty()) break;
    api::ChatDelta::ToolCallDelta td;
    td.index = (int32_t)k;
    if (k >= st.call_ids.size()) {
      st.call_ids.push_back(tc.id.empty() ? random_id("call_") : tc.id);
      td.id = st.call_ids[k];
      td.name = tc.name;
      td.arguments = tc.arguments;
    } else {
      const std::string& before = k < st.prev.tool_calls.size() ? st.prev.tool_calls[k].arguments : std::string();
      if (tc.arguments.size() <= before.size() || tc.arguments.compare(0, before.size(), before) != 0) continue;
      td.arguments = tc.arguments.substr(before.size());
    }
    d.tool_calls.push_back(std::move(td));
  }
  st.prev = now;
}

http::awaitable<void> handle_chat(NodeServer& node, const http::Request& req, http::Responder& res) {
  const auto arrival = engine::Clock::now();
  engine::Engine* eng = node.engine();
  if (!eng) {
    Error err_ = Error{Errc::unavailable, "model is loading", "", 1};
    co_await send_error(res, std::move(err_));
    co_return;
  }
  const auto& info = eng->info();
  api::ModelLimits lim{info.id, info.n_vocab, info.n_ctx, 8, -1};
  auto parsed = api::parse_chat_request(req.body, lim);
  if (!parsed) {
    Error err_ = parsed.error();
    co_await send_error(res, std::move(err_));
    co_return;
  }
  auto& rq = *parsed;
  auto rendered = eng->render_chat(rq.chat);
  if (!rendered) {
    Error err_ = rendered.error();
    co_await send_error(res, std::move(err_));
    co_return;
  }
  auto prompt = eng->tokenize(rendered->prompt, true, true);
  auto max_tokens = resolve_max_tokens(rq.common.max_tokens, prompt.size(), info.n_ctx, "messages");
  if (!max_tokens) {
    Error err_ = max_tokens.error();
    co_await send_error(res, std::move(err_));
    co_return;
  }

  const std::string id = random_id("chatcmpl-");
  const int64_t created = unix_now();
  const bool parse_tools = rq.tools_requested;
  const bool want_lp = rq.common.sampling.logprobs;
  AccessRecord log{id, info.id, "/v1/chat/completions", 200, rq.common.stream};
  log.prompt_tokens = (int32_t)prompt.size();

  Generation gen(res);
  for (int i = 0; i < rq.common.n; ++i) {
    auto g = make_request(rq.common, prompt, *max_tokens, id, i, arrival);
    for (const auto& s : rendered->additional_stops) g.stop.push_back(s);
    g.chat = rendered->parser;
    auto st = gen.submit(*eng, std::move(g));
    if (!st) {
      log.status = http_status(st.error().code);
      log.error = st.error().message;
      log_access(log);
      {
    Error err_ = st.error();
    co_await send_error(res, std::move(err_));
    co_return;
  }
    }
  }

  std::vector<ChoiceState> states(rq.common.n);
  Totals tot;
  tot.usage.prompt_tokens = (int32_t)prompt.size();
  std::vector<api::ChoiceResult> results(rq.common.n);
  bool streaming = rq.common.stream;
  if (streaming && !co_await res.start_stream(200, "text/event-stream")) co_return;

  while (true) {
    auto events = co_await gen.next();
    if (events.empty()) break;
    for (auto& [i, ev] : events) {
      auto& st = states[i];
      if (i == 0 && ev.finish != FinishReason::none) tot.usage.cached_tokens = ev.usage.cached_tokens;
      st.text += ev.text;
      if (ev.finish == FinishReason::cancelled) {
        gen.cancel();
        continue;
      }
      if (ev.finish == FinishReason::error) {
        std::string why = ev.error;
        co_await fail_generation(res, gen, log, streaming, std::move(why));
        co_return;
      }
      const bool final = ev.finish != FinishReason::none;
      if (final) tot.add(ev, i == 0);
      FinishReason fr = ev.finish;
      engine::ChatParsed parsed_now;
      if (parse_tools) parsed_now = rendered->parser->parse(st.text, !final);
      if (final && parse_tools && !parsed_now.tool_calls.empty()) fr = FinishReason::tool_calls;

      if (streaming) {
        api::ChatDelta d;
        d.index = (int32_t)i;
        d.first = !st.started;
        d.want_logprobs = want_lp;
        d.logprobs = std::move(ev.logprobs);
        if (parse_tools) diff_parsed(st, parsed_now, d);
        else d.content = ev.text;
        bool has_delta = !d.content.empty() || !d.tool_calls.empty() || !d.logprobs.empty() || d.first;
        if (has_delta) {
          st.started = true;
          {
            std::string chunk_ = api::chat_chunk_sse(id, info.id, created, d);
            if (!co_await res.write(chunk_)) co_return;
          }
        }
        if (final) {
          api::ChatDelta fin;
          fin.index = (int32_t)i;
          fin.finish = fr;
          {
            std::string chunk_ = api::chat_chunk_sse(id, info.id, created, fin);
            if (!co_await res.write(chunk_)) co_return;
          }
        }
      } else {
        auto& r = results[i];
        r.index = (int32_t)i;
        r.want_logprobs = want_lp;
        for (auto& l : ev.logprobs) r.logprobs.push_back(std::move(l));
        if (final) {
          r.finish = fr;
          if (parse_tools) {
            r.text = parsed_now.content;
            r.reasoning_content = parsed_now.reasoning_content;
            r.tool_calls = parsed_now.tool_calls;
            for (auto& tc : r.tool_calls)
              if (tc.id.empty()) tc.id = random_id("call_");
          } else {
            r.text = st.text;
          }
        }
      }
    }
  }
  const bool gone = res.disconnect()->fired();
  log_finished(log, tot, gone);
  if (gone) co_return;
  if (streaming) {
    if (rq.common.include_usage)
      {
        std::string chunk_ = api::usage_chunk_sse(id, info.id, created, "chat.completion.chunk", tot.usage);
        if (!co_await res.write(chunk_)) co_return;
      }
    if (!co_await res.write(api::kSseDone)) co_return;
    co_await res.end_stream();
  } else {
    std::string body = api::chat_response_json(id, info.id, created, results, tot.usage);
    co_await res.send(200, std::move(body));
  }
}

http::awaitable<void> handle_completion(NodeServer& node, const http::Request& req, http::Responder& res) {
  const auto arrival = engine::Clock::now();
  engine::Engine* eng = node.engine();
  if (!eng) {
    Error err_ = Error{Errc::unavailable, "model is loading", "", 1};
    co_await send_error(res, std::move(err_));
    co_return;
  }
  const auto& info = eng->info();
  api::ModelLimits lim{info.id, info.n_vocab, info.n_ctx, 8, -1};
  auto parsed = api::parse_completion_request(req.body, lim);
  if (!parsed) {
    Error err_ = parsed.error();
    co_await send_error(res, std::move(err_));
    co_return;
  }
  auto& rq = *parsed;

  std::string grammar;
  if (rq.common.json_schema) {
    auto g = engine::json_schema_to_gbnf(*rq.common.json_schema);
    if (!g) {
    Error err_ = g.error();
    co_await send_error(res, std::move(err_));
    co_return;
  }
    grammar = std::move(*g);
  }
  struct P {
    std::vector<engine::Token> tokens;
    std::string echo;
    int32_t max_tokens;
  };
  std::vector<P> prompts;
  for (const auto& p : rq.prompts) {
    P x;
    x.tokens = p.is_tokens ? p.tokens : eng->tokenize(p.text, true, true);
    if (x.tokens.empty()) {
    Error err_ = Error::invalid("prompt must not be empty", "prompt");
    co_await send_error(res, std::move(err_));
    co_return;
  }
    if (rq.echo) x.echo = p.is_tokens ? eng->detokenize(p.tokens) : p.text;
    auto mt = resolve_max_tokens(rq.common.max_tokens, x.tokens.size(), info.n_ctx, "prompt");
    if (!mt) {
    Error err_ = mt.error();
    co_await send_error(res, std::move(err_));
    co_return;
  }
    x.max_tokens = *mt;
    prompts.push_back(std::move(x));
  }

  const std::string id = random_id("cmpl-");
  const int64_t created = unix_now();
  const bool want_lp = rq.common.sampling.logprobs;
  const int n = rq.common.n;
  AccessRecord log{id, info.id, "/v1/completions", 200, rq.common.stream};
  Totals tot;
  for (const auto& p : prompts) tot.usage.prompt_tokens += (int32_t)p.tokens.size();
  log.prompt_tokens = tot.usage.prompt_tokens;

  Generation gen(res);
  for (size_t pi = 0; pi < prompts.size(); ++pi) {
    for (int i = 0; i < n; ++i) {
      auto g = make_request(rq.common, prompts[pi].tokens, prompts[pi].max_tokens, id, i, arrival);
      g.sampling.grammar = grammar;
      auto st = gen.submit(*eng, std::move(g));
      if (!st) {
        log.status = http_status(st.error().code);
        log.error = st.error().message;
        log_access(log);
        {
    Error err_ = st.error();
    co_await send_error(res, std::move(err_));
    co_return;
  }
      }
    }
  }
  const size_t total = prompts.size() * n;
  std::vector<api::ChoiceResult> results(total);
  std::vector<bool> echoed(total, false);
  const bool streaming = rq.common.stream;
  if (streaming && !co_await res.start_stream(200, "text/event-stream")) co_return;

  while (true) {
    auto events = co_await gen.next();
    if (events.empty()) break;
    for (auto& [i, ev] : events) {
      if (ev.finish == FinishReason::cancelled) {
        gen.cancel();
        continue;
      }
      if (ev.finish == FinishReason::error) {
        std::string why = ev.error;
        co_await fail_generation(res, gen, log, streaming, std::move(why));
        co_return;
      }
      const bool final = ev.finish != FinishReason::none;
      if (final) {
        tot.add(ev, i == 0);
        tot.usage.cached_tokens += ev.usage.cached_tokens;
      }
      std::string text = std::move(ev.text);
      if (!echoed[i]) {
        echoed[i] = true;
        text = prompts[i / n].echo + text;
      }
      if (streaming) {
        if (!text.empty() || !ev.logprobs.empty()) {
          std::string chunk_ =
              api::completion_chunk_sse(id, info.id, created, (int32_t)i, text, ev.logprobs, want_lp, std::nullopt);
          if (!co_await res.write(chunk_)) co_return;
        }
        if (final) {
          std::string chunk_ = api::completion_chunk_sse(id, info.id, created, (int32_t)i, "", {}, want_lp, ev.finish);
          if (!co_await res.write(chunk_)) co_return;
        }
      } else {
        auto& r = results[i];
        r.index = (int32_t)i;
        r.want_logprobs = want_lp;
        r.text += text;
        for (auto& l : ev.logprobs) r.logprobs.push_back(std::move(l));
        if (final) r.finish = ev.finish;
      }
    }
  }
  const bool gone = res.disconnect()->fired();
  log_finished(log, tot, gone);
  if (gone) co_return;
  if (streaming) {
    if (rq.common.include_usage)
      {
        std::string chunk_ = api::usage_chunk_sse(id, info.id, created, "text_completion", tot.usage);
        if (!co_await res.write(chunk_)) co_return;
      }
    if (!co_await res.write(api::kSseDone)) co_return;
    co_await res.end_stream();
  } else {
    std::string body = api::completion_response_json(id, info.id, created, results, tot.usage);
    co_await res.send(200, std::move(body));
  }
}

}  // namespace

void register_openai_routes(http::Server& server, NodeServer& node) {
  server.route("POST", "/v1/chat/completions", [&node](const http::Request& req, http::Responder& res) {
    return handle_chat(node, req, res);
  });
  server.route("POST", "/v1/completions", [&node](const http::Request& req, http::Responder& res) {
    return handle_completion(node, req, res);
  });
}

}  // namespace wharf::node
