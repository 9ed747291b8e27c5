// The auth module in one include: ZAP messages, address rules, password tables, policies and
// their decision function (deferred decisions included), and the thread authenticator that
// serves them. loop_authenticator (<zmqsec/auth/loop_authenticator.hpp>) is target
// zmqsec::auth_loop.
#pragma once

#include <zmqsec/auth/address_rules.hpp>
#include <zmqsec/auth/authenticator.hpp>
#include <zmqsec/auth/authenticator_stats.hpp>
#include <zmqsec/auth/decider.hpp>
#include <zmqsec/auth/decision.hpp>
#include <zmqsec/auth/deferred.hpp>
#include <zmqsec/auth/passwords.hpp>
#include <zmqsec/auth/policy.hpp>
#include <zmqsec/auth/policy_file.hpp>
#include <zmqsec/auth/server_socket.hpp>
#include <zmqsec/auth/session_guard.hpp>
#include <zmqsec/auth/store_snapshots.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/auth/zap.hpp>
