#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/clock.h"
#include "core/timer_queue.h"

namespace sluice {

// Something that owns a file descriptor registered with an EventLoop.
class IoHandler {
 public:
  // Called on the loop's thread with the epoll event mask (EPOLLIN, EPOLLOUT, EPOLLRDHUP,
  // EPOLLHUP, EPOLLERR). Registration is edge-triggered: the handler must read or write until
  // EAGAIN, or remember that it stopped early, because the same readiness is not reported twice.
  // A handler closed earlier in the same batch still receives its pending events and must
  // ignore them; its memory stays valid until the batch ends (see EventLoop::deferDelete).
  virtual void onIo(uint32_t events) = 0;

 protected:
  ~IoHandler() = default;
};

// An object whose destruction must wait until the current batch of events is dispatched.
class Deferrable {
 public:
  virtual ~Deferrable() = default;
};

// One worker's event loop: epoll (edge-triggered), timers, and a queue through which other
// threads hand it work. Everything but post() and wake() runs on the loop's own thread.
class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers `fd` for `events` (EPOLLET is added). Returns false with errno set on failure.
  bool add(int fd, uint32_t events, IoHandler* handler);
  // Hands a registered `fd` to another handler (one syscall, where remove() and add() take
  // two). Readiness present now is reported to the new handler.
  bool rebind(int fd, uint32_t events, IoHandler* handler);
  // Registers `fd` level-triggered: readiness is reported on every wait until it is consumed.
  // For listening sockets, so that one accept() per wake-up needs no accept() that fails.
  bool addLevelTriggered(int fd, uint32_t events, IoHandler* handler);
  // Changes a level-triggered registration's events (0: report nothing for now).
  bool changeLevelTriggered(int fd, uint32_t events, IoHandler* handler);
  // Unregisters `fd`. Closing `fd` does the same (no descriptor is ever duplicated), so this is
  // for sockets that stay open.
  void remove(int fd);

  // Destroys `object` after the current batch of events, so that handlers closed by another
  // handler in the same batch are not used after free.
  void deferDelete(std::unique_ptr<Deferrable> object);

  // Runs until stop(). Each iteration: wait for events or the next timer, dispatch events,
  // fire due timers, run posted tasks, free deferred objects.
  void run();
  void stop() { running_ = false; }
  // One iteration of run(), waiting at most `maxWaitMs` for events (0: only what is ready).
  // For tests and fuzz targets that drive a loop step by step from their own thread.
  void runOnce(int maxWaitMs);

  // Thread-safe: queues `task` to run on the loop's thread and wakes the loop. For the control
  // plane only (new config snapshots, shutdown), never per request.
  void post(std::function<void()> task);

  // The time at the start of the current iteration: cheap, and the same for every handler of
  // one batch.
  TimePoint now() const { return now_; }
  TimerQueue& timers() { return timers_; }

 private:
  class Waker;
  bool control(int operation, int fd, uint32_t events, IoHandler* handler);
  void runPostedTasks();

  int epollFd_ = -1;
  std::unique_ptr<Waker> waker_;
  bool running_ = false;
  TimePoint now_;
  TimerQueue timers_;
  std::vector<std::unique_ptr<Deferrable>> graveyard_;

  std::mutex postedMutex_;
  std::vector<std::function<void()>> posted_;
};

}  // namespace sluice
