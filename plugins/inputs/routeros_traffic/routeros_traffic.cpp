// Input `routeros_traffic`: live PPPoE customer traffic (monitor-traffic
// streams), PPPoE sessions, interface counters and router health from
// MikroTik RouterOS over the API. README.md documents options and metrics;
// TrafficInput (traffic_input.hpp) is the component.
#include "routerpulse/plugin.hpp"
#include "traffic_input.hpp"

ROUTERPULSE_PLUGIN(input, routeros_traffic,
                   "Live PPPoE customer traffic, PPPoE sessions, interface counters and health from RouterOS routers",
                   routerpulse::routeros_traffic::TrafficInput)
