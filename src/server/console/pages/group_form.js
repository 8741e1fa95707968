// Create a server group, or edit one: protocol, balancing, health check, sticky sessions and
// its servers. A save stages the change in the draft; the servers' live state and operations
// are on the Server groups page.
import { api, describe } from "../api.js";
import { field, fill, h, inForm, showFieldErrors } from "../dom.js";

const BALANCES = ["round_robin", "least_conn", "random_two", "source_hash", "uri_hash"];
const CHECKS = ["none", "tcp", "http", "https", "tls"];

export async function render(main, context, name) {
  const answer = name ? await api("GET", `/server_groups/${encodeURIComponent(name)}`) : null;
  const original = answer?.data ?? { protocol: "http", servers: [] };
  // The live state the API adds beside each server is not configuration.
  const servers = (original.servers ?? []).map(({ state, live_weight, ...server }) => server);
  const pointer = (key) => `/server_groups/@/${key}`;

  const nameInput = h("input", { type: "text", value: original.name ?? "", readonly: Boolean(name),
                                 autocomplete: "off", required: true });
  const protocol = h("select", {}, ...["http", "https", "tcp"].map((p) =>
    h("option", { value: p, selected: p === (original.protocol ?? "http") }, p)));
  const custom = typeof original.balance === "object" ? original.balance : null;
  const balance = h("select", {},
    ...BALANCES.map((b) => h("option", { value: b, selected: b === (original.balance ?? "round_robin") }, b)),
    custom ? h("option", { value: "custom", selected: true }, `${Object.keys(custom)[0]} (kept as it is)`) : null);
  const check = original.health ?? {};
  const checkType = h("select", {}, ...CHECKS.map((t) =>
    h("option", { value: t, selected: t === (check.type ?? "none") }, t)));
  const checkPath = h("input", { type: "text", value: check.path ?? "/", autocomplete: "off" });
  const checkInterval = h("input", { type: "text", value: check.interval ?? "2s", autocomplete: "off" });
  const checkTimeout = h("input", { type: "text", value: check.timeout ?? "1s", autocomplete: "off" });
  const sticky = h("input", { type: "checkbox", checked: Boolean(original.sticky), id: "group-sticky" });
  const cookie = h("input", { type: "text", value: original.sticky?.cookie?.name ?? "SLUICE_SRV", autocomplete: "off" });
  const http2 = h("input", { type: "checkbox", checked: Boolean(original.http2), id: "group-http2" });
  const general = h("p", { class: "error", role: "alert" });

  const rows = h("tbody");
  function addServer(server = {}) {
    const index = rows.children.length;
    const at = (key) => ({ pointer: `${pointer("servers")}/${index}/${key}` });
    const cell = (control, key, label) => {
      control.setAttribute("aria-label", label);
      return h("td", { class: "field", dataset: { pointer: at(key).pointer } },
        control, h("p", { class: "field-error", role: "alert" }));
    };
    const inputs = {
      name: h("input", { type: "text", value: server.name ?? "", autocomplete: "off" }),
      address: h("input", { type: "text", value: server.address ?? "", placeholder: "10.0.0.5:8080", autocomplete: "off" }),
      weight: h("input", { type: "number", min: 1, max: 1000, value: server.weight ?? 1, class: "weight" }),
      backup: h("input", { type: "checkbox", checked: Boolean(server.backup) }),
    };
    const row = h("tr", {},
      cell(inputs.name, "name", `Server ${index + 1} name`),
      cell(inputs.address, "address", `Server ${index + 1} address`),
      cell(inputs.weight, "weight", `Server ${index + 1} weight`),
      cell(inputs.backup, "backup", `Server ${index + 1} is a backup`),
      h("td", {}, h("button", { type: "button", class: "link", onclick: () => row.remove() },
        "Remove", h("span", { class: "visually-hidden" }, ` server ${index + 1}`))));
    row.inputs = inputs;
    row.original = server;
    rows.append(row);
  }
  for (const server of servers) addServer(server);
  if (!servers.length) addServer();

  function entry() {
    const group = { ...original, name: nameInput.value.trim(), protocol: protocol.value };
    delete group.state;
    if (balance.value === "custom") group.balance = custom;
    else if (balance.value === "round_robin") delete group.balance;
    else group.balance = balance.value;
    if (checkType.value === "none") delete group.health;
    else {
      group.health = { ...check, type: checkType.value, interval: checkInterval.value.trim(),
                       timeout: checkTimeout.value.trim() };
      if (checkType.value === "http" || checkType.value === "https") group.health.path = checkPath.value.trim();
      else delete group.health.path;
    }
    if (http2.checked && protocol.value !== "tcp") group.http2 = true;
    else delete group.http2;
    if (sticky.checked && protocol.value !== "tcp") group.sticky = { cookie: { ...(original.sticky?.cookie ?? {}), name: cookie.value.trim() } };
    else delete group.sticky;
    group.servers = [...rows.children].map((row) => {
      const server = { ...row.original, name: row.inputs.name.value.trim(), address: row.inputs.address.value.trim() };
      const weight = Number(row.inputs.weight.value);
      if (weight !== 1) server.weight = weight; else delete server.weight;
      if (row.inputs.backup.checked) server.backup = true; else delete server.backup;
      return server;
    });
    return group;
  }

  const form = h("form", { class: "group-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    fill(general);
    const group = entry();
    try {
      if (name) await api("PUT", `/server_groups/${encodeURIComponent(name)}`, { body: group, ifMatch: answer.etag });
      else await api("POST", "/server_groups", { body: group });
      await context.refreshBanner();
      context.navigate("#/groups");
    } catch (error) {
      const errors = inForm(error.errors, `/server_groups/${group.name}`, "/server_groups/@");
      // Rows may have been removed since they were made: each names its place now.
      [...rows.children].forEach((row, i) => {
        for (const cell of row.querySelectorAll("td.field")) {
          cell.dataset.pointer = cell.dataset.pointer.replace(/servers\/\d+/, `servers/${i}`);
        }
      });
      showFieldErrors(form, errors, general);
      if (!errors.length) fill(general, describe(error));
    }
  } },
    field("Name", nameInput, { pointer: pointer("name") }),
    field("Protocol", protocol, { pointer: pointer("protocol"),
                                  hint: "http: offloading and HTTP VIPs; https: bridging; tcp: passthrough and TCP VIPs" }),
    h("div", { class: "field checkbox", dataset: { pointer: pointer("http2") } }, http2,
      h("label", { for: "group-http2" }, "Speak HTTP/2 to the servers (http, https; gRPC needs it)"),
      h("p", { class: "field-error", role: "alert" })),
    field("Balancing", balance, { pointer: pointer("balance") }),
    h("fieldset", {}, h("legend", {}, "Health check"),
      field("Type", checkType, { pointer: pointer("health/type") }),
      field("Path (http, https)", checkPath, { pointer: pointer("health/path") }),
      field("Interval", checkInterval, { pointer: pointer("health/interval") }),
      field("Timeout", checkTimeout, { pointer: pointer("health/timeout"), hint: "at most the interval" })),
    h("fieldset", {}, h("legend", {}, "Sticky sessions"),
      h("div", { class: "field checkbox" }, sticky, h("label", { for: "group-sticky" }, "A cookie keeps each client on one server (http, https)")),
      field("Cookie name", cookie, { pointer: pointer("sticky") })),
    h("fieldset", {}, h("legend", {}, "Servers"),
      h("div", { class: "scroll" }, h("table", { class: "list servers" },
        h("thead", {}, h("tr", {}, ...["Name", "Address", "Weight", "Backup", ""].map((t) => h("th", { scope: "col" }, t)))),
        rows)),
      h("div", { class: "field", dataset: { pointer: pointer("servers") } }, h("p", { class: "field-error", role: "alert" })),
      h("button", { type: "button", onclick: () => addServer() }, "Add server")),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, name ? "Save" : "Create"),
      h("a", { class: "button", href: "#/groups" }, "Cancel"),
      name ? h("button", { type: "button", class: "danger", onclick: async () => {
        try {
          await api("DELETE", `/server_groups/${encodeURIComponent(name)}`, { ifMatch: answer.etag });
          await context.refreshBanner();
          context.navigate("#/groups");
        } catch (error) {
          showFieldErrors(form, error.errors ?? [], general);
          if (!(error.errors ?? []).length) fill(general, describe(error));
        }
      } }, "Delete") : null),
    general);
  fill(main, h("h1", {}, name ? `Server group ${name}` : "Create server group"), form);
  return null;
}
