-- units.lua — rename measurements, tags and fields, scale units and turn
-- RouterOS duration strings into seconds.
--
-- Everything is driven by config; with no config every metric passes as is.
--   measurements: { pppoe_traffic: customer_traffic }   rename measurements
--   tags: { caller_id: mac_address }                    rename tags
--   fields:                                             rename and/or scale fields
--     download_bits_per_second:                         value × scale, as a float
--       { to: download_megabits_per_second, scale: 0.000001 }
--     upload_bits_per_second: upload_rate               plain rename
--   routeros_durations: [uptime]                        "1w2d3h4m5s" → uptime_seconds
--
-- Fields: only numeric values are renamed/scaled; a scaled value is a float
-- (double). A renamed field keeps Lua's type (a former uint64 becomes int64).
-- Durations: RouterOS writes them as `1w2d3h4m5s`, `500ms`, `1d02:03:04` or
-- `02:03:04`; the field is replaced by `<name>_seconds`, whole seconds as an
-- integer (sub-second parts are cut). A string that is not a duration is left
-- alone.

local measurements, tags, fields, durations = {}, {}, {}, {}

local function check_map(config, key)
  local v = config[key]
  if v == nil then return {} end
  if type(v) ~= "table" then error(("config option '%s' must be a map"):format(key)) end
  return v
end

function init(config)
  local known = { measurements = true, tags = true, fields = true, routeros_durations = true }
  for k in pairs(config) do
    if not known[k] then error(("unknown config option '%s'"):format(k)) end
  end
  measurements = check_map(config, "measurements")
  tags = check_map(config, "tags")
  for name, rule in pairs(check_map(config, "fields")) do
    if type(rule) == "string" then rule = { to = rule } end
    if type(rule) ~= "table" then error(("fields.%s must be a new name or { to:, scale: }"):format(name)) end
    if rule.scale ~= nil and type(rule.scale) ~= "number" then
      error(("fields.%s.scale must be a number"):format(name))
    end
    fields[name] = { to = rule.to or name, scale = rule.scale }
  end
  for _, name in ipairs(check_map(config, "routeros_durations")) do durations[name] = true end
end

local unit_seconds = { w = 604800, d = 86400, h = 3600, m = 60, s = 1, ms = 0.001, us = 0.000001 }

-- Seconds (integer) in a RouterOS duration, or nil when `text` is not one.
local function routeros_duration_seconds(text)
  if text == "" then return nil end
  local total, rest = 0, text
  local hh, mm, ss = text:match("(%d+):(%d%d):(%d%d)$")
  if hh then
    total = tonumber(hh) * 3600 + tonumber(mm) * 60 + tonumber(ss)
    rest = text:sub(1, #text - #hh - 6)
  end
  local pos = 1
  while pos <= #rest do
    local n, unit, next_pos = rest:match("^(%d+)(%a+)()", pos)
    if not n or not unit_seconds[unit] then return nil end
    total = total + tonumber(n) * unit_seconds[unit]
    pos = next_pos
  end
  return math.floor(total)
end

function process(m)
  m.name = measurements[m.name] or m.name
  for from, to in pairs(tags) do
    local v = m.tags[from]
    if v ~= nil then
      m.tags[from] = nil
      m.tags[to] = v
    end
  end
  for from, rule in pairs(fields) do
    local v = m.fields[from]
    if type(v) == "number" then
      m.fields[from] = nil
      m.fields[rule.to] = rule.scale and v * rule.scale + 0.0 or v
    end
  end
  for name in pairs(durations) do
    local v = m.fields[name]
    local seconds = type(v) == "string" and routeros_duration_seconds(v)
    if seconds then
      m.fields[name] = nil
      m.fields[name .. "_seconds"] = seconds
    end
  end
  return m
end
