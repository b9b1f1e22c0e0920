// Prometheus metrics registry: counters, gauges and histograms with label sets, rendered in
// the Prometheus text exposition format (version 0.0.4).
// Thread-safety: every method is safe to call from any thread. Metric handles returned by the
// registry stay valid for the registry's lifetime; updating them is lock-free.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace wharf::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(double v = 1.0) { v_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0.0};
};

class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) { v_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1.0) { v_.fetch_sub(v, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);  // upper bounds, ascending; +Inf is implicit
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count of bucket i (i == bounds().size() is the +Inf bucket).
  uint64_t bucket(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Bucket presets (seconds) in the spirit of vLLM's.
std::vector<double> latency_buckets();      // 1 ms .. 160 s, for TTFT / E2E / queue time
std::vector<double> token_latency_buckets();  // 1 ms .. 80 s, for ITL / TPOT

class Registry {
 public:
  // Get-or-create. The same (name, labels) always returns the same object. `help` is taken from
  // the first registration of a name. Names must be valid Prometheus metric names.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                       const Labels& labels = {});

  // Text exposition of every registered metric, families in registration order.
  std::string render() const;

 private:
  enum class Kind { counter, gauge, histogram };
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> c;
    std::unique_ptr<Gauge> g;
    std::unique_ptr<Histogram> h;
  };
  struct Family {
    std::string name, help;
    Kind kind;
    std::vector<std::unique_ptr<Series>> series;
  };
  Series& get(const std::string& name, const std::string& help, Kind kind, const Labels& labels,
              std::vector<double>* bounds);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;
  std::map<std::string, Family*> by_name_;
};

// Escapes a label value for the exposition format.
std::string escape_label(const std::string& v);

}  // namespace wharf::metrics
