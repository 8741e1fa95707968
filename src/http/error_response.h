#pragma once

#include <string_view>

namespace sluice {

// The complete response Sluice sends when it answers a request itself because something went
// wrong: a status line, `Connection: close`, a short HTML body saying what happened, and for
// 503 a `Retry-After`. Never a reset: a browser shows the page, a client library gets a status
// it can act on. Statuses: 400, 403, 404, 405, 408, 413, 414, 429, 431, 500, 501, 502, 503,
// 504, 505; any other gives the 500 response. The strings are constants: answering costs no
// allocation.
std::string_view errorResponse(int status);

}  // namespace sluice
