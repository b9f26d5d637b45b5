-- static_user_offline.lua — alerts for static-IP customers from the
-- arp_presence input (plugins/inputs/arp_presence/README.md).
--
-- Input: `static_user_event` (tags router, address, interface and the
-- customer's tags such as customer_id; field event = online | offline |
-- mac_changed, mac, previous_mac) and `static_user` (field mac_mismatch, bool,
-- when a MAC is on record). The input already debounces (offline_after), so
-- this rule needs no counting of its own. Other measurements pass unchanged.
--
-- Output: every metric passes unchanged, plus
--   alert `static_user_offline`, key = router/address: fires on an `offline`
--     event, resolves on the `online` event; value 1/0;
--   alert `static_user_mac_mismatch`, key = router/address: firing while
--     `static_user` reports mac_mismatch = true (a swapped CPE, or the address
--     taken by another device); annotation mac = the MAC seen. A mac_changed
--     event is passed on as it is (outputs and webhooks can act on it).
-- Labels: the tags listed in `labels` that the metric has.
--
-- Config, all optional:
--   severity: critical        (offline)
--   mismatch_severity: warning
--   mismatch_for: 0           seconds a mismatch must last before firing
--   labels: [router, address, customer_id]

local options = require("options")  -- shared config merging (options.lua)

local cfg = {
  severity = "critical",
  mismatch_severity = "warning",
  mismatch_for = 0,
  labels = { "router", "address", "customer_id" },
}

function init(config)
  options.merge(cfg, config)
  if cfg.mismatch_for < 0 then error("mismatch_for must be >= 0") end
end

local function labels_of(m)
  local labels = {}
  for _, k in ipairs(cfg.labels) do
    if m.tags[k] then labels[k] = m.tags[k] end
  end
  return labels
end

local function who(m)
  return (m.tags.customer_id and (m.tags.customer_id .. " ") or "") .. (m.tags.address or "?")
end

function process(m)
  if m.name == "static_user_event" then
    local ev = m.fields.event
    if ev ~= "online" and ev ~= "offline" then return m end
    local down = ev == "offline"
    alert{
      name = "static_user_offline",
      key = (m.tags.router or "") .. "/" .. (m.tags.address or ""),
      severity = cfg.severity,
      condition = down,
      message = down and ("%s offline behind %s"):format(who(m), m.tags.router or "?")
                or ("%s online again"):format(who(m)),
      labels = labels_of(m),
    }
  elseif m.name == "static_user" and m.fields.mac_mismatch ~= nil then
    local bad = m.fields.mac_mismatch == true
    alert{
      name = "static_user_mac_mismatch",
      key = (m.tags.router or "") .. "/" .. (m.tags.address or ""),
      severity = cfg.mismatch_severity,
      condition = bad,
      ["for"] = cfg.mismatch_for,
      message = bad and ("%s answers with MAC %s, not the one on record"):format(who(m), tostring(m.fields.mac))
                or ("%s has the recorded MAC again"):format(who(m)),
      labels = labels_of(m),
      annotations = { mac = tostring(m.fields.mac or "") },
    }
  end
  return m
end
