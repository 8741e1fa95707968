// Server groups: each group's settings and its servers with live health (state, last check,
// reason), weight, and the live operations: drain, enable, disable, weight.
import { api, describe } from "../api.js";
import { ago, fill, h } from "../dom.js";

function settings(group) {
  const parts = [`protocol ${group.protocol ?? "http"}`, `balance ${group.balance ?? "round_robin"}`];
  if (group.health) {
    parts.push(`health check ${group.health.type}${group.health.path ? ` ${group.health.path}` : ""}` +
               ` every ${group.health.interval ?? "2s"}`);
  } else {
    parts.push("no active health check");
  }
  if (group.sticky) parts.push(`sticky cookie ${group.sticky.cookie?.name ?? "SLUICE"}`);
  return parts.join(" · ");
}

export async function render(main, context) {
  const { data } = await api("GET", "/server_groups");
  const rows = [];  // live cells per server
  const message = h("p", { class: "error", role: "alert" });

  async function operate(group, server, verb, body) {
    fill(message);
    try {
      await api("POST", `/server_groups/${encodeURIComponent(group)}/servers/${encodeURIComponent(server)}/${verb}`,
                { body });
      const health = await api("GET", "/health");
      context.health = health.data;
      live();
    } catch (error) {
      fill(message, describe(error));
    }
  }

  const sections = data.server_groups.map((group) => {
    const body = h("tbody");
    for (const server of group.servers ?? []) {
      const cells = { state: h("td"), weight: h("td", { class: "number" }), check: h("td"),
                      reason: h("td", { class: "reason" }) };
      rows.push({ group: group.name, server: server.name, cells });
      const weight = h("input", { type: "number", min: 1, max: 1000, value: server.live_weight ?? server.weight ?? 1,
                                  "aria-label": `Weight of ${server.name}`, class: "weight" });
      body.append(h("tr", { dataset: { server: `${group.name}/${server.name}` } },
        h("th", { scope: "row" }, server.name), h("td", {}, server.address ?? ""),
        cells.state, cells.weight, cells.check, cells.reason,
        h("td", { class: "buttons" },
          h("button", { type: "button", onclick: () => operate(group.name, server.name, "drain") },
            "Drain", h("span", { class: "visually-hidden" }, ` ${server.name}`)),
          h("button", { type: "button", onclick: () => operate(group.name, server.name, "enable") },
            "Enable", h("span", { class: "visually-hidden" }, ` ${server.name}`)),
          h("button", { type: "button", onclick: () => operate(group.name, server.name, "disable") },
            "Disable", h("span", { class: "visually-hidden" }, ` ${server.name}`)),
          weight,
          h("button", { type: "button", onclick: () =>
            operate(group.name, server.name, "weight", { weight: Number(weight.value) }) },
            "Set weight", h("span", { class: "visually-hidden" }, ` of ${server.name}`)))));
    }
    return h("section", { class: "group", "aria-labelledby": `group-${group.name}` },
      h("h2", { id: `group-${group.name}` }, group.name, " ",
        h("a", { class: "edit", href: `#/groups/${encodeURIComponent(group.name)}` }, "Edit",
          h("span", { class: "visually-hidden" }, ` group ${group.name}`))),
      h("p", { class: "muted" }, settings(group)),
      h("div", { class: "scroll" }, h("table", { class: "list" },
        h("thead", {}, h("tr", {}, ...["Server", "Address", "State", "Weight", "Last check", "Reason", ""]
          .map((t) => h("th", { scope: "col" }, t)))), body)));
  });

  function live() {
    for (const { group, server, cells } of rows) {
      const health = context.serverHealth(group, server);
      if (!health) continue;
      fill(cells.state, h("span", { class: `badge ${health.state}${health.ejected ? " ejected" : ""}` },
        health.ejected ? "ejected" : health.state));
      fill(cells.weight, String(health.weight));
      const check = health.last_check;
      fill(cells.check, check ? `${ago(check.at)}, ${check.latency_ms.toFixed(1)} ms` : "not checked");
      fill(cells.reason, check ? check.reason : "");
    }
  }
  fill(main, h("div", { class: "title" }, h("h1", {}, "Server groups"),
    h("a", { class: "button primary", href: "#/groups/new" }, "Create server group")), message, ...sections);
  live();
  return { live };
}
