#include "script.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "metric_table.hpp"

namespace routerpulse::lua {
namespace {

struct LoadArgs {
  const char* source;
  size_t size;
  const char* chunk_id;
  SandboxHost* host;
  AlertBinding* binding;
  Proxies* proxies;
  const LuaValue* config;
  int process_ref;
  int tick_ref;
  bool in_init;
};

int load_fn(lua_State* L) {
  auto& a = *static_cast<LoadArgs*>(lua_touserdata(L, 1));
  install_sandbox(L, a.host);
  install_alert(L, a.binding);
  a.proxies->install(L);
  if (luaL_loadbufferx(L, a.source, a.size, a.chunk_id, "t") != LUA_OK) return lua_error(L);
  lua_call(L, 0, 0);
  if (lua_getglobal(L, "process") != LUA_TFUNCTION)
    return luaL_error(L, "%s: the script must define a global function process(metric), found %s", a.chunk_id + 1,
                      luaL_typename(L, -1));
  a.process_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  int t = lua_getglobal(L, "tick");
  if (t == LUA_TFUNCTION)
    a.tick_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  else if (t != LUA_TNIL)
    return luaL_error(L, "%s: 'tick' must be a function, found %s", a.chunk_id + 1, luaL_typename(L, -1));
  t = lua_getglobal(L, "init");
  if (t == LUA_TFUNCTION) {
    push_value(L, *a.config);
    a.in_init = true;
    lua_call(L, 1, 0);
  } else if (t != LUA_TNIL) {
    return luaL_error(L, "%s: 'init' must be a function, found %s", a.chunk_id + 1, luaL_typename(L, -1));
  }
  return 0;
}

struct ProcessArgs {
  Reuse reuse;
  MetricBatch* out;
  Proxies* proxies;
  int ref;
};

int process_fn(lua_State* L) {
  auto& a = *static_cast<ProcessArgs*>(lua_touserdata(L, 1));
  const int64_t time = a.reuse.metric->time();
  lua_rawgeti(L, LUA_REGISTRYINDEX, a.ref);
  a.proxies->begin(L, *a.reuse.metric);  // pushes m
  lua_call(L, 1, 1);                     // result at 2
  read_result(L, 2, *a.proxies, time, *a.out, "process", &a.reuse);
  return 0;
}

struct TickArgs {
  int64_t now;
  MetricBatch* out;
  Proxies* proxies;
  int ref;
};

int tick_fn(lua_State* L) {
  auto& a = *static_cast<TickArgs*>(lua_touserdata(L, 1));
  lua_rawgeti(L, LUA_REGISTRYINDEX, a.ref);
  lua_pushinteger(L, a.now);
  lua_call(L, 1, 1);  // result at 2
  read_result(L, 2, *a.proxies, a.now, *a.out, "tick");
  return 0;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ScriptError("cannot read Lua script " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

Script::Script(ScriptConfig cfg, AlertTracker& tracker) : cfg_(std::move(cfg)), tracker_(tracker) {
  source_ = read_file(cfg_.path);
  chunk_id_ = "@" + cfg_.chunk_name;
  host_.module_dir = cfg_.module_dir;
  host_.print = cfg_.print;
  if (!cfg_.clock) cfg_.clock = &system_clock();
  host_.clock = cfg_.clock;
  binding_.default_stale_after_ns = cfg_.default_stale_after_ns;
  build();
}

Script::~Script() = default;

void Script::build() {
  std::unique_ptr<Vm> vm;
  try {
    vm = std::make_unique<Vm>(cfg_.max_instructions, cfg_.max_memory);
  } catch (const std::runtime_error& e) {
    throw ScriptError(cfg_.chunk_name + ": " + e.what());
  }
  auto proxies = std::make_unique<Proxies>();
  LoadArgs a{source_.data(), source_.size(),    chunk_id_.c_str(), &host_,    &binding_,
             proxies.get(),  &cfg_.init_config, LUA_NOREF,         LUA_NOREF, false};
  binding_.tracker = nullptr;  // alert{} is refused while loading
  host_.loading = true;
  const CallResult r = vm->call(&load_fn, &a);
  host_.loading = false;
  binding_.tracker = &tracker_;
  if (!r.ok()) throw ScriptError(r.message, a.in_init);
  vm_ = std::move(vm);  // the old state (and every proxy in it) goes first
  proxies_ = std::move(proxies);
  binding_.proxies = proxies_.get();
  process_ref_ = a.process_ref;
  tick_ref_ = a.tick_ref;
}

CallResult Script::process(Metric& in, MetricBatch& out, MetricBatch& alerts) {
  binding_.now = in.time() != 0 ? in.time() : cfg_.clock->now_ns();
  binding_.events = &alerts;
  const size_t mark = out.size();
  ProcessArgs a{Reuse{&in, false}, &out, proxies_.get(), process_ref_};
  CallResult r = vm_->call(&process_fn, &a);
  proxies_->end();  // proxies the script kept are stale from here on
  binding_.events = nullptr;
  if (!r.ok()) {
    if (a.reuse.moved) in = std::move(out[mark]);  // only after std::bad_alloc while updating
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(mark), out.end());
  }
  return r;
}

CallResult Script::tick(int64_t now, MetricBatch& out, MetricBatch& alerts) {
  if (tick_ref_ == LUA_NOREF) return {};
  binding_.now = now;
  binding_.events = &alerts;
  const size_t mark = out.size();
  TickArgs a{now, &out, proxies_.get(), tick_ref_};
  CallResult r = vm_->call(&tick_fn, &a);
  binding_.events = nullptr;
  if (!r.ok()) out.erase(out.begin() + static_cast<std::ptrdiff_t>(mark), out.end());
  return r;
}

bool Script::recover_memory() {
  vm_->collect_garbage();
  if (vm_->memory_used() <= vm_->memory_limit() / 10 * 9) return false;
  build();
  return true;
}

}  // namespace routerpulse::lua
