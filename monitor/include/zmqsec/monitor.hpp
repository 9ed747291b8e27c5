// The monitor module in one include: events as values (parse_monitor_message,
// recv_monitor_message), the reading end of a monitor attached and detached safely, and the
// monitor that delivers events to a callback on its own thread. The correlation with the
// authenticator's decisions is in <zmqsec/monitor/auth_correlation.hpp> (target
// zmqsec::monitor_auth).
#pragma once

#include <zmqsec/monitor/event.hpp>
#include <zmqsec/monitor/monitor.hpp>
#include <zmqsec/monitor/monitor_socket.hpp>
