-- target_down.lua — alert when a probed target stops answering.
--
-- Input: `icmp` metrics from the icmp input (one per target per round; tags
-- target, address and the target's own tags; field up (bool), plus
-- percent_packet_loss and average_response_ms). Other measurements pass
-- unchanged.
--
-- Output: every metric passes unchanged. Alert `target_down`, key = the
-- target tag: fires after `rounds` consecutive rounds without any reply
-- (up = false) and resolves at the first round with a reply. Labels: the
-- tags listed in `labels` that the metric has (default: address, site).
-- Value: the consecutive failed rounds. Annotation: percent_packet_loss.
-- A target removed from the list while down resolves as stale after the lua
-- processor's alert_stale_after.
--
-- Config, all optional:
--   rounds: 3            consecutive failed rounds before firing
--   severity: critical
--   cooldown: 0          seconds after a resolve before it may fire again
--   labels: [address, site]

local options = require("options")  -- shared config merging (options.lua)

local cfg = {
  rounds = 3,
  severity = "critical",
  cooldown = 0,
  labels = { "address", "site" },
}

local failed = {}  -- target -> consecutive rounds without a reply

function init(config)
  options.merge(cfg, config)
  if cfg.rounds < 1 then error("rounds must be at least 1") end
end

function process(m)
  if m.name ~= "icmp" then return m end
  local target = m.tags.target
  local up = m.fields.up
  if not target or up == nil then return m end
  if up == true or up == 1 then
    failed[target] = 0
  else
    failed[target] = (failed[target] or 0) + 1
  end
  local n = failed[target]
  local labels = {}
  for _, k in ipairs(cfg.labels) do
    if m.tags[k] then labels[k] = m.tags[k] end
  end
  alert{
    name = "target_down",
    key = target,
    severity = cfg.severity,
    condition = n >= cfg.rounds,
    cooldown = cfg.cooldown,
    value = n,
    message = n >= cfg.rounds and ("%s down: no reply for %d rounds"):format(target, n)
              or ("%s answers again"):format(target),
    labels = labels,
    annotations = { percent_packet_loss = tonumber(m.fields.percent_packet_loss) or 100 },
  }
  return m
end
