-- drop_noisy.lua — drop series and samples nobody looks at.
--
-- Config, all optional (defaults drop nothing):
--   drop_measurements: [neighbor]          drop these measurements entirely
--   drop_tags: { interface: "^<l2tp%-" }   drop a metric when the tag's value
--                                          matches the Lua pattern
--   drop_zero_fields: [download_drops_per_second, upload_drops_per_second]
--                                          remove these fields when they are 0
--   idle_below_bits_per_second: 0          > 0: a pppoe_traffic sample whose
--                                          download_bits_per_second and
--                                          upload_bits_per_second are both
--                                          below this is idle ...
--   idle_keep_every: 300                   ... and only one idle sample per
--                                          series (name + all tags) is kept
--                                          every this many seconds of metric
--                                          time, so idle series stay alive
--                                          in dashboards at a fraction of the
--                                          volume. The first idle sample after
--                                          traffic is always kept.
-- tick() forgets idle-series state not refreshed for 2 × idle_keep_every.

local options = require("options")  -- shared config merging (options.lua)

local cfg = {
  drop_measurements = {},
  drop_tags = {},
  drop_zero_fields = {},
  idle_below_bits_per_second = 0,
  idle_keep_every = 300,
}
local drop_measurement = {}
local last_kept = {}  -- series key → metric time (ns) of the last idle sample kept

function init(config)
  options.merge(cfg, config)
  for _, name in ipairs(cfg.drop_measurements) do drop_measurement[name] = true end
  for tag, pattern in pairs(cfg.drop_tags) do
    local ok, err = pcall(string.find, "", pattern)
    if not ok then error(("drop_tags.%s: bad Lua pattern: %s"):format(tag, err)) end
  end
end

local function series_key(m)
  local keys = {}
  for k in pairs(m.tags) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = { m.name }
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. m.tags[k] end
  return table.concat(parts, ",")
end

function process(m)
  if drop_measurement[m.name] then return nil end
  for tag, pattern in pairs(cfg.drop_tags) do
    local v = m.tags[tag]
    if v and v:find(pattern) then return nil end
  end
  for _, f in ipairs(cfg.drop_zero_fields) do
    if m.fields[f] == 0 then m.fields[f] = nil end
  end
  local idle_below = cfg.idle_below_bits_per_second
  if idle_below > 0 and m.name == "pppoe_traffic" then
    local down, up = tonumber(m.fields.download_bits_per_second), tonumber(m.fields.upload_bits_per_second)
    local key = series_key(m)
    if down and up and down < idle_below and up < idle_below then
      local last = last_kept[key]
      if last and m.time - last < cfg.idle_keep_every * 1000000000 then return nil end
      last_kept[key] = m.time
    else
      last_kept[key] = nil  -- busy again: the next idle sample is kept
    end
  end
  return m
end

function tick(now)
  local horizon = now - 2 * cfg.idle_keep_every * 1000000000
  for key, t in pairs(last_kept) do
    if t < horizon then last_kept[key] = nil end
  end
end
