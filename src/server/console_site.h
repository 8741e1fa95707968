#pragma once

namespace httplib {
class Server;
}

namespace sluice {

// The web console on the admin listener: GET /console/ and its files (built into the binary),
// and / redirecting there. The files are public (the page asks for a token, which it sends to
// the API only in the Authorization header); a strict Content-Security-Policy allows nothing
// but this origin's own scripts, styles and API.
void addConsole(httplib::Server& server);

}  // namespace sluice
