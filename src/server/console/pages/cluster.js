// Cluster: etcd as this node sees it, and every node with the revision it runs. A node that
// runs an older revision than the latest commit is marked behind, with its reason when it
// could not run it.
import { api } from "../api.js";
import { fill, h } from "../dom.js";

export async function render(main) {
  const { data } = await api("GET", "/cluster");
  if (!data.cluster) {
    fill(main, h("h1", {}, "Cluster"),
      h("p", {}, "This Sluice is a single node: its config file is its config. A cluster shares one config through etcd (README, “Cluster mode”)."));
    return null;
  }
  const etcd = data.etcd.reachable
    ? h("span", { class: "badge up" }, "etcd answers")
    : h("span", { class: "badge down" },
        `etcd unreachable since ${new Date(data.etcd.unreachable_since * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`);
  const body = h("tbody");
  for (const n of [...data.nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    const groups = Object.entries(n.groups ?? {}).map(([g, v]) => `${g} ${v.up}/${v.servers}`).join(", ");
    const state = n.run_error
      ? h("span", { class: "badge down", title: n.run_error }, "cannot run the latest")
      : n.lagging ? h("span", { class: "badge degraded" }, "behind")
      : h("span", { class: "badge up" }, "up to date");
    body.append(h("tr", {},
      h("th", { scope: "row" }, n.id, n.this_node ? h("span", { class: "muted" }, " (this node)") : null),
      h("td", {}, n.admin || "—"), h("td", {}, String(n.revision)), h("td", {}, state),
      h("td", {}, n.run_error || groups || "—"),
      h("td", {}, (n.started_at ?? "").replace("T", " ").slice(0, 19))));
  }
  fill(main, h("h1", {}, "Cluster"),
    h("p", {}, `Node ${data.node} · prefix ${data.prefix} · latest commit ${data.revision.latest} · `, etcd),
    data.etcd.reachable ? null
      : h("p", { class: "error", role: "alert" },
          `Serving cluster revision ${data.revision.running} as it was; changes cannot be made until etcd answers (${data.etcd.last_error}).`),
    data.nodes_error ? h("p", { class: "error", role: "alert" }, `The nodes cannot be read: ${data.nodes_error}`) : null,
    h("div", { class: "scroll" }, h("table", { class: "list" },
      h("thead", {}, h("tr", {}, ...["Node", "Admin", "Revision", "State", "Servers up", "Started (UTC)"]
        .map((t) => h("th", { scope: "col" }, t)))), body)));
  return null;
}
