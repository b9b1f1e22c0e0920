#include "common/metrics.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace wharf::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<double> latency_buckets() {
  return {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0,
          2.5,   5.0,   7.5,  10.0, 20.0, 40.0, 80.0, 160.0};
}

std::vector<double> token_latency_buckets() {
  return {0.001, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075,
          0.1,   0.15,  0.2,  0.3,   0.4,  0.5,   0.75, 1.0,  2.5,  5.0, 80.0};
}

std::string escape_label(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

namespace {

std::string fmt_num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  return buf;
}

std::string label_str(const Labels& labels, const std::string& extra_k = {},
                      const std::string& extra_v = {}) {
  if (labels.empty() && extra_k.empty()) return "";
  std::string s = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) s += ",";
    first = false;
    s += k + "=\"" + escape_label(v) + "\"";
  }
  if (!extra_k.empty()) {
    if (!first) s += ",";
    s += extra_k + "=\"" + extra_v + "\"";
  }
  return s + "}";
}

}  // namespace

Registry::Series& Registry::get(const std::string& name, const std::string& help, Kind kind,
                                const Labels& labels, std::vector<double>* bounds) {
  std::lock_guard lk(mu_);
  Family* fam;
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    families_.push_back(std::make_unique<Family>(Family{name, help, kind, {}}));
    fam = families_.back().get();
    by_name_[name] = fam;
  } else {
    fam = it->second;
    if (fam->kind != kind) throw std::logic_error("metric kind mismatch: " + name);
  }
  for (auto& s : fam->series)
    if (s->labels == labels) return *s;
  auto s = std::make_unique<Series>();
  s->labels = labels;
  if (kind == Kind::counter) s->c = std::make_unique<Counter>();
  if (kind == Kind::gauge) s->g = std::make_unique<Gauge>();
  if (kind == Kind::histogram) s->h = std::make_unique<Histogram>(std::move(*bounds));
  fam->series.push_back(std::move(s));
  return *fam->series.back();
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  return *get(name, help, Kind::counter, labels, nullptr).c;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  return *get(name, help, Kind::gauge, labels, nullptr).g;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               std::vector<double> bounds, const Labels& labels) {
  return *get(name, help, Kind::histogram, labels, &bounds).h;
}

std::string Registry::render() const {
  std::lock_guard lk(mu_);
  std::string out;
  for (const auto& f : families_) {
    const char* type = f->kind == Kind::counter ? "counter" : f->kind == Kind::gauge ? "gauge" : "histogram";
    out += "# HELP " + f->name + " " + f->help + "\n";
    out += "# TYPE " + f->name + " " + type + "\n";
    for (const auto& s : f->series) {
      if (s->c) out += f->name + label_str(s->labels) + " " + fmt_num(s->c->value()) + "\n";
      if (s->g) out += f->name + label_str(s->labels) + " " + fmt_num(s->g->value()) + "\n";
      if (s->h) {
        uint64_t cum = 0;
        const auto& b = s->h->bounds();
        for (size_t i = 0; i <= b.size(); ++i) {
          cum += s->h->bucket(i);
          std::string le = i < b.size() ? fmt_num(b[i]) : "+Inf";
          out += f->name + "_bucket" + label_str(s->labels, "le", le) + " " + std::to_string(cum) + "\n";
        }
        out += f->name + "_sum" + label_str(s->labels) + " " + fmt_num(s->h->sum()) + "\n";
        out += f->name + "_count" + label_str(s->labels) + " " + std::to_string(s->h->count()) + "\n";
      }
    }
  }
  return out;
}

}  // namespace wharf::metrics
