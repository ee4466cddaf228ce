// The admin listener (loopback by default; beyond it, with admin.token):
// / (the status page), /status.json, /healthz, /readyz, /metrics, POST /-/reload.
#pragma once

#include "gateway/upstream.hpp"

namespace bg {

class server;

awaitable<void> serve_admin(server& s, tcp::socket socket);

}  // namespace bg
