// The device's loop. One zmq_poll per wake-up over the stop fd, the steering wake-up and both
// sockets; each direction then moves up to a batch of whole messages without waiting, as
// libzmq's proxy does (its proxy_burst_size), so the loop costs about what zmq_proxy costs.
#include <zmq.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include <zmqsec/core/zmq_error.hpp>

#include "device_state.hpp"

namespace zmqsec::proxy::detail {
namespace {

constexpr int batch = 1000;

/// What the loop counts for one socket (published to the atomics after each wake-up).
struct side_counts {
  std::uint64_t messages_received = 0, bytes_received = 0, messages_sent = 0, bytes_sent = 0;
};

/// One direction of the flow: from a socket that receives to one that sends.
struct direction {
  direction(zmq::socket_t* f, zmq::socket_t* t, side_counts* fc, side_counts* tc,
            zmq::const_buffer p, const message_filter* fl)
      : from(f), to(t), from_counts(fc), to_counts(tc), prefix(p), filter(fl) {}

  zmq::socket_t* from;
  zmq::socket_t* to;
  bool from_router = false;  // set by the forwarder
  side_counts* from_counts;
  side_counts* to_counts;
  zmq::const_buffer prefix;      // the capture frame that names the direction
  const message_filter* filter;  // null: none
  // A message the destination could not take yet: its frames still to send, and its size.
  std::vector<zmq::message_t> held;
  std::size_t held_next = 0;
  std::uint64_t held_bytes = 0;

  bool holding() const noexcept { return held_next < held.size(); }
};

struct loop_counts {
  side_counts front, back;
  std::uint64_t filtered = 0, captured = 0;
};

class forwarder {
 public:
  forwarder(device_state& s, bool front_reads, bool back_reads)
      : state_(s),
        in_{&s.front,
            &s.back,
            &counts_.front,
            &counts_.back,
            zmq::const_buffer("in", 2),
            s.front_filter ? &s.front_filter : nullptr},
        out_{&s.back, &s.front, &counts_.back, &counts_.front, zmq::const_buffer("out", 3),
             nullptr},
        front_reads_(front_reads),
        back_reads_(back_reads),
        capture_(s.capture.handle() != nullptr) {
    in_.from_router = s.front.get(zmq::sockopt::type) == ZMQ_ROUTER;
  }

  void run(const core::stop_view& stop) {
    zmq_pollitem_t items[4] = {{nullptr, stop.fd(), ZMQ_POLLIN, 0},
                               {nullptr, state_.wake.fd(), ZMQ_POLLIN, 0},
                               {state_.front.handle(), 0, 0, 0},
                               {state_.back.handle(), 0, 0, 0}};
    bool paused = false;
    while (!stop.requested()) {
      paused = steer(paused);
      items[2].events = wanted(front_reads_, in_, out_, paused);
      items[3].events = wanted(back_reads_, out_, in_, paused);
      if (zmq_poll(items, 4, -1) < 0) {
        if (zmq_errno() == EINTR) continue;
        core::throw_zmq_error("proxy: poll failed");
      }
      if ((items[1].revents & ZMQ_POLLIN) != 0) state_.wake.drain();
      if (paused) continue;
      if ((items[3].revents & ZMQ_POLLOUT) != 0) flush(in_);
      if ((items[2].revents & ZMQ_POLLOUT) != 0) flush(out_);
      if ((items[2].revents & ZMQ_POLLIN) != 0) move_batch(in_, stop);
      if ((items[3].revents & ZMQ_POLLIN) != 0) move_batch(out_, stop);
      publish();
    }
  }

 private:
  // A socket is read while its direction holds nothing, and watched for room while the other
  // direction holds a message for it.
  static short wanted(bool reads, const direction& from_here, const direction& to_here,
                      bool paused) {
    if (paused) return 0;
    short events = 0;
    if (reads && !from_here.holding()) events |= ZMQ_POLLIN;
    if (to_here.holding()) events |= ZMQ_POLLOUT;
    return events;
  }

  // Applies a pause or resume request and tells the caller it is in force.
  bool steer(bool paused) {
    const bool want = state_.pause_requested.load(std::memory_order_acquire);
    if (want == paused) return paused;
    {
      std::lock_guard lock(state_.mutex);
      state_.paused_seen = want;
    }
    state_.changed.notify_all();
    return want;
  }

  // Up to a batch; a stop or pause asked meanwhile (by the filter, say) ends it before the next
  // message.
  void move_batch(direction& d, const core::stop_view& stop) {
    for (int i = 0; i < batch && !d.holding() && !interrupted(stop); ++i) {
      if (!move_one(d)) return;
    }
  }

  bool interrupted(const core::stop_view& stop) const noexcept {
    return stop.requested() || state_.pause_requested.load(std::memory_order_relaxed);
  }

