#include "core/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sluice {

// The eventfd through which post() interrupts epoll_wait().
class EventLoop::Waker final : public IoHandler {
 public:
  Waker() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  }
  ~Waker() { ::close(fd_); }
  int fd() const { return fd_; }
  void wake() {
    uint64_t one = 1;
    // EAGAIN means the counter is already non-zero: the loop will wake anyway.
    [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
  }
  void onIo(uint32_t) override {
    uint64_t count;
    while (::read(fd_, &count, sizeof count) > 0) {
    }
  }

 private:
  int fd_;
};

EventLoop::EventLoop() : epollFd_(::epoll_create1(EPOLL_CLOEXEC)), now_(Clock::now()) {
  if (epollFd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  waker_ = std::make_unique<Waker>();
  if (!add(waker_->fd(), EPOLLIN, waker_.get())) {
    throw std::runtime_error(std::string("epoll_ctl(eventfd): ") + std::strerror(errno));
  }
}

EventLoop::~EventLoop() {
  graveyard_.clear();
  ::close(epollFd_);
}

bool EventLoop::control(int operation, int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return ::epoll_ctl(epollFd_, operation, fd, &ev) == 0;
}

bool EventLoop::add(int fd, uint32_t events, IoHandler* handler) {
  return control(EPOLL_CTL_ADD, fd, events | EPOLLET, handler);
}

bool EventLoop::rebind(int fd, uint32_t events, IoHandler* handler) {
  return control(EPOLL_CTL_MOD, fd, events | EPOLLET, handler);
}

bool EventLoop::addLevelTriggered(int fd, uint32_t events, IoHandler* handler) {
  return control(EPOLL_CTL_ADD, fd, events, handler);
}

bool EventLoop::changeLevelTriggered(int fd, uint32_t events, IoHandler* handler) {
  return control(EPOLL_CTL_MOD, fd, events, handler);
}

void EventLoop::remove(int fd) {
  ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::deferDelete(std::unique_ptr<Deferrable> object) {
  graveyard_.push_back(std::move(object));
}

void EventLoop::post(std::function<void()> task) {
  {
    std::lock_guard lock(postedMutex_);
    posted_.push_back(std::move(task));
  }
  waker_->wake();
}

void EventLoop::runPostedTasks() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(postedMutex_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks)
    task();
}

void EventLoop::run() {
  running_ = true;
  runPostedTasks();
  while (running_)
    runOnce(-1);
}

void EventLoop::runOnce(int maxWaitMs) {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  now_ = Clock::now();
  int timeout = timers_.msUntilNext(now_);
  if (maxWaitMs >= 0 && (timeout < 0 || timeout > maxWaitMs)) timeout = maxWaitMs;
  const int n = ::epoll_wait(epollFd_, events, kMaxEvents, timeout);
  if (n < 0 && errno != EINTR) {
    throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
  }
  now_ = Clock::now();
  for (int i = 0; i < n; ++i) {
    static_cast<IoHandler*>(events[i].data.ptr)->onIo(events[i].events);
  }
  timers_.fireDue(now_);
  runPostedTasks();
  // An object freed here may defer another (a stream its server connection's events): that one
  // waits for the next batch.
  std::vector<std::unique_ptr<Deferrable>> dead;
  dead.swap(graveyard_);
  dead.clear();
}

}  // namespace sluice
