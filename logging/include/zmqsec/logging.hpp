// zmqsec::logging: spdlog records published on ZeroMQ sockets, in pyzmq PUBHandler's format, and
// collected from them.
//
//   #include <zmqsec/logging.hpp>
//   auto sink = std::make_shared<zmqsec::logging::pub_sink_mt>("tcp://127.0.0.1:5556");
//   sink->set_root_topic("myapp");
//   auto log = std::make_shared<spdlog::logger>("app", sink);
//   log->warn("disk::low space");   // topic "myapp.WARNING.disk"
//
// pub_sink.hpp      the sink, its _mt/_st forms and pub_logger_mt/_st factories
// subscriber.hpp    receives records and hands them to a local spdlog logger
// proxy.hpp         fan-in and fan-out through libzmq's XSUB/XPUB proxy
// topic.hpp         ROOT.LEVEL.SUBTOPIC, Python's level names
// record.hpp        a received record and its JSON form
#pragma once

#include <zmqsec/logging/proxy.hpp>
#include <zmqsec/logging/pub_sink.hpp>
#include <zmqsec/logging/pub_sink_config.hpp>
#include <zmqsec/logging/record.hpp>
#include <zmqsec/logging/subscriber.hpp>
#include <zmqsec/logging/topic.hpp>
