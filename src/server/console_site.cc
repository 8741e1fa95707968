#include "server/console_site.h"

#include <httplib.h>

#include "server/embedded_file.h"

namespace sluice {
namespace {

const EmbeddedFile* find(std::string_view path) {
  for (const EmbeddedFile& file : consoleFiles()) {
    if (file.path == path) return &file;
  }
  return nullptr;
}

}  // namespace

void addConsole(httplib::Server& server) {
  server.Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_redirect("/console/", 302);
  });
  server.Get("/console", [](const httplib::Request&, httplib::Response& response) {
    response.set_redirect("/console/", 301);
  });
  server.Get(R"(/console/(.*))", [](const httplib::Request& request, httplib::Response& response) {
    const std::string path =
        request.matches[1].length() == 0 ? "index.html" : request.matches[1].str();
    const EmbeddedFile* file = find(path);
    if (!file) {
      response.status = 404;
      response.set_content("not found\n", "text/plain");
      return;
    }
    response.set_header("Content-Security-Policy",
                        "default-src 'none'; script-src 'self'; style-src 'self'; "
                        "connect-src 'self'; img-src 'self' data:; form-action 'self'; "
                        "base-uri 'none'; frame-ancestors 'none'");
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Referrer-Policy", "no-referrer");
    // Revalidated each time, so an upgraded Sluice serves its own console at once.
    response.set_header("Cache-Control", "no-cache");
    response.set_content(std::string(file->body), std::string(file->contentType));
  });
}

}  // namespace sluice
