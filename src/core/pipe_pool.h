#pragma once

#include <cstddef>
#include <vector>

namespace sluice {

// A kernel pipe used as the in-kernel buffer of one relay direction: bytes move socket → pipe
// → socket with splice() and never enter user space.
struct Pipe {
  int readFd = -1;
  int writeFd = -1;
  bool valid() const { return readFd >= 0; }
};

// One worker's pool of empty pipes. Creating a pipe costs two file descriptors and a syscall or
// three; connections come and go far more often than that should be paid, so released pipes
// are kept (up to `maxIdle`) and handed out again. Only an empty pipe may be released: one that
// still holds bytes is closed instead, since its bytes belong to a dead connection.
// Single-threaded: owned by one worker.
class PipePool {
 public:
  // `pipeSize` is the capacity asked of the kernel (F_SETPIPE_SZ); 0 keeps the default.
  PipePool(size_t pipeSize, size_t maxIdle);
  ~PipePool();
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  // A pipe, or an invalid one (errno set) when the process is out of file descriptors.
  Pipe acquire();
  // Returns `pipe`; `empty` says whether every byte written into it was read back out.
  void release(Pipe pipe, bool empty);

  size_t idle() const { return idle_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  size_t pipeSize_;
  size_t maxIdle_;
  size_t capacity_;
  std::vector<Pipe> idle_;
};

}  // namespace sluice
