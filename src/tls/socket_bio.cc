#include "tls/socket_bio.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "net/read_edge.h"

namespace sluice {
namespace {

struct SocketState {
  int fd = -1;
  const char* prefix = nullptr;
  size_t offset = 0;
  size_t length = 0;
  ReadEdge edge;
  bool corked = false;
  std::string held;  // written while corked, or left over when the socket was full
};

// Sends held bytes; true once none are left. After a hard error they are dropped (the peer is
// gone) and errno says why.
bool sendHeld(SocketState* state) {
  size_t sent = 0;
  bool ok = true;
  while (sent < state->held.size()) {
    const ssize_t n =
        ::send(state->fd, state->held.data() + sent, state->held.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    ok = false;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      state->held.erase(0, sent);
      return false;
    }
    break;
  }
  std::string().swap(state->held);  // an idle connection keeps no buffer
  return ok;
}

SocketState* stateOf(BIO* bio) {
  return static_cast<SocketState*>(BIO_get_data(bio));
}

bool retryable(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

int readSocket(BIO* bio, char* out, size_t size, size_t* readBytes) {
  SocketState* state = stateOf(bio);
  BIO_clear_retry_flags(bio);
  *readBytes = 0;
  if (state->offset < state->length) {
    const size_t n = std::min(size, state->length - state->offset);
    std::memcpy(out, state->prefix + state->offset, n);
    state->offset += n;
    *readBytes = n;
    return 1;
  }
  if (state->edge.drained) {
    BIO_set_retry_read(bio);
    return 0;
  }
  const ssize_t n = ::recv(state->fd, out, size, 0);
  if (n > 0) {
    state->edge.afterRead(static_cast<size_t>(n), size);
    *readBytes = static_cast<size_t>(n);
    return 1;
  }
  if (n == 0) {
    BIO_set_flags(bio, BIO_FLAGS_IN_EOF);  // what OpenSSL asks with BIO_eof() after a 0 read
  } else if (retryable(errno)) {
    BIO_set_retry_read(bio);
  }
  return 0;
}

int writeSocket(BIO* bio, const char* data, size_t size, size_t* written) {
  BIO_clear_retry_flags(bio);
  SocketState* state = stateOf(bio);
  if (state->corked) {
    state->held.append(data, size);
    *written = size;
    return 1;
  }
  *written = 0;
  if (!state->held.empty() && !sendHeld(state)) {
    if (retryable(errno)) BIO_set_retry_write(bio);
    return 0;
  }
  const ssize_t n = ::send(state->fd, data, size, MSG_NOSIGNAL);
  if (n >= 0) {
    *written = static_cast<size_t>(n);
    return 1;
  }
  if (retryable(errno)) BIO_set_retry_write(bio);
  return 0;
}

long control(BIO* bio, int command, long, void* pointer) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0;
    case BIO_CTRL_PENDING: {
      const SocketState* state = stateOf(bio);
      return static_cast<long>(state->length - state->offset);
    }
    case BIO_C_GET_FD:
      if (pointer) *static_cast<int*>(pointer) = stateOf(bio)->fd;
      return stateOf(bio)->fd;
    default:
      return 0;
  }
}

int destroy(BIO* bio) {
  delete stateOf(bio);
  BIO_set_data(bio, nullptr);
  return 1;
}

const BIO_METHOD* method() {
  static BIO_METHOD* const kMethod = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "sluice socket");
    BIO_meth_set_read_ex(m, readSocket);
    BIO_meth_set_write_ex(m, writeSocket);
    BIO_meth_set_ctrl(m, control);
    BIO_meth_set_destroy(m, destroy);
    return m;
  }();
  return kMethod;
}

}  // namespace

BIO* newSocketBio(int fd, const char* prefix, size_t length) {
  BIO* bio = BIO_new(method());
  if (!bio) return nullptr;
  auto* state = new SocketState;
  state->fd = fd;
  state->prefix = prefix;
  state->length = length;
  BIO_set_data(bio, state);
  BIO_set_init(bio, 1);
  return bio;
}

void markSocketReadable(BIO* bio, bool peerClosed) {
  stateOf(bio)->edge.readable(peerClosed);
}

void corkSocketBio(BIO* bio) {
  stateOf(bio)->corked = true;
}

bool uncorkSocketBio(BIO* bio) {
  SocketState* state = stateOf(bio);
  state->corked = false;
  return state->held.empty() || sendHeld(state);
}

bool socketDrained(BIO* bio) {
  return stateOf(bio)->edge.drained;
}

}  // namespace sluice
