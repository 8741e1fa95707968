#pragma once

#include <string>

namespace httplib {
struct Response;
}

namespace sluice {

// An error answer as RFC 9457 problem details (application/problem+json): a status, a short
// title and a sentence saying what was wrong.
void sendProblem(httplib::Response& response, int status, const std::string& title,
                 const std::string& detail);

}  // namespace sluice
