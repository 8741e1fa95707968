// Virtual IPs: the draft's VIPs with their live connections, request rate and group health.
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { serviceLabel } from "./services.js";

export async function render(main, context) {
  const { data } = await api("GET", "/vips");
  const rows = new Map();  // VIP name → its live cells
  const body = h("tbody");
  for (const vip of data.vips) {
    const cells = { connections: h("td", { class: "number" }), rate: h("td", { class: "number" }),
                    health: h("td") };
    rows.set(vip.name, { vip, cells });
    const active = vip.active !== false;
    body.append(h("tr", { class: active ? "" : "inactive" },
      h("th", { scope: "row" }, h("a", { href: `#/vips/${encodeURIComponent(vip.name)}` }, vip.name)),
      h("td", {}, vip.listen ?? ""),
      h("td", {}, serviceLabel(vip.service)),
      h("td", {}, active ? "Yes" : "No"),
      h("td", {}, (vip.certificates ?? []).join(", ")),
      h("td", {}, vip.default_group ?? ""),
      cells.connections, cells.rate, cells.health,
      h("td", {}, vip.rules !== undefined || ["http", "https-offload", "https-bridge"].includes(vip.service)
        ? h("a", { href: `#/vips/${encodeURIComponent(vip.name)}/rules` }, `Rules (${(vip.rules ?? []).length})`)
        : "")));
  }
  const table = h("table", { class: "list" },
    h("caption", { class: "visually-hidden" }, "Virtual IPs"),
    h("thead", {}, h("tr", {}, ...["Name", "Address", "Service", "Active", "Certificate",
      "Default group", "Connections", "Requests/s", "Group health", ""].map((t) => h("th", { scope: "col" }, t)))),
    body);
  fill(main,
    h("div", { class: "title" }, h("h1", {}, "Virtual IPs"),
      h("a", { class: "button primary", href: "#/vips/new" }, "Create Virtual IP")),
    data.vips.length ? h("div", { class: "scroll" }, table) : h("p", {}, "No VIPs yet."));

  function live() {
    for (const [name, { vip, cells }] of rows) {
      const stats = context.stats.vips.find((v) => v.name === name);
      fill(cells.connections, stats ? String(stats.connections) : "–");
      fill(cells.rate, stats ? stats.requests_per_s.toFixed(1) : "–");
      const group = context.health.server_groups.find((g) => g.name === vip.default_group);
      if (!group) {
        fill(cells.health, "–");
        continue;
      }
      const up = group.servers.filter((s) => s.state === "up").length;
      const state = up === group.servers.length ? "up" : up === 0 ? "down" : "degraded";
      fill(cells.health, h("span", { class: `badge ${state}` }, `${up}/${group.servers.length} up`));
    }
  }
  live();
  return { live };
}
