// History: every revision that ran, who, when and what; its diff from the one before; restore.
import { api, describe } from "../api.js";
import { fill, h } from "../dom.js";

export async function render(main, context) {
  const { data } = await api("GET", "/revisions");
  const message = h("p", { class: "error", role: "alert" });
  const detail = h("div", { class: "revision-detail" });
  const revisions = [...data.revisions].reverse();
  const body = h("tbody", {}, ...revisions.map((r) => h("tr", {},
    h("th", { scope: "row" }, String(r.revision)),
    h("td", {}, r.at.replace("T", " ").slice(0, 19)),
    h("td", {}, r.by), h("td", {}, r.comment),
    h("td", {}, r.changes.length ? r.changes.map((c) => `${c.change} ${c.name ?? c.section}`).join(", ") : "—"),
    h("td", { class: "buttons" },
      r.revision > 1 ? h("button", { type: "button", onclick: async () => {
        try {
          const { data: diff } = await api("GET", `/revisions/${r.revision - 1}/diff/${r.revision}`);
          fill(detail, h("h2", {}, `Revision ${r.revision - 1} → ${r.revision}`),
            h("ul", {}, ...diff.resources.map((c) => h("li", {}, `${c.change} ${c.section}${c.name ? ` ${c.name}` : ""}`))));
        } catch (error) {
          fill(message, describe(error));
        }
      } }, "Diff", h("span", { class: "visually-hidden" }, ` of revision ${r.revision}`)) : null,
      h("button", { type: "button", onclick: async () => {
        try {
          await api("POST", `/revisions/${r.revision}/restore`);
          await context.refreshBanner();
          context.navigate("#/changes");
        } catch (error) {
          fill(message, describe(error));
        }
      } }, "Restore", h("span", { class: "visually-hidden" }, ` revision ${r.revision}`))))));
  fill(main, h("h1", {}, "History"),
    h("p", { class: "muted" }, "Restore stages a revision as the draft: review it, then apply."),
    message,
    h("div", { class: "scroll" }, h("table", { class: "list" },
      h("thead", {}, h("tr", {}, ...["#", "When (UTC)", "By", "Comment", "Changes", ""]
        .map((t) => h("th", { scope: "col" }, t)))), body)),
    detail);
  return null;
}
