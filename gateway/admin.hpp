// The admin listener (loopback by default): /healthz, /readyz, /metrics.
#pragma once

#include "gateway/upstream.hpp"

namespace bg {

class server;

awaitable<void> serve_admin(server& s, tcp::socket socket);

}  // namespace bg
