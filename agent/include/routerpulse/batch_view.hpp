// routerpulse — BatchView: the read-only batch an output writes.
//
// After the last processor, a pipeline's batch is shared by all of its
// outputs (OpenTelemetry Collector's fan-out without copies): each output
// buffers pointers to the metrics it accepts (namepass/namedrop are applied
// before anything is copied) and cuts its write batches from those. A
// BatchView is such a cut: a sequence of `const Metric&` that keeps the
// batches it points into alive until the view is destroyed.
//
// Ownership/threading: the view owns references to its source batches, which
// are immutable while shared; it may be read from any thread, and outlives
// the write only if the output copies it (views are cheap to copy: pointers).
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <vector>

#include "routerpulse/metric.hpp"

namespace routerpulse {

/// A batch shared read-only by several consumers.
using SharedBatch = std::shared_ptr<const MetricBatch>;

class BatchView {
 public:
  /// Random-access iterator yielding `const Metric&`.
  class iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Metric;
    using difference_type = std::ptrdiff_t;
    using pointer = const Metric*;
    using reference = const Metric&;
    iterator() = default;
    explicit iterator(const Metric* const* p) : p_(p) {}
    reference operator*() const { return **p_; }
    pointer operator->() const { return *p_; }
    reference operator[](difference_type n) const { return *p_[n]; }
    iterator& operator++() { ++p_; return *this; }
    iterator operator++(int) { auto t = *this; ++p_; return t; }
    iterator& operator--() { --p_; return *this; }
    iterator operator--(int) { auto t = *this; --p_; return t; }
    iterator& operator+=(difference_type n) { p_ += n; return *this; }
    iterator& operator-=(difference_type n) { p_ -= n; return *this; }
    friend iterator operator+(iterator a, difference_type n) { return a += n; }
    friend iterator operator+(difference_type n, iterator a) { return a += n; }
    friend iterator operator-(iterator a, difference_type n) { return a -= n; }
    friend difference_type operator-(iterator a, iterator b) { return a.p_ - b.p_; }
    friend auto operator<=>(const iterator&, const iterator&) = default;
   private:
    const Metric* const* p_ = nullptr;
  };
  using const_iterator = iterator;
  using value_type = Metric;

  BatchView() = default;
  /// A view of every metric of `batch`, which must outlive the view (tests,
  /// outputs that write their own metrics).
  BatchView(const MetricBatch& batch);  // NOLINT(google-explicit-constructor)
  /// A view of every metric of a shared batch, holding it.
  explicit BatchView(SharedBatch batch);

  /// Appends one metric of `owner` (which the view then holds).
  void add(const Metric* m) { items_.push_back(m); }
  /// Keeps `owner` alive as long as the view.
  void hold(SharedBatch owner) { owners_.push_back(std::move(owner)); }
  void reserve(size_t n) { items_.reserve(n); }

  size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  const Metric& operator[](size_t i) const { return *items_[i]; }
  const Metric& front() const { return *items_.front(); }
  const Metric& back() const { return *items_.back(); }
  iterator begin() const noexcept { return iterator(items_.data()); }
  iterator end() const noexcept { return iterator(items_.data() + items_.size()); }

  /// A deep copy of the metrics (reload hand-over, tests).
  MetricBatch copy() const { return MetricBatch(begin(), end()); }

 private:
  std::vector<const Metric*> items_;
  std::vector<SharedBatch> owners_;
};

inline BatchView::BatchView(const MetricBatch& batch) {
  items_.reserve(batch.size());
  for (const auto& m : batch) items_.push_back(&m);
}

inline BatchView::BatchView(SharedBatch batch) : BatchView(*batch) { owners_.push_back(std::move(batch)); }

}  // namespace routerpulse
