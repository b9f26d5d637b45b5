// processors/lua — one sandboxed Lua 5.4 state with an instruction budget and
// a memory limit.
//
// Memory: every allocation goes through a custom lua_Alloc (Lua 5.4 manual
// §4.6 "lua_Alloc") that refuses to grow the heap beyond `max_memory` bytes;
// Lua then raises a memory error (LUA_ERRMEM) after one emergency collection.
// The limit counts the bytes Lua asked for. Blocks of up to 256 bytes (most
// Lua objects: strings, userdata, closures, small tables) are recycled
// through per-size free lists kept by the Vm, up to 512 KiB of them, instead
// of going back to malloc: a process() call allocates a few and the next call
// reuses them. Cached blocks are not counted against max_memory.
// Instructions: before each protected call a count hook (manual §4.7
// "lua_sethook", LUA_MASKCOUNT) is armed with `max_instructions`; when it fires
// the call fails, and the hook re-arms itself at every instruction so a
// script's own pcall() cannot swallow the overrun.
//
// Errors: call() never throws and never lets a Lua error escape; it returns
// the error kind and a message carrying "script.lua:LINE:" where Lua knows it.
// Threading: a Vm is not thread-safe; the owner calls it from one strand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <lua.hpp>

namespace routerpulse::lua {

/// Why a protected call failed.
enum class ErrorKind {
  none,     ///< success
  runtime,  ///< a Lua error (error(), nil index, syntax error on load, ...)
  budget,   ///< the call ran more than max_instructions VM instructions
  memory,   ///< the heap would have grown beyond max_memory bytes
  invalid,  ///< the script returned something that is not a metric
};

/// "none" | "runtime" | "budget" | "memory" | "invalid" (the `kind` label).
const char* to_string(ErrorKind k) noexcept;

/// The outcome of Vm::call.
struct CallResult {
  ErrorKind kind = ErrorKind::none;
  std::string message;  ///< empty on success
  bool ok() const noexcept { return kind == ErrorKind::none; }
};

class Vm {
 public:
  /// Creates an empty state (no libraries). `max_instructions` is per call
  /// (1 … INT32_MAX); `max_memory` is the heap limit in bytes. Throws
  /// std::runtime_error when the state cannot be created.
  Vm(uint64_t max_instructions, size_t max_memory);
  ~Vm();
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  /// The raw state, for pushing values inside a function run by call().
  lua_State* state() const noexcept { return L_; }

  /// Runs `fn(arg)` as a protected C function with the budget armed:
  /// `fn` receives `arg` as a light userdata at stack index 1. Every Lua API
  /// call that can raise must happen inside such a function. The stack is
  /// restored afterwards.
  CallResult call(lua_CFunction fn, void* arg) noexcept;

  /// Conversion code calls this right before raising an error about a value
  /// the script returned, so the error is classified as `invalid`.
  void mark_invalid() noexcept { invalid_ = true; }

  /// True once the current call ran out of instructions (until the next call).
  bool budget_exceeded() const noexcept { return budget_exceeded_; }

  /// Bytes currently allocated by the state.
  size_t memory_used() const noexcept { return heap_.used; }
  size_t memory_limit() const noexcept { return heap_.limit; }
  uint64_t max_instructions() const noexcept { return max_instructions_; }

  /// Full garbage collection (no Lua code runs: the sandbox forbids __gc).
  void collect_garbage() noexcept;

  /// The Vm owning `L` (stored in the state's extra space).
  static Vm& from(lua_State* L) noexcept;

 private:
  static constexpr size_t kSmallMax = 256;       ///< largest pooled block, bytes
  static constexpr size_t kClassBytes = 16;      ///< pooled sizes are multiples of this
  static constexpr size_t kPoolMax = 512 << 10;  ///< free pooled bytes kept at most
  struct Heap {
    size_t used = 0;
    size_t limit = 0;
    bool refused = false;                           ///< an allocation was refused during this call
    lua_State* L = nullptr;                         ///< set once the state exists
    char where[96] = {0};                           ///< "script.lua:LINE" of the first refusal
    void* free_list[kSmallMax / kClassBytes] = {};  ///< class i: blocks of (i + 1) * 16 bytes
    size_t pooled = 0;                              ///< bytes in the free lists
  };
  static void* small_alloc(Heap& h, size_t nsize) noexcept;
  static void small_free(Heap& h, void* p, size_t osize) noexcept;
  static void* alloc(void* ud, void* ptr, size_t osize, size_t nsize) noexcept;
  static void note_refusal(Heap& h) noexcept;
  static void count_hook(lua_State* L, lua_Debug* ar);
  static int message_handler(lua_State* L);

  Heap heap_;
  lua_State* L_ = nullptr;
  uint64_t max_instructions_;
  bool budget_exceeded_ = false;
  bool invalid_ = false;
};

}  // namespace routerpulse::lua
