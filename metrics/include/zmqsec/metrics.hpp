// zmqsec::metrics: Prometheus metrics of zmqsec's authenticators, monitors, log sinks and
// tunnels, served over HTTP. See docs/metrics.md.
#pragma once

#include <zmqsec/metrics/exposer.hpp>
