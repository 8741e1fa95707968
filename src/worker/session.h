#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "core/event_loop.h"
#include "core/timer_queue.h"

namespace sluice {

class ServerHealth;
struct WorkerConfig;

// A client connection in progress on a worker, whatever its service. The worker keeps a list of
// them so that a reload can tell each about the new config, and a shutdown can close the ones
// still open when the drain deadline passes.
class Session : public Deferrable {
 public:
  // Ends the session at once (the drain deadline passed): close both sides and log `reason`.
  // Called on the worker's thread; the session removes itself from the worker as usual.
  virtual void abort(std::string_view reason) = 0;

  // A reload published `newest`. An HTTP connection moves to it at its next request (an idle
  // one at once); a relay keeps the config it started with. Returns true when what the
  // connection serves is gone (its VIP was removed, set inactive or changed service, or the
  // server it relays to was removed): it then drains, and the worker closes it if it is still
  // open at the drain deadline. Called on the worker's thread; the session may close itself.
  virtual bool configPublished(const std::shared_ptr<const WorkerConfig>& newest) = 0;

  // The worker is stopping (SIGTERM, or an upgrade's old process): take no new request, finish
  // those in flight and close; an idle keep-alive connection closes at once, an HTTP/2 client
  // gets GOAWAY. A relay carries on until the drain deadline. The session may close itself.
  virtual void drain() {}

  // An operator closes the connections to `server` (admin API). A session relaying to it, or
  // with a request in flight to it, ends at once ("closed_by_operator") and returns true; one
  // that only keeps an idle connection to it between requests closes that connection and
  // stays (its next request picks a server again). Called on the worker's thread.
  virtual bool closeIfUsing(const ServerHealth& server) = 0;

  size_t workerSlot = 0;  // position in the worker's session list, maintained by the worker
  std::unique_ptr<Timer> drainDeadline;  // set by the worker while the session drains
};

}  // namespace sluice
