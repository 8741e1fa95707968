// The console's shell: sign-in, navigation, the pending-changes banner, and the live state
// (server health and traffic) every page draws from. Pages are modules under pages/, each
// rendering into <main> and, when it shows live values, updating them in place.
import { api, ApiError, describe, setToken, streamEvents, token } from "./api.js";
import { fill, h } from "./dom.js";
import * as certificates from "./pages/certificates.js";
import * as changes from "./pages/changes.js";
import * as cluster from "./pages/cluster.js";
import * as groupForm from "./pages/group_form.js";
import * as groups from "./pages/groups.js";
import * as history from "./pages/history.js";
import * as rules from "./pages/rules.js";
import * as vipForm from "./pages/vip_form.js";
import * as vips from "./pages/vips.js";

const main = document.querySelector("main");
const banner = document.getElementById("banner");
const nav = document.querySelector("nav");

// What the pages share: the latest health and stats, and how to move or refresh.
const context = {
  health: { server_groups: [] },
  stats: { vips: [], servers: [] },
  status: null,
  navigate: (hash) => { location.hash = hash; },
  refreshBanner,
  // A server's live state by "group/server", from /health (events keep it fresh).
  serverHealth(group, server) {
    const g = this.health.server_groups.find((x) => x.name === group);
    return g?.servers.find((s) => s.name === server);
  },
};

// Routes: the hash is the page and its argument (#/vips/shop/rules).
const routes = [
  [/^#\/vips\/new$/, (_, view) => vipForm.render(view, context, null)],
  [/^#\/vips\/([^/]+)\/rules$/, (m, view) => rules.render(view, context, decodeURIComponent(m[1]))],
  [/^#\/vips\/([^/]+)$/, (m, view) => vipForm.render(view, context, decodeURIComponent(m[1]))],
  [/^#\/groups\/new$/, (_, view) => groupForm.render(view, context, null)],
  [/^#\/groups\/([^/]+)$/, (m, view) => groupForm.render(view, context, decodeURIComponent(m[1]))],
  [/^#\/groups$/, (_, view) => groups.render(view, context)],
  [/^#\/certificates$/, (_, view) => certificates.render(view, context)],
  [/^#\/changes$/, (_, view) => changes.render(view, context)],
  [/^#\/history$/, (_, view) => history.render(view, context)],
  [/^#\/cluster$/, (_, view) => cluster.render(view, context)],
  [/^#\/vips$|^$|^#\/?$/, (_, view) => vips.render(view, context)],
];
let page = null;  // the shown page's handle: {live()} when it shows live values
let routed = 0;   // how many hashes were routed: only the newest one's page is shown

// Each page renders into its own detached view, shown only if no newer hash was routed while
// it loaded: a slow page the user already left can never replace the one they went to.
async function route() {
  const hash = location.hash;
  const number = ++routed;
  for (const link of nav.querySelectorAll("a")) {
    link.toggleAttribute("aria-current", hash.startsWith(link.getAttribute("href")));
  }
  for (const [pattern, show] of routes) {
    const match = hash.match(pattern);
    if (!match) continue;
    const view = h("div", { class: "view" });
    let handle = null;
    try {
      handle = (await show(match, view)) ?? null;
    } catch (error) {
      fill(view, h("p", { class: "error", role: "alert" }, describe(error)));
    }
    if (number !== routed) return;
    page = handle;
    fill(main, view);
    main.dataset.shown = hash;
    main.focus({ preventScroll: true });
    return;
  }
  context.navigate("#/vips");
}

// The yellow banner: every page, while the draft has changes.
async function refreshBanner() {
  try {
    const { data } = await api("GET", "/status");
    context.status = data;
    const parts = [];
    if (data.pending_changes > 0) {
      parts.push(h("span", {}, `${data.pending_changes} change${data.pending_changes === 1 ? "" : "s"} pending`),
                 " — ", h("a", { href: "#/changes", class: "button" }, "Reload Load Balancer Config"));
    }
    if (data.cluster && !data.cluster.etcd_reachable) {
      parts.push(h("span", { class: "file-changed" },
                   ` etcd cannot be reached: this node serves cluster revision ${data.cluster.revision} as it was; changes cannot be made until it answers.`));
    }
    document.getElementById("cluster-link").hidden = !data.cluster;
    if (data.config_file_changed) {
      parts.push(h("span", { class: "file-changed" },
                   " The config file was edited by hand: a SIGHUP reload puts it live; apply will refuse until then."));
    }
    fill(banner, ...parts);
    banner.hidden = parts.length === 0;
    fill(document.getElementById("revision"), `revision ${data.revision}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signOut();
  }
}

async function refreshLive() {
  try {
    const [health, stats] = await Promise.all([api("GET", "/health"), api("GET", "/stats")]);
    context.health = health.data;
    context.stats = stats.data;
    page?.live?.();
  } catch {
    // The next tick tries again.
  }
}

function signIn() {
  const input = h("input", { type: "password", id: "token", autocomplete: "off", required: true });
  const message = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "login", onsubmit: async (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    try {
      await api("GET", "/status");
      start();
    } catch (error) {
      setToken("");
      fill(message, error instanceof ApiError && error.status === 401
        ? "That token is not one this Sluice knows." : describe(error));
    }
  } },
  h("h1", {}, "Sluice"),
  h("label", { for: "token" }, "Admin API token"), input,
  h("p", { class: "hint" }, "Made by `sluice token`; kept in this tab only."),
  h("button", { type: "submit", class: "primary" }, "Sign in"), message);
  document.body.classList.add("signed-out");
  fill(main, form);
  input.focus();
}

function signOut() {
  setToken("");
  stop?.abort();
  location.hash = "";
  location.reload();
}

let stop = null;
function start() {
  document.body.classList.remove("signed-out");
  stop = new AbortController();
  // Server state changes and new revisions arrive as events: health, the banner and the page
  // follow at once; rates are sampled every two seconds.
  streamEvents((type) => {
    if (type === "server" || type === "revision") refreshLive();
    if (type === "revision") refreshBanner();
  }, stop.signal);
  setInterval(refreshLive, 2000);
  setInterval(refreshBanner, 5000);
  window.addEventListener("hashchange", async () => { await route(); refreshBanner(); });
  refreshBanner();
  refreshLive().then(route);
}

document.getElementById("sign-out").addEventListener("click", signOut);
if (token()) start(); else signIn();
