#include "http/proxy/upstream_pool.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace sluice {
namespace {

// A connection whose server end the test holds.
struct Connection {
  Connection() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    ours.fd = UniqueFd(fds[0]);
    ours.transport = Transport(fds[0]);
    server = UniqueFd(fds[1]);
  }
  UpstreamConnection ours;
  UniqueFd server;
};

const TimePoint kStart{};

TEST(UpstreamPool, GivesBackOnlyForTheSameKey) {
  UpstreamPool pool(4, 100, Millis(1000));
  Connection c;
  const int fd = c.ours.fd.get();
  pool.give("server-a|tls", std::move(c.ours), kStart);
  EXPECT_EQ(pool.idle(), 1u);
  EXPECT_FALSE(pool.take("server-a|other-tls", kStart).fd.valid());
  EXPECT_FALSE(pool.take("server-b|tls", kStart).fd.valid());
  UpstreamConnection back = pool.take("server-a|tls", kStart);
  EXPECT_EQ(back.fd.get(), fd);
  EXPECT_EQ(back.transport.fd(), fd);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST(UpstreamPool, DropsClosedAndExpiredConnections) {
  UpstreamPool pool(4, 100, Millis(1000));
  Connection closed, stale, fresh;
  closed.server.reset();  // the server closed it while idle
  pool.give("s", std::move(stale.ours), kStart);
  pool.give("s", std::move(fresh.ours), kStart + Millis(900));
  pool.give("s", std::move(closed.ours), kStart + Millis(900));
  const UpstreamConnection got = pool.take("s", kStart + Millis(1200));
  EXPECT_TRUE(got.fd.valid()) << "the fresh one, past the closed one";
  EXPECT_FALSE(pool.take("s", kStart + Millis(1200)).fd.valid()) << "the stale one is dropped";
  EXPECT_EQ(pool.idle(), 0u);
}

TEST(UpstreamPool, AnEventWhilePooledDropsAConnectionWithoutAskingTheSocket) {
  EventLoop loop;  // frees the registrations of dropped connections; declared first, freed last
  auto registered = [&loop](Connection& c) {
    c.ours.events.reset(new UpstreamEvents);
    c.ours.events->loop = &loop;
  };
  UpstreamPool pool(4, 100, Millis(1000));
  Connection told, untold;
  for (Connection* c : {&told, &untold}) {
    registered(*c);
    c->server.reset();  // the server closed both while they idled
  }
  // The loop reported the end of one (its registration has no owner while pooled).
  told.ours.events->onIo(EPOLLIN | EPOLLRDHUP);
  pool.give("s", std::move(untold.ours), kStart);
  pool.give("s", std::move(told.ours), kStart);
  // Unverified (a request that can go again): the reported one is dropped, the other is
  // handed out as it is; verified, it would have been dropped too.
  UpstreamConnection got = pool.take("s", kStart, false);
  EXPECT_TRUE(got.fd.valid());
  EXPECT_EQ(pool.idle(), 0u);
  // Room to write says nothing about the server's end.
  Connection open;
  registered(open);
  open.ours.events->onIo(EPOLLOUT);
  pool.give("t", std::move(open.ours), kStart);
  EXPECT_TRUE(pool.take("t", kStart).fd.valid());
}

TEST(UpstreamPool, ASweepClosesExpiredAndServerClosedConnectionsWithoutARequest) {
  EventLoop loop;
  UpstreamPool pool(4, 100, Millis(1000));
  Connection expired, closedByServer, fresh;
  for (Connection* c : {&expired, &closedByServer, &fresh}) {
    c->ours.events.reset(new UpstreamEvents);
    c->ours.events->loop = &loop;
  }
  closedByServer.server.reset();
  closedByServer.ours.events->onIo(EPOLLIN | EPOLLRDHUP);
  pool.give("a", std::move(expired.ours), kStart);
  pool.give("a", std::move(closedByServer.ours), kStart + Millis(500));
  pool.give("b", std::move(fresh.ours), kStart + Millis(500));
  EXPECT_EQ(pool.sweep(kStart + Millis(1000)), 2u);
  EXPECT_EQ(pool.idle(), 1u);
  // Our end is closed: the server's end reads EOF (no CLOSE-WAIT left on our side).
  char byte;
  EXPECT_EQ(::recv(expired.server.get(), &byte, 1, MSG_DONTWAIT), 0);
  EXPECT_TRUE(pool.take("b", kStart + Millis(1000)).fd.valid());
  EXPECT_EQ(pool.sweep(kStart + Millis(5000)), 0u);
}

TEST(UpstreamPool, BoundedPerKeyAndInAll) {
  UpstreamPool pool(2, 3, Millis(1000));
  Connection c[6];
  pool.give("a", std::move(c[0].ours), kStart);
  pool.give("a", std::move(c[1].ours), kStart);
  pool.give("a", std::move(c[2].ours), kStart);  // the oldest of "a" makes room
  EXPECT_EQ(pool.idle(), 2u);
  pool.give("b", std::move(c[3].ours), kStart);
  pool.give("c", std::move(c[4].ours), kStart);  // full: closed, not kept
  EXPECT_EQ(pool.idle(), 3u);
  EXPECT_FALSE(pool.take("c", kStart).fd.valid());
  EXPECT_TRUE(pool.take("b", kStart).fd.valid());
}

}  // namespace
}  // namespace sluice
