// The services in the panels' words, and which server groups each can send traffic to.

export const SERVICES = [
  { value: "http", label: "HTTP", protocol: "http" },
  { value: "https-passthrough", label: "HTTPS (no SSL offloading — passthrough)", protocol: "tcp" },
  { value: "https-offload", label: "HTTPS (with SSL offloading)", protocol: "http" },
  { value: "https-bridge", label: "HTTPS (SSL bridging — re-encrypt to the servers)", protocol: "https" },
  { value: "tcp", label: "TCP", protocol: "tcp" },
];

export function serviceLabel(value) {
  return SERVICES.find((s) => s.value === value)?.label ?? value;
}

// Whether a group of `protocol` can be the default group of a `service` VIP: null when it can,
// else why not, in words.
export function groupMismatch(service, protocol) {
  const wanted = SERVICES.find((s) => s.value === service)?.protocol;
  if (!wanted || wanted === protocol) return null;
  const label = serviceLabel(service);
  return `${label} sends ${wanted === "http" ? "plain HTTP" : wanted === "https" ? "HTTPS" : "raw TCP"} ` +
         `to its servers: it needs a group with protocol ${wanted}, this one is ${protocol}`;
}

export const TERMINATING = new Set(["https-offload", "https-bridge"]);
