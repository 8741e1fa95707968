// libFuzzer target: ClientHelloPeek must never read outside its input, whatever the bytes and
// however they are cut into reads. Built with clang (-fsanitize=fuzzer,address,undefined).
//
//   build/fuzz/client_hello_fuzz -max_total_time=60 CORPUS_DIR

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tls/client_hello_peek.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (size_t limit : {size_t{16384}, size_t{512}}) {
    sluice::ClientHelloPeek whole(limit);
    whole.feed(bytes);
    // The same bytes in three reads, cut where the input's first two bytes say.
    if (size >= 2) {
      const size_t a = data[0] % size, b = a + data[1] % (size - a);
      sluice::ClientHelloPeek pieces(limit);
      pieces.feed(bytes.substr(0, a));
      pieces.feed(bytes.substr(0, b));
      pieces.feed(bytes);
    }
  }
  return 0;
}
