#include "core/pipe_pool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace sluice {
namespace {

TEST(PipePool, ReusesEmptyPipesAndClosesOnesThatStillHoldBytes) {
  PipePool pool(256 * 1024, 4);
  Pipe a = pool.acquire();
  ASSERT_TRUE(a.valid());
  EXPECT_EQ(fcntl(a.writeFd, F_GETPIPE_SZ), 256 * 1024);
  pool.release(a, true);
  EXPECT_EQ(pool.idle(), 1u);
  Pipe again = pool.acquire();
  EXPECT_EQ(again.readFd, a.readFd) << "an empty pipe is handed out again";

  ASSERT_EQ(write(again.writeFd, "left over", 9), 9);
  pool.release(again, false);
  EXPECT_EQ(pool.idle(), 0u) << "a pipe with bytes in it must not reach another connection";
  EXPECT_EQ(fcntl(again.readFd, F_GETFD), -1) << "and is closed";
}

TEST(PipePool, KeepsAtMostMaxIdle) {
  PipePool pool(0, 2);
  Pipe p[3] = {pool.acquire(), pool.acquire(), pool.acquire()};
  for (Pipe& pipe : p)
    pool.release(pipe, true);
  EXPECT_EQ(pool.idle(), 2u);
}

}  // namespace
}  // namespace sluice
