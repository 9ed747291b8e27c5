// The auth module in one include: ZAP messages, address rules, password tables, policies and
// their decision function, and the thread authenticator that serves them.
#pragma once

#include <zmqsec/auth/address_rules.hpp>
#include <zmqsec/auth/decision.hpp>
#include <zmqsec/auth/passwords.hpp>
#include <zmqsec/auth/policy.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/auth/zap.hpp>
