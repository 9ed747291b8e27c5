// The issue's example, run with the test's paths; while_running gets the context while the
// authenticator serves it.
#pragma once

#include <filesystem>
#include <functional>

#include <zmq.hpp>

void run_the_issue_example(const std::filesystem::path& passwords,
                           const std::filesystem::path& clients,
                           const std::function<void(zmq::context_t&)>& while_running);
