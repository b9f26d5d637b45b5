-- bandwidth_near_package.lua — alert when a PPPoE customer runs close to the
-- speed of the package they pay for, for a sustained time.
--
-- Input: `pppoe_traffic` metrics (tags router, pppoe_user, interface,
-- caller_id; fields download_bits_per_second, upload_bits_per_second) and
-- routeros_traffic's `customer_queue` metrics (tags router, pppoe_user;
-- fields download_limit_bps, upload_limit_bps: the customer's simple-queue
-- max-limit, absent when unlimited).
--
-- The package is, first one present wins:
--  1. the customer's queue limit (queue_limits: true): the last customer_queue
--     of the same router and pppoe_user, if it is at most queue_max_age
--     seconds older than the sample. Each direction is compared with its own
--     limit (download with download_limit_bps, upload with upload_limit_bps);
--     `max` takes the direction closer to its limit. A queue without a limit
--     in the compared direction(s) falls through to
--  2. the database package that the pg_enrich processor added. pg_enrich adds
--     whatever columns its query returns; this script reads, first one
--     present wins:
--   tag or field `package_mbps`    package speed in Mbit/s, e.g. "50" / 50
--   tag `package`                  the plan name as in etc/schema.sql, with the
--                                  speed at its end in RouterOS rate syntax
--                                  (bits/s, k/M/G = ×1000): "fiber-100M",
--                                  "biz-500M", "50M", "1G", "512k", "100Mbps",
--                                  or bare bits/s "50000000"; "10M/50M"
--                                  (upload/download as in a queue max-limit)
--                                  uses the larger value
-- (names configurable: package_tag, package_mbps_key). Metrics of other
-- measurements, without pppoe_user, or whose package has no speed (e.g.
-- "hotspot-day") pass unchanged.
--
-- Output: every metric passes. With `annotate`, pppoe_traffic metrics that
-- have a package speed get the field package_utilization_ratio (double, rate
-- / package). Alert `customer_near_package`, key = pppoe_user, label router,
-- value = the ratio, annotations package_bits_per_second,
-- rate_bits_per_second (doubles), package_source ("queue" or "database") and
-- customer_id (when pg_enrich added that tag).
--
-- Config (processors.lua/<id>.config), all optional:
--   threshold: 0.95     ratio at or above which the customer counts as "near"
--   for: 300            seconds the ratio must stay there before firing
--   cooldown: 600       seconds after a resolve before it may fire again
--   direction: max      which rate to compare: download | upload | max (of
--                       both), in the customer's direction as routeros_traffic
--                       reports them (download = what the BRAS sends)
--   severity: warning
--   annotate: true      add package_utilization_ratio to the metric
--   package_tag: package            tag holding the plan name
--   package_mbps_key: package_mbps  tag/field holding Mbit/s
--   queue_limits: true  use customer_queue limits when present
--   queue_max_age: 60   seconds a customer_queue limit stays valid (a few
--                       intervals; a customer whose queue is gone is forgotten)

local options = require("options")  -- shared config merging (options.lua)

local cfg = {
  threshold = 0.95,
  ["for"] = 300,
  cooldown = 600,
  direction = "max",
  severity = "warning",
  annotate = true,
  package_tag = "package",
  package_mbps_key = "package_mbps",
  queue_limits = true,
  queue_max_age = 60,
}

-- alert{} options, reused from call to call: only key, condition, value,
-- labels and annotations change per metric (alert{} reads them during the
-- call only). The message is a function, so it is formatted only when
-- alert{} sends or keeps it (firing), not for every metric.
local labels, annotations = {}, {}
local spec = { name = "customer_near_package", labels = labels, annotations = annotations }

function spec.message(a)
  local ann = a.annotations
  return ("%s at %.0f%% of package (%.1f of %.1f Mbit/s)"):format(a.key, a.value * 100,
    ann.rate_bits_per_second / 1e6, ann.package_bits_per_second / 1e6)
end

function init(config)
  options.merge(cfg, config)
  if cfg.direction ~= "download" and cfg.direction ~= "upload" and cfg.direction ~= "max" then
    error(("config option 'direction' must be download, upload or max, got '%s'"):format(cfg.direction))
  end
  if cfg.threshold <= 0 then error("config option 'threshold' must be > 0") end
  if cfg.queue_max_age <= 0 then error("config option 'queue_max_age' must be > 0") end
  spec.severity, spec["for"], spec.cooldown = cfg.severity, cfg["for"], cfg.cooldown
end

local multiplier = { k = 1e3, K = 1e3, M = 1e6, G = 1e9 }

