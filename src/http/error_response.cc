#include "http/error_response.h"

#include <array>
#include <string>

namespace sluice {
namespace {

struct ErrorPage {
  int status;
  const char* reason;
  const char* words;  // what happened, for a visitor
  const char* extraHeaders;
};

constexpr std::array<ErrorPage, 15> kPages = {{
    {400, "Bad Request", "The request could not be understood.", ""},
    {403, "Forbidden", "Access to this resource is not allowed.", ""},
    {404, "Not Found", "There is nothing here.", ""},
    {405, "Method Not Allowed", "This method is not served here.", ""},
    {408, "Request Timeout", "The request did not arrive in time.", ""},
    {413, "Content Too Large", "The request body is larger than this site accepts.", ""},
    {414, "URI Too Long", "The request target is longer than this site accepts.", ""},
    {429, "Too Many Requests", "Too many requests; please slow down.", ""},
    {431, "Request Header Fields Too Large",
     "The request headers are larger than this site accepts.", ""},
    {500, "Internal Server Error", "Something went wrong in the load balancer.", ""},
    {501, "Not Implemented", "This request is not supported.", ""},
    {502, "Bad Gateway", "The server behind this site could not be reached or answered badly.", ""},
    {503, "Service Unavailable",
     "No server is available for this site right now. Please try again shortly.",
     "Retry-After: 5\r\n"},
    {504, "Gateway Timeout", "The server behind this site did not answer in time.", ""},
    {505, "HTTP Version Not Supported", "Only HTTP/1.0 and HTTP/1.1 are served here.", ""},
}};

std::string render(const ErrorPage& page) {
  const std::string title = std::to_string(page.status) + " " + page.reason;
  const std::string body = "<!doctype html><title>" + title + "</title><h1>" + title + "</h1><p>" +
                           page.words + "</p>\n";
  return "HTTP/1.1 " + title +
         "\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n" +
         page.extraHeaders + "Connection: close\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// Rendered once, on first use (thread-safe static initialisation), then only read.
const std::array<std::string, kPages.size()>& rendered() {
  static const std::array<std::string, kPages.size()> pages = [] {
    std::array<std::string, kPages.size()> out;
    for (size_t i = 0; i < kPages.size(); ++i)
      out[i] = render(kPages[i]);
    return out;
  }();
  return pages;
}

}  // namespace

std::string_view errorResponse(int status) {
  size_t internalError = 0;
  for (size_t i = 0; i < kPages.size(); ++i) {
    if (kPages[i].status == status) return rendered()[i];
    if (kPages[i].status == 500) internalError = i;
  }
  return rendered()[internalError];
}

}  // namespace sluice
