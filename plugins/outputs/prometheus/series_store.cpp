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
    for (size_t i = 0; i < count; ++i)
      if (entries[i]) __builtin_prefetch(entries[i]->bindings.data());
    for (size_t i = 0; i < count; ++i)
      if (entries[i])
        for (const Binding& b : entries[i]->bindings) __builtin_prefetch(b.series, 1);

    bool bound = false;  // a miss may drop other entries: look the rest of the block up again
    for (size_t i = 0; i < count; ++i) {
      const Metric& m = batch[base + i];
      TagEntry* e = bound ? cache_.find(m.tag_set().get()) : entries[i];
      for (const Field& f : m.fields()) {
        const auto sample = to_sample(f.value);
        if (!sample) {
          ++st.string_fields;
          continue;
        }
        Binding* b = nullptr;
        if (e) {
          for (auto& x : e->bindings) {
            if (x.field == f.key && x.type == m.type() && x.metric == m.name()) {
              b = &x;
              break;
            }
          }
        }
        if (!b) {
          if (!e) e = &entry(m);
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
  auto e = std::make_unique<TagEntry>();
  e->tags = m.tag_set();
  auto labels = std::make_shared<std::string>();
  if (e->tags) append_labels(*labels, *e->tags);
  e->labels = std::move(labels);
  return *cache_.insert(m.tag_set().get(), std::move(e));
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
  Series* s = nullptr;
  if (auto it = fam.by_labels.find(std::string_view(*e.labels)); it != fam.by_labels.end()) {
    s = &fam.slots[it->second];
    if (s->owner != &e) unbind(*s);  // another TagSet with the same labels: take the series over
  } else {
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
    s->born = epoch_;
    s->updated = now;
    s->value = int64_t{0};
    s->live = true;
    fam.by_labels.emplace(std::string_view(*s->labels), i);
    ++fam.live;
    size_.fetch_add(1, std::memory_order_relaxed);
  }
  s->owner = &e;
  e.bindings.push_back(Binding{field, m.type(), factor, s, m.name()});
  return e.bindings.back();
}

void SeriesStore::unbind(Series& s) {
  TagEntry* owner = s.owner;
  if (!owner) return;
  s.owner = nullptr;
  std::erase_if(owner->bindings, [&s](const Binding& b) { return b.series == &s; });
  if (owner->bindings.empty()) cache_.erase(owner->tags.get());  // releases the TagSet
}

void SeriesStore::free_slot(Family& fam, uint32_t i) {
  Series& s = fam.slots[i];
  unbind(s);
  fam.by_labels.erase(std::string_view(*s.labels));
  s.labels.reset();
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
