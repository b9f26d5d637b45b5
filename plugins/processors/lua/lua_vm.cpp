#include "lua_vm.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace routerpulse::lua {

const char* to_string(ErrorKind k) noexcept {
  switch (k) {
    case ErrorKind::none: return "none";
    case ErrorKind::runtime: return "runtime";
    case ErrorKind::budget: return "budget";
    case ErrorKind::memory: return "memory";
    case ErrorKind::invalid: return "invalid";
  }
  return "runtime";
}

Vm::Vm(uint64_t max_instructions, size_t max_memory) : max_instructions_(max_instructions) {
  heap_.limit = max_memory;
  L_ = lua_newstate(&Vm::alloc, &heap_);
  if (!L_) throw std::runtime_error("cannot create a Lua state within max_memory=" + std::to_string(max_memory));
  heap_.L = L_;
  *static_cast<Vm**>(lua_getextraspace(L_)) = this;
}

Vm::~Vm() {
  if (L_) lua_close(L_);
  for (void*& head : heap_.free_list) {
    while (head) {
      void* next = *static_cast<void**>(head);
      std::free(head);
      head = next;
    }
  }
}

Vm& Vm::from(lua_State* L) noexcept { return **static_cast<Vm**>(lua_getextraspace(L)); }

namespace {
size_t size_class(size_t n) noexcept { return (n - 1) / 16; }  // n in 1 … kSmallMax
}  // namespace

void* Vm::small_alloc(Heap& h, size_t nsize) noexcept {
  const size_t c = size_class(nsize);
  if (void* p = h.free_list[c]) {
    h.free_list[c] = *static_cast<void**>(p);
    h.pooled -= (c + 1) * kClassBytes;
    return p;
  }
  return std::malloc((c + 1) * kClassBytes);
}

void Vm::small_free(Heap& h, void* p, size_t osize) noexcept {
  const size_t c = size_class(osize);
  const size_t bytes = (c + 1) * kClassBytes;
  if (h.pooled + bytes > kPoolMax) {
    std::free(p);
    return;
  }
  *static_cast<void**>(p) = h.free_list[c];
  h.free_list[c] = p;
  h.pooled += bytes;
}

// Blocks Lua sized ≤ kSmallMax were allocated with their class size (pool or
// malloc); larger ones with their exact size. Lua always passes the size it
// asked for as osize, so the class of a block is known on free and realloc.
void* Vm::alloc(void* ud, void* ptr, size_t osize, size_t nsize) noexcept {
  auto& h = *static_cast<Heap*>(ud);
  const size_t old = ptr ? osize : 0;  // without ptr, osize is a type tag
  if (nsize == 0) {
    if (ptr) {
      if (old <= kSmallMax)
        small_free(h, ptr, old);
      else
        std::free(ptr);
    }
    h.used -= old;
    return nullptr;
  }
  if (nsize > old && h.used - old + nsize > h.limit) {
    note_refusal(h);
    return nullptr;
  }
  void* p = nullptr;
  if (!ptr) {
    p = nsize <= kSmallMax ? small_alloc(h, nsize) : std::malloc(nsize);
  } else if (old <= kSmallMax && nsize <= kSmallMax) {
    if (size_class(old) == size_class(nsize)) {
      p = ptr;
    } else {
      p = small_alloc(h, nsize);
      if (p) {
        std::memcpy(p, ptr, old < nsize ? old : nsize);
        small_free(h, ptr, old);
      } else if (nsize < old) {
        p = ptr;  // a shrink must not fail: keep the bigger block (safe in a smaller class)
      }
    }
  } else if (old > kSmallMax && nsize > kSmallMax) {
    p = std::realloc(ptr, nsize);
  } else if (old > kSmallMax) {  // large → small: shrink to the class size
    p = std::realloc(ptr, (size_class(nsize) + 1) * kClassBytes);
  } else {  // small → large
    p = std::malloc(nsize);
    if (p) {
      std::memcpy(p, ptr, old);
      small_free(h, ptr, old);
    }
  }
  if (p) h.used = h.used - old + nsize;
  return p;
}

// Remembers where the script was when the heap hit its limit. Only reads the
// call-info chain (lua_getstack/lua_getinfo "Sl" do not allocate).
void Vm::note_refusal(Heap& h) noexcept {
  if (h.refused) return;
  h.refused = true;
  h.where[0] = '\0';
  if (!h.L) return;
  lua_Debug ar;
  for (int level = 0; level < 32 && lua_getstack(h.L, level, &ar); ++level) {
    if (!lua_getinfo(h.L, "Sl", &ar) || ar.currentline < 0) continue;
    std::snprintf(h.where, sizeof h.where, "%s:%d", ar.short_src, ar.currentline);
    return;
  }
}

void Vm::count_hook(lua_State* L, lua_Debug* ar) {
  Vm& vm = from(L);
  vm.budget_exceeded_ = true;
  // Fire again at the very next instruction: a pcall() in the script that
  // catches this error cannot continue running.
  lua_sethook(L, &Vm::count_hook, LUA_MASKCOUNT, 1);
  lua_getinfo(L, "Sl", ar);
  lua_pushfstring(L, "%s:%d: instruction budget exceeded (max_instructions=%I)", ar->short_src, ar->currentline,
                  static_cast<lua_Integer>(vm.max_instructions_));
  lua_error(L);
}

int Vm::message_handler(lua_State* L) {
  if (lua_type(L, 1) == LUA_TSTRING) return 1;
  if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
  lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  return 1;
}

CallResult Vm::call(lua_CFunction fn, void* arg) noexcept {
  budget_exceeded_ = false;
  invalid_ = false;
  heap_.refused = false;
  const int base = lua_gettop(L_);
  lua_pushcfunction(L_, &Vm::message_handler);
  lua_pushcfunction(L_, fn);
  lua_pushlightuserdata(L_, arg);
  lua_sethook(L_, &Vm::count_hook, LUA_MASKCOUNT, static_cast<int>(max_instructions_));
  const int status = lua_pcall(L_, 1, 0, base + 1);
  lua_sethook(L_, nullptr, 0, 0);

  CallResult r;
  if (status != LUA_OK) {
    const char* msg = lua_type(L_, -1) == LUA_TSTRING ? lua_tostring(L_, -1) : "(no error message)";
    const bool memory_text = std::strstr(msg, "not enough memory") != nullptr;
    try {
      if (budget_exceeded_) {
        r.kind = ErrorKind::budget;
        r.message = msg;
      } else if (status == LUA_ERRMEM || (heap_.refused && memory_text)) {
        r.kind = ErrorKind::memory;
        r.message = std::string(heap_.where[0] ? heap_.where : "?") +
                    ": memory limit exceeded (max_memory=" + std::to_string(heap_.limit) + " bytes)";
      } else {
        r.kind = invalid_ ? ErrorKind::invalid : ErrorKind::runtime;
        r.message = msg;
      }
    } catch (...) {
      r.kind = ErrorKind::memory;  // std::bad_alloc while copying the message
    }
  }
  lua_settop(L_, base);
  return r;
}

void Vm::collect_garbage() noexcept { lua_gc(L_, LUA_GCCOLLECT); }

}  // namespace routerpulse::lua