  // Receives one whole message and sends it on (or holds it); false when none is waiting.
  bool move_one(direction& d) {
    zmq::message_t frame;
    if (!d.from->recv(frame, zmq::recv_flags::dontwait)) return false;
    // A ROUTER puts the peer's routing id first, a frame without the connection's metadata: the
    // filter judges the first frame the peer sent.
    zmq::message_t envelope;
    bool enveloped = false;
    if (d.filter != nullptr && d.from_router && frame.more()) {
      envelope = std::move(frame);
      enveloped = true;
      next_frame(d, frame);
    }
    if (d.filter != nullptr && !(*d.filter)(frame)) {
      discard_rest(d, frame);
      ++counts_.filtered;
      return true;
    }
    if (capture_) capture_send(d.prefix.data(), d.prefix.size(), true);
    std::uint64_t bytes = 0;
    if (enveloped) forward_frame(d, envelope, true, bytes);
    for (;;) {
      const bool more = frame.more();
      forward_frame(d, frame, more, bytes);
      if (!more) break;
      next_frame(d, frame);
    }
    if (capture_) ++counts_.captured;
    ++d.from_counts->messages_received;
    d.from_counts->bytes_received += bytes;
    if (d.holding()) {
      d.held_bytes = bytes;
    } else {
      ++d.to_counts->messages_sent;
      d.to_counts->bytes_sent += bytes;
    }
    return true;
  }

  // The rest of a multipart message is there as soon as its first frame is (libzmq delivers
  // messages whole).
  static void next_frame(direction& d, zmq::message_t& frame) {
    if (!d.from->recv(frame, zmq::recv_flags::dontwait)) {
      throw zmqsec::error(errc::invalid_argument, "proxy: a multipart message ended early");
    }
  }

  void forward_frame(direction& d, zmq::message_t& frame, bool more, std::uint64_t& bytes) {
    bytes += frame.size();
    if (capture_) capture_copy(frame, more);
    send_or_hold(d, frame, more);
  }

  void send_or_hold(direction& d, zmq::message_t& frame, bool more) {
    if (!d.holding()) {
      const auto flags =
          more ? zmq::send_flags::sndmore | zmq::send_flags::dontwait : zmq::send_flags::dontwait;
      if (d.to->send(frame, flags)) return;
      d.held.clear();
      d.held_next = 0;
    }
    d.held.push_back(std::move(frame));
  }

  // Sends what a direction holds, as far as the destination takes it.
  void flush(direction& d) {
    while (d.holding()) {
      const bool last = d.held_next + 1 == d.held.size();
      const auto flags =
          last ? zmq::send_flags::dontwait : zmq::send_flags::sndmore | zmq::send_flags::dontwait;
      if (!d.to->send(d.held[d.held_next], flags)) return;
      ++d.held_next;
    }
    ++d.to_counts->messages_sent;
    d.to_counts->bytes_sent += d.held_bytes;
    d.held.clear();
    d.held_next = 0;
  }

  void discard_rest(direction& d, zmq::message_t& frame) {
    while (frame.more()) {
      if (!d.from->recv(frame, zmq::recv_flags::dontwait)) return;
    }
  }

  void capture_send(const void* data, std::size_t size, bool more) {
    // A PUB never blocks: a subscriber whose queue is full misses the copy, not the service.
    state_.capture.send(
        zmq::const_buffer(data, size),
        more ? zmq::send_flags::sndmore | zmq::send_flags::dontwait : zmq::send_flags::dontwait);
  }

  void capture_copy(zmq::message_t& frame, bool more) {
    zmq::message_t copy;
    copy.copy(frame);  // shares the data of large frames (libzmq counts references)
    state_.capture.send(copy, more ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                   : zmq::send_flags::dontwait);
  }

  static void publish_side(const side_counts& c, published_side& p) {
    p.messages_received.store(c.messages_received, std::memory_order_relaxed);
    p.bytes_received.store(c.bytes_received, std::memory_order_relaxed);
    p.messages_sent.store(c.messages_sent, std::memory_order_relaxed);
    p.bytes_sent.store(c.bytes_sent, std::memory_order_relaxed);
  }

  void publish() {
    publish_side(counts_.front, state_.front_stats);
    publish_side(counts_.back, state_.back_stats);
    state_.filtered.store(counts_.filtered, std::memory_order_relaxed);
    state_.captured.store(counts_.captured, std::memory_order_relaxed);
  }

  device_state& state_;
  loop_counts counts_;
  direction in_;
  direction out_;
  bool front_reads_;
  bool back_reads_;
  bool capture_;
};

bool receives(zmq::socket_ref socket) {
  const int type = socket.get(zmq::sockopt::type);
  return type != ZMQ_PUSH && type != ZMQ_PUB;
}

}  // namespace

void forward_until_stopped(device_state& state, const core::stop_view& stop) {
  forwarder f(state, receives(state.front), receives(state.back));
  f.run(stop);
}

}  // namespace zmqsec::proxy::detail
