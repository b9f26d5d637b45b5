// `routerpulse plugins --sample NAME`: a commented agent.yaml for one plugin,
// rendered from its declared options (OptionSpec table), that passes `check`.
#pragma once

#include <ostream>
#include <string>

#include "routerpulse/plugin.hpp"

namespace routerpulse::engine {

/// The sample for `d`: every option with its doc, type and default (optional
/// ones commented out, required ones set to their example), the engine's
/// options for the kind, the plugin's sample_context, and the smallest
/// pipeline around it (input `internal`, output `file` to stdout).
std::string render_sample(const PluginDescriptor& d);

/// Looks `name` (`lua`, or `processor.lua` when ambiguous) up in `dir` and
/// prints its sample. Returns 0, or 2 with a message on `err`.
int sample_command(const std::string& dir, const std::string& name, std::ostream& out, std::ostream& err);

}  // namespace routerpulse::engine
