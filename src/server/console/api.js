// The admin API, as the console calls it: the token typed once (sessionStorage, so it goes
// when the tab does), JSON both ways, and problems (application/problem+json) as errors.

const TOKEN_KEY = "sluice.token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// A refusal: `status`, the problem's `title` and `detail`, and its per-field `errors`
// ([{pointer, message}]).
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem?.title ?? "";
    this.errors = problem?.errors ?? [];
  }
}

// An error in words, for the page.
export function describe(error) {
  return error instanceof ApiError ? `${error.title}: ${error.message}` : String(error);
}

// Calls METHOD /api/v1PATH. Resolves to {data, etag}; rejects with an ApiError.
export async function api(method, path, { body, ifMatch } = {}) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch;
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text };
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, etag: response.headers.get("ETag") };
}

// The API's Server-Sent Events, read with fetch (EventSource cannot send the Authorization
// header). Calls onEvent(type, data) for each; reconnects after a drop with Last-Event-ID, so
// nothing is missed. Stops when `signal` aborts.
export async function streamEvents(onEvent, signal) {
  let lastId = "";
  while (!signal.aborted) {
    try {
      const headers = { Authorization: `Bearer ${token()}` };
      if (lastId) headers["Last-Event-ID"] = lastId;
      const response = await fetch("/api/v1/events", { headers, signal, cache: "no-store" });
      if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let pending = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += value;
        let end;
        while ((end = pending.indexOf("\n\n")) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          let type = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) lastId = line.slice(4);
            else if (line.startsWith("event: ")) type = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data) onEvent(type, JSON.parse(data));
        }
      }
    } catch (error) {
      if (signal.aborted) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
