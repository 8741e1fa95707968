#include "http/local_answer.h"

#include <array>
#include <string>

#include "http/reason_phrase.h"

namespace sluice {
namespace {

struct ErrorPage {
  int status;
  const char* words;  // what happened, for a visitor
};

constexpr std::array<ErrorPage, 16> kPages = {{
    {400, "The request could not be understood."},
    {403, "Access to this resource is not allowed."},
    {404, "There is nothing here."},
    {405, "This method is not served here."},
    {408, "The request did not arrive in time."},
    {413, "The request body is larger than this site accepts."},
    {414, "The request target is longer than this site accepts."},
    {421, "This host is served on another connection; your browser retries on one."},
    {429, "Too many requests; please slow down."},
    {431, "The request headers are larger than this site accepts."},
    {500, "Something went wrong in the load balancer."},
    {501, "This request is not supported."},
    {502, "The server behind this site could not be reached or answered badly."},
    {503, "No server is available for this site right now. Please try again shortly."},
    {504, "The server behind this site did not answer in time."},
    {505, "Only HTTP/1.0 and HTTP/1.1 are served here."},
}};

struct Pages {
  std::array<std::string, kPages.size()> bodies;
  std::array<LocalAnswer, kPages.size()> answers;
};

// Made once, on first use (thread-safe static initialisation), then only read.
const Pages& pages() {
  static const Pages made = [] {
    Pages p;
    for (size_t i = 0; i < kPages.size(); ++i) {
      const std::string title =
          std::to_string(kPages[i].status) + " " + std::string(reasonPhrase(kPages[i].status));
      p.bodies[i] = "<!doctype html><title>" + title + "</title><h1>" + title + "</h1><p>" +
                    kPages[i].words + "</p>\n";
    }
    for (size_t i = 0; i < kPages.size(); ++i) {
      LocalAnswer& answer = p.answers[i];
      answer.status = kPages[i].status;
      answer.contentType = "text/html; charset=utf-8";
      answer.body = p.bodies[i];
      answer.noStore = true;
      answer.retryAfter = answer.status == 503 ? 5 : 0;
    }
    return p;
  }();
  return made;
}

}  // namespace

const LocalAnswer& errorAnswer(int status) {
  size_t internalError = 0;
  for (size_t i = 0; i < kPages.size(); ++i) {
    if (kPages[i].status == status) return pages().answers[i];
    if (kPages[i].status == 500) internalError = i;
  }
  return pages().answers[internalError];
}

void appendHttp1Answer(const LocalAnswer& answer, std::string& out) {
  out.append("HTTP/1.1 ").append(std::to_string(answer.status)).append(" ");
  out.append(reasonPhrase(answer.status)).append("\r\nConnection: close\r\n");
  LocalAnswerNumbers numbers;
  forEachLocalAnswerField(answer, numbers, [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  });
  out.append("\r\n").append(answer.content());
}

}  // namespace sluice
