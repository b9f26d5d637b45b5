-- options.lua — shared by the example rules: merge the processor's `config:`
-- map into a script's defaults, refusing unknown keys and wrong types.
--
--   local options = require("options")
--   local cfg = { threshold = 0.95 }
--   function init(config) options.merge(cfg, config) end
--
-- Errors name the option, e.g. "config option 'threshold' must be a number, got string".
local M = {}

function M.merge(defaults, config)
  for k, v in pairs(config) do
    if defaults[k] == nil then error(("unknown config option '%s'"):format(k), 2) end
    if type(v) ~= type(defaults[k]) then
      error(("config option '%s' must be a %s, got %s"):format(k, type(defaults[k]), type(v)), 2)
    end
    defaults[k] = v
  end
  return defaults
end

return M
