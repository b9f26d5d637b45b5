#include "series_store.hpp"

#include <algorithm>
#include <utility>

#include "routerpulse/exposition.hpp"

namespace routerpulse::prom {

SeriesStore::SeriesStore(StoreOptions options) : opt_(options) {}

SeriesStore::~SeriesStore() = default;

UpdateStats SeriesStore::update(const BatchView& batch, SteadyTime now) {
  UpdateStats st;
  std::lock_guard lk(mu_);
  const size_t n = batch.size();
  TagEntry* entries[kBlock];
  for (size_t base = 0; base < n; base += kBlock) {
    const size_t count = std::min(kBlock, n - base);
    // Stages of the block, each prefetching what the next one reads: the
    // table slots and the field arrays, the entries, their bindings, the
    // series. A stage's misses overlap with each other.
    for (size_t i = 0; i < count; ++i) {
      const Metric& m = batch[base + i];
      cache_.prefetch(m.tag_set().get());
      __builtin_prefetch(m.fields().data());
    }
    for (size_t i = 0; i < count; ++i) {
      entries[i] = cache_.find(batch[base + i].tag_set().get());
      if (entries[i]) __builtin_prefetch(entries[i]);
    }
    for (size_t i = 0; i < count; ++i) {
      if (!entries[i]) continue;
      const auto& v = entries[i]->bindings;
      const char* p = reinterpret_cast<const char*>(v.data());
      for (size_t at = 0; at < v.size() * sizeof(Binding); at += 64) __builtin_prefetch(p + at);
    }
    for (size_t i = 0; i < count; ++i)
      if (entries[i])
        for (const Binding& b : entries[i]->bindings) __builtin_prefetch(b.series, 1);

    bool bound = false;  // a miss may drop or re-key entries: look the rest of the block up again
    for (size_t i = 0; i < count; ++i) {
      const Metric& m = batch[base + i];
      TagEntry* e = bound ? cache_.find(m.tag_set().get()) : entries[i];
      for (const Field& f : m.fields()) {
        const auto sample = to_sample(f.value);
        if (!sample) {
          ++st.string_fields;
          continue;
        }
        if (!e) {
          e = &entry(m);
          bound = true;
        }
        Binding* b = nullptr;
        for (auto& x : e->bindings) {
          if (x.field == f.key && x.type == m.type() && x.metric == m.name()) {
            b = &x;
            break;
          }
        }
        if (!b) {
          b = &bind(*e, m, f.key, now);
          bound = true;
        }
        Series& s = *b->series;
        s.value = scaled(*sample, b->factor);
        s.updated = now;
        ++st.samples;
      }
    }
  }
  return st;
}

SeriesStore::TagEntry& SeriesStore::entry(const Metric& m) {
  std::string labels;
  if (m.tag_set()) append_labels(labels, *m.tag_set());
  auto it = by_labels_.find(std::string_view(labels));
  if (it == by_labels_.end()) {
    auto e = std::make_unique<TagEntry>();
    e->tags = m.tag_set();
    e->labels = std::make_shared<const std::string>(std::move(labels));
    e->bindings.reserve(4);
    TagEntry* p = cache_.insert(m.tag_set().get(), std::move(e));
    by_labels_.emplace(std::string_view(*p->labels), p);
    return *p;
  }
  // The same labels under another TagSet: move the entry over to this one.
  TagEntry& old = *it->second;
  auto e = std::make_unique<TagEntry>();
  e->tags = m.tag_set();
  e->labels = old.labels;
  e->bindings = std::move(old.bindings);
  for (const Binding& b : e->bindings) b.series->owner = e.get();
  TagEntry* p = e.get();
  it->second = p;  // the key views the same shared labels
  cache_.erase(old.tags.get());  // destroys `old`, releasing its TagSet
  cache_.insert(m.tag_set().get(), std::move(e));
  return *p;
}

SeriesStore::Binding& SeriesStore::bind(TagEntry& e, const Metric& m, const Key& field, SteadyTime now) {
  name_buf_.clear();
  const double factor = append_series_name(name_buf_, m.name(), field.view(), m.type(), opt_.base_units);
  auto fit = families_.find(std::string_view(name_buf_));
  if (fit == families_.end()) {
    auto fam = std::make_unique<Family>();
    fam->help = "Field " + field + " of metric " + m.name() + " (routerpulse).";
    fam->type = type_name(m.type());
    fam->born = epoch_;
    fit = families_.emplace(name_buf_, std::move(fam)).first;
  }
  Family& fam = *fit->second;
  // The series of these labels in this family is bound from `e` if it exists
  // (two fields whose names map to one series, e.g. rtt_ms and rtt_s).
  Series* s = nullptr;
  for (const Binding& b : e.bindings)
    if (b.series->family == &fam) s = b.series;
  if (!s) {
    uint32_t i = 0;
    if (!fam.free.empty()) {
      i = fam.free.back();
      fam.free.pop_back();
    } else {
      i = static_cast<uint32_t>(fam.slots.size());
      fam.slots.emplace_back();
    }
    s = &fam.slots[i];
    s->labels = e.labels;
    s->family = &fam;
    s->born = epoch_;
    s->updated = now;
    s->value = int64_t{0};
    s->live = true;
    s->owner = &e;
    ++fam.live;
    size_.fetch_add(1, std::memory_order_relaxed);
  }
  e.bindings.push_back(Binding{field, m.type(), factor, s, m.name()});
  return e.bindings.back();
}

void SeriesStore::unbind(Series& s) {
  TagEntry* owner = s.owner;
  if (!owner) return;
  s.owner = nullptr;
  std::erase_if(owner->bindings, [&s](const Binding& b) { return b.series == &s; });
  if (owner->bindings.empty()) drop(*owner);
}

void SeriesStore::drop(TagEntry& e) {
  by_labels_.erase(std::string_view(*e.labels));
  cache_.erase(e.tags.get());  // destroys `e`, releasing its TagSet
}

void SeriesStore::free_slot(Family& fam, uint32_t i) {
  Series& s = fam.slots[i];
  unbind(s);
  s.labels.reset();
  s.family = nullptr;
  s.live = false;
  fam.free.push_back(i);
  --fam.live;
  size_.fetch_sub(1, std::memory_order_relaxed);
}

size_t SeriesStore::expire(SteadyTime now) {
  if (opt_.expire_after <= Duration::zero()) return 0;
  const auto cutoff = now - std::chrono::duration_cast<SteadyTime::duration>(opt_.expire_after);
  size_t dropped = 0;
  std::string at;  // family to resume in after a pause
  size_t slot = 0;
  std::unique_lock lk(mu_);
  auto fit = families_.begin();
  for (;;) {
    size_t budget = kExpireChunk;
    while (fit != families_.end() && budget > 0) {
      Family& fam = *fit->second;
      for (; slot < fam.slots.size() && budget > 0; ++slot, --budget) {
        Series& s = fam.slots[slot];
        if (s.live && s.updated < cutoff) {
          free_slot(fam, static_cast<uint32_t>(slot));
          ++dropped;
        }
      }
      if (slot < fam.slots.size()) break;  // paused inside this family
      slot = 0;
      fit = fam.live == 0 ? families_.erase(fit) : std::next(fit);
    }
    if (fit == families_.end()) break;
    at = fit->first;
    lk.unlock();  // let update() in
    lk.lock();
    fit = families_.lower_bound(at);
    if (fit == families_.end() || fit->first != at) slot = 0;  // the family went away: go on with the next
  }
  return dropped;
}

void SeriesStore::write(std::string& out) const {
  std::string buf;  // formatted under the lock, appended to `out` outside it
  buf.reserve(kRenderChunk * 192);
  std::string at;  // family to resume in after a pause
  const Family* cur = nullptr;
  size_t slot = 0;
  bool header = false;  // cur's header written
  std::unique_lock lk(mu_);
  const uint64_t epoch = ++epoch_;  // what is born from now on is not ours to show
  auto fit = families_.begin();
  for (;;) {
    size_t budget = kRenderChunk;
    while (fit != families_.end() && budget > 0) {
      const Family& fam = *fit->second;
      if (&fam != cur) {
        cur = &fam;
        slot = 0;
        header = false;
      }
      if (fam.born < epoch) {
        for (; slot < fam.slots.size() && budget > 0; ++slot, --budget) {
          const Series& s = fam.slots[slot];
          if (!s.live || s.born >= epoch) continue;
          if (!header) {
            exposition::append_family_header(buf, fit->first, fam.help, fam.type);
            header = true;
          }
          buf += fit->first;
          buf += *s.labels;
          buf.push_back(' ');
          std::visit([&buf](auto v) { exposition::append_value(buf, v); }, s.value);
          buf.push_back('\n');
        }
        if (slot < fam.slots.size()) break;  // paused inside this family
      }
      ++fit;
    }
    if (fit == families_.end()) break;
    at = fit->first;
    lk.unlock();  // let update() in while the chunk is copied out
    out += buf;
    buf.clear();
    lk.lock();
    fit = families_.lower_bound(at);
    // A family erased meanwhile (and maybe created again, as a new object born
    // after `epoch`) is not resumed: `cur` no longer matches.
    if (fit != families_.end() && fit->first != at) cur = nullptr;
  }
  lk.unlock();
  out += buf;
}

size_t SeriesStore::cached_tag_sets() const {
  std::lock_guard lk(mu_);
  return cache_.size();
}

}  // namespace routerpulse::prom
