#include "server/admin/problem.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace sluice {

void sendProblem(httplib::Response& response, int status, const std::string& title,
                 const std::string& detail) {
  response.status = status;
  response.set_header("Cache-Control", "no-store");
  const nlohmann::json body = {
      {"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}};
  response.set_content(body.dump(2) + "\n", "application/problem+json");
}

}  // namespace sluice