-- "fiber-100M" → 100000000, "50000000" → 50000000; nil when there is no rate.
local function parse_rate(text)
  local bare = text:match("^%s*(%d+%.?%d*)%s*$")
  if bare then return tonumber(bare) end
  local number, suffix = text:match("(%d+%.?%d*)([kKMG])[bB]?[pP]?[sS]?%s*$")
  if number then return tonumber(number) * multiplier[suffix] end
  return nil
end

-- Plan name → bits/s, or nil.
local function parse_package(package)
  local up, down = package:match("^([^/]+)/([^/]+)$")
  if up then
    local a, b = parse_rate(up), parse_rate(down)
    if a and b then return math.max(a, b) end
    return nil
  end
  return parse_rate(package)
end

-- Parsed plan names (false: no speed); a network has a handful of plans, so
-- the patterns run once per plan, not per metric. Starts over past 1000.
local plan_bits, plans = {}, 0

-- Package speed in bits/s, or nil.
local function package_bits_per_second(tags, fields)
  local key = cfg.package_mbps_key
  local mbps = tonumber(tags[key]) or tonumber(fields[key])
  if mbps then return mbps * 1e6 end
  local package = tags[cfg.package_tag]
  if not package then return nil end
  local bits = plan_bits[package]
  if bits == nil then
    bits = parse_package(package) or false
    if plans >= 1000 then plan_bits, plans = {}, 0 end
    plan_bits[package], plans = bits, plans + 1
  end
  return bits or nil
end

-- Queue limits by router, then pppoe_user: { down = bits/s or nil, up = …, t = ns }.
-- Entries older than queue_max_age are swept once per queue_max_age.
local queues, next_sweep = {}, nil

local function remember_queue(m)
  local tags, fields = m.tags, m.fields
  local user, router = tags.pppoe_user, tags.router or ""
  if not user then return end
  local per_router = queues[router]
  if not per_router then
    per_router = {}
    queues[router] = per_router
  end
  local down, up = tonumber(fields.download_limit_bps), tonumber(fields.upload_limit_bps)
  if down and down <= 0 then down = nil end
  if up and up <= 0 then up = nil end
  per_router[user] = { down = down, up = up, t = m.time }
  local max_age = cfg.queue_max_age * 1e9
  if not next_sweep then next_sweep = m.time + max_age end
  if m.time >= next_sweep then
    next_sweep = m.time + max_age
    for r, users in pairs(queues) do
      for u, q in pairs(users) do
        if m.time - q.t > max_age then users[u] = nil end
      end
      if next(users) == nil then queues[r] = nil end
    end
  end
end

-- The compared rate and the queue limit for it, or nil when the customer's
-- queue has no (fresh) limit in the configured direction(s).
local function queue_rate_and_limit(tags, time, download, upload)
  local per_router = queues[tags.router or ""]
  local q = per_router and per_router[tags.pppoe_user]
  if not q or time - q.t > cfg.queue_max_age * 1e9 then return nil end
  local d = cfg.direction
  if d == "download" then
    if q.down then return download, q.down end
    return nil
  elseif d == "upload" then
    if q.up then return upload, q.up end
    return nil
  end
  if q.down and q.up then
    if download / q.down >= upload / q.up then return download, q.down end
    return upload, q.up
  end
  if q.down then return download, q.down end
  if q.up then return upload, q.up end
  return nil
end

function process(m)
  if m.name == "customer_queue" then
    if cfg.queue_limits then remember_queue(m) end
    return m
  end
  if m.name ~= "pppoe_traffic" then return m end
  local tags, fields = m.tags, m.fields
  local user = tags.pppoe_user
  if not user then return m end

  local download = tonumber(fields.download_bits_per_second) or 0
  local upload = tonumber(fields.upload_bits_per_second) or 0
  local rate, package, source
  if cfg.queue_limits then rate, package = queue_rate_and_limit(tags, m.time, download, upload) end
  if package then
    source = "queue"
  else
    package = package_bits_per_second(tags, fields)
    if not package or package <= 0 then return m end
    source = "database"
    rate = (cfg.direction == "download" and download) or (cfg.direction == "upload" and upload)
      or math.max(download, upload)
  end
  local ratio = rate / package
  if cfg.annotate then fields.package_utilization_ratio = ratio end

  spec.key = user
  spec.condition = ratio >= cfg.threshold
  spec.value = ratio
  labels.router = tags.router
  annotations.package_bits_per_second = package + 0.0
  annotations.rate_bits_per_second = rate + 0.0
  annotations.package_source = source
  annotations.customer_id = tags.customer_id
  alert(spec)
  return m
end
