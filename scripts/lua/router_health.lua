-- router_health.lua — alert on a router's CPU load and memory use.
--
-- Input: `routeros_system` metrics (tag router; fields cpu_load_percent 0..100,
-- free_memory_bytes, total_memory_bytes, as /system/resource reports
-- cpu-load, free-memory and total-memory). Other measurements pass unchanged.
--
-- Output: every metric passes; routeros_system metrics with both memory
-- fields get memory_used_ratio (double, 1 - free/total). Alerts, key = router:
--   router_cpu_high     value = cpu_load_percent
--   router_memory_high  value = memory_used_ratio; annotation free_memory_bytes
--
-- Config, all optional:
--   cpu_high_percent: 80    fire when cpu_load_percent is above this ...
--   cpu_for: 120            ... for this many seconds
--   memory_high_ratio: 0.9  fire when memory_used_ratio is above this ...
--   memory_for: 300         ... for this many seconds
--   cooldown: 300           seconds after a resolve before firing again
--   severity: warning

local options = require("options")  -- shared config merging (options.lua)

local cfg = {
  cpu_high_percent = 80,
  cpu_for = 120,
  memory_high_ratio = 0.9,
  memory_for = 300,
  cooldown = 300,
  severity = "warning",
}

function init(config)
  options.merge(cfg, config)
end

function process(m)
  if m.name ~= "routeros_system" then return m end
  local router = m.tags.router
  if not router then return m end

  local cpu = tonumber(m.fields.cpu_load_percent)
  if cpu then
    alert{
      name = "router_cpu_high",
      key = router,
      severity = cfg.severity,
      condition = cpu > cfg.cpu_high_percent,
      ["for"] = cfg.cpu_for,
      cooldown = cfg.cooldown,
      value = cpu,
      message = ("%s CPU load %.0f%% (threshold %.0f%%)"):format(router, cpu, cfg.cpu_high_percent),
    }
  end

  local free = tonumber(m.fields.free_memory_bytes)
  local total = tonumber(m.fields.total_memory_bytes)
  if free and total and total > 0 then
    local used = 1 - free / total
    m.fields.memory_used_ratio = used
    alert{
      name = "router_memory_high",
      key = router,
      severity = cfg.severity,
      condition = used > cfg.memory_high_ratio,
      ["for"] = cfg.memory_for,
      cooldown = cfg.cooldown,
      value = used,
      message = ("%s memory %.0f%% used (%.0f MiB free)"):format(router, used * 100, free / 1048576),
      annotations = { free_memory_bytes = free },
    }
  end
  return m
end
