#include "family_set.hpp"

#include <algorithm>
#include <limits>

namespace zmqsec::metrics::detail {

prometheus::ClientMetric& family_set::sample(std::string_view name, std::string_view help,
                                             prometheus::MetricType type, labels l) {
  auto family = std::find_if(families_.begin(), families_.end(),
                             [&](const prometheus::MetricFamily& f) { return f.name == name; });
  if (family == families_.end()) {
    families_.push_back({std::string(name), std::string(help), type, {}});
    family = families_.end() - 1;
  }
  prometheus::ClientMetric& metric = family->metric.emplace_back();
  for (const auto& [label, value] : l)
    metric.label.push_back({std::string(label), std::string(value)});
  return metric;
}

void family_set::counter(std::string_view name, std::string_view help, labels l,
                         std::uint64_t value) {
  sample(name, help, prometheus::MetricType::Counter, l).counter.value = static_cast<double>(value);
}

void family_set::gauge(std::string_view name, std::string_view help, labels l, double value) {
  sample(name, help, prometheus::MetricType::Gauge, l).gauge.value = value;
}

void family_set::histogram(std::string_view name, std::string_view help, labels l,
                           std::span<const double> bounds, std::span<const std::uint64_t> buckets,
                           double sum) {
  auto& h = sample(name, help, prometheus::MetricType::Histogram, l).histogram;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds.size() && i < buckets.size(); ++i) {
    cumulative += buckets[i];
    h.bucket.push_back({cumulative, bounds[i]});
  }
  if (buckets.size() > bounds.size()) cumulative += buckets[bounds.size()];
  h.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  h.sample_count = cumulative;
  h.sample_sum = sum;
}

std::uint64_t hub::add(source collect) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  sources_.emplace_back(id, std::move(collect));
  return id;
}

void hub::remove(std::uint64_t id) noexcept {
  std::lock_guard lock(mutex_);
  std::erase_if(sources_, [id](const auto& s) { return s.first == id; });
}

std::vector<prometheus::MetricFamily> hub::Collect() const {
  family_set families;
  std::lock_guard lock(mutex_);
  for (const auto& [id, collect] : sources_) collect(families);
  return families.take();
}

}  // namespace zmqsec::metrics::detail
