// The metric families of one scrape, collected from every registered component: a family
// several components report (two monitors' zmqsec_monitor_events_total) is one family with the
// samples of both, as the text format requires. Private to zmqsec::metrics.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zmqsec::metrics::detail {

/// Label names and values of one sample.
using labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class family_set {
 public:
  void counter(std::string_view name, std::string_view help, labels l, std::uint64_t value);
  void gauge(std::string_view name, std::string_view help, labels l, double value);
  /// A histogram sample from bucket counts that are not cumulative (bounds.size() + 1 of them,
  /// the last one for +Inf) and the sum of the observations.
  void histogram(std::string_view name, std::string_view help, labels l,
                 std::span<const double> bounds, std::span<const std::uint64_t> buckets,
                 double sum);

  std::vector<prometheus::MetricFamily> take() { return std::move(families_); }

 private:
  prometheus::ClientMetric& sample(std::string_view name, std::string_view help,
                                   prometheus::MetricType type, labels l);
  std::vector<prometheus::MetricFamily> families_;
};

/// What the exposer serves: every registered component's families. A registration's removal
/// waits for a collection in progress (the mutex), so a component is never read after it.
class hub final : public prometheus::Collectable {
 public:
  using source = std::function<void(family_set&)>;
  std::uint64_t add(source collect);
  void remove(std::uint64_t id) noexcept;
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::uint64_t, source>> sources_;
  std::uint64_t next_id_ = 1;
};

}  // namespace zmqsec::metrics::detail
