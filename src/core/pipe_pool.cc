#include "core/pipe_pool.h"

#include <fcntl.h>
#include <unistd.h>

namespace sluice {
namespace {

void closePipe(Pipe pipe) {
  if (pipe.readFd >= 0) ::close(pipe.readFd);
  if (pipe.writeFd >= 0) ::close(pipe.writeFd);
}

}  // namespace

PipePool::PipePool(size_t pipeSize, size_t maxIdle)
    : pipeSize_(pipeSize), maxIdle_(maxIdle), capacity_(pipeSize ? pipeSize : 65536) {}

PipePool::~PipePool() {
  for (Pipe pipe : idle_)
    closePipe(pipe);
}

Pipe PipePool::acquire() {
  if (!idle_.empty()) {
    Pipe pipe = idle_.back();
    idle_.pop_back();
    return pipe;
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return Pipe{};
  if (pipeSize_ != 0) {
    // A smaller pipe than asked for (pipe-max-size, a user's pipe quota) still works: it only
    // moves fewer bytes per splice() call, so the result is read back rather than assumed.
    const int size = ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(pipeSize_));
    if (size > 0 && static_cast<size_t>(size) < capacity_) capacity_ = static_cast<size_t>(size);
  }
  return Pipe{fds[0], fds[1]};
}

void PipePool::release(Pipe pipe, bool empty) {
  if (!pipe.valid()) return;
  if (empty && idle_.size() < maxIdle_) {
    idle_.push_back(pipe);
  } else {
    closePipe(pipe);
  }
}

}  // namespace sluice
