#include "http/local_answer.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

std::string http1(const LocalAnswer& answer) {
  std::string out;
  appendHttp1Answer(answer, out);
  return out;
}

TEST(LocalAnswer, EachErrorPageIsACompleteHttp1ResponseThatClosesTheConnection) {
  for (int status :
       {400, 403, 404, 405, 408, 413, 414, 421, 429, 431, 500, 501, 502, 503, 504, 505}) {
    const std::string response = http1(errorAnswer(status));
    EXPECT_EQ(response.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0), 0u) << response;
    EXPECT_NE(response.find("\r\nConnection: close\r\n"), std::string::npos);
    EXPECT_NE(response.find("\r\nCache-Control: no-store\r\n"), std::string::npos);
    const size_t bodyAt = response.find("\r\n\r\n") + 4;
    const size_t lengthAt = response.find("Content-Length: ") + 16;
    EXPECT_EQ(std::stoul(response.substr(lengthAt)), response.size() - bodyAt) << status;
    EXPECT_NE(response.find("<h1>" + std::to_string(status)), std::string::npos);
  }
  EXPECT_NE(http1(errorAnswer(503)).find("\r\nRetry-After: 5\r\n"), std::string::npos);
  EXPECT_EQ(http1(errorAnswer(599)), http1(errorAnswer(500)));
  EXPECT_EQ(&errorAnswer(431), &errorAnswer(431));  // made once
}

TEST(LocalAnswer, ARedirectCarriesItsLocationAndAnEmptyBody) {
  LocalAnswer redirect;
  redirect.status = 308;
  redirect.location = "https://shop.example/cart?x=1";
  EXPECT_EQ(http1(redirect),
            "HTTP/1.1 308 Permanent Redirect\r\nConnection: close\r\n"
            "Location: https://shop.example/cart?x=1\r\nContent-Length: 0\r\n\r\n");
}

TEST(LocalAnswer, AnAnswerToHeadHasTheFieldsOfAGetAndNoContent) {
  for (int status : {403, 404, 503}) {
    LocalAnswer head = errorAnswer(status);
    head.toHead = true;
    const std::string get = http1(errorAnswer(status));
    const std::string response = http1(head);
    EXPECT_EQ(response, get.substr(0, get.find("\r\n\r\n") + 4)) << status;
  }
  LocalAnswer respond;
  respond.status = 200;
  respond.contentType = "text/plain";
  respond.body = "maintenance";
  respond.toHead = true;
  EXPECT_EQ(respond.content(), "");
  EXPECT_NE(http1(respond).find("Content-Length: 11\r\n\r\n"), std::string::npos);
  EXPECT_TRUE(http1(respond).ends_with("\r\n\r\n"));
}

}  // namespace
}  // namespace sluice
