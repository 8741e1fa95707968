#include "http/error_response.h"

#include <gtest/gtest.h>

#include <string>

#include "http/http1/request_parser.h"

namespace sluice {
namespace {

TEST(ErrorResponse, EachStatusIsACompleteResponseThatClosesTheConnection) {
  for (int status : {400, 403, 404, 405, 408, 413, 414, 429, 431, 500, 501, 502, 503, 504}) {
    const std::string response(errorResponse(status));
    EXPECT_EQ(response.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0), 0u) << response;
    EXPECT_NE(response.find("\r\nConnection: close\r\n"), std::string::npos);
    const size_t bodyAt = response.find("\r\n\r\n") + 4;
    const size_t lengthAt = response.find("Content-Length: ") + 16;
    EXPECT_EQ(std::stoul(response.substr(lengthAt)), response.size() - bodyAt) << status;
    EXPECT_NE(response.find("<h1>" + std::to_string(status)), std::string::npos);
  }
  EXPECT_NE(std::string(errorResponse(503)).find("\r\nRetry-After: 5\r\n"), std::string::npos);
  EXPECT_EQ(errorResponse(599), errorResponse(500));
}

}  // namespace
}  // namespace sluice
