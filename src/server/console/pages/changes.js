// The pending changes: what the draft changes, whether it is valid, what it does to the
// connections open now, the YAML before and after; then apply (with the reviewed ETag) or
// discard.
import { api, describe } from "../api.js";
import { fill, h } from "../dom.js";
import { lineDiff } from "./line_diff.js";

export async function render(main, context) {
  const { data, etag } = await api("GET", "/changes");
  const message = h("p", { class: "error", role: "alert" });
  const comment = h("input", { type: "text", id: "apply-comment", autocomplete: "off",
                               placeholder: "what and why, for the history" });
  const apply = h("button", { type: "button", class: "primary", disabled: data.pending === 0 || !data.valid,
                              onclick: async () => {
    fill(message);
    apply.disabled = true;
    try {
      const { data: applied } = await api("POST", "/apply", { ifMatch: etag, body: { comment: comment.value } });
      await context.refreshBanner();
      fill(main, h("h1", {}, "Applied"), h("p", { role: "status" },
        `Revision ${applied.revision} is live on every worker.`),
        h("a", { class: "button", href: "#/vips" }, "Back to Virtual IPs"));
    } catch (error) {
      apply.disabled = false;
      fill(message, describe(error));
    }
  } }, "Apply changes");
  const discard = h("button", { type: "button", class: "danger", disabled: data.pending === 0, onclick: async () => {
    try {
      await api("DELETE", "/changes");
      await context.refreshBanner();
      await render(main, context);
    } catch (error) {
      fill(message, describe(error));
    }
  } }, "Discard changes");

  const resources = h("ul", { class: "resources" }, ...data.resources.map((r) =>
    h("li", { class: `change ${r.change}` }, h("strong", {}, r.change), " ",
      r.name ? `${r.section.replace(/s$/, "").replace("_", " ")} ${r.name}` : r.section,
      r.fields?.length ? h("span", { class: "muted" }, ` (${r.fields.join(", ")})`) : null)));
  const impact = h("ul", { class: "impact" }, ...data.impact.filter((i) => i.change !== "unchanged").map((i) =>
    h("li", {}, h("strong", {}, `${i.vip}: `), i.effect)));
  const errors = data.valid ? null : h("div", { class: "invalid-draft", role: "alert" },
    h("h2", {}, "The draft is not valid"),
    h("ul", {}, ...data.errors.map((e) => h("li", {}, `${e.pointer}: ${e.message}`))));

  fill(main,
    h("h1", {}, data.pending ? `${data.pending} change${data.pending === 1 ? "" : "s"} pending` : "No changes pending"),
    data.stale ? h("p", { class: "error" },
      "The running config was reloaded since this draft was started: discard it, or restage the changes.") : null,
    errors,
    data.pending ? h("section", {}, h("h2", {}, "What changes"), resources) : null,
    data.pending ? h("section", {}, h("h2", {}, "Impact on open connections"),
      impact.children.length ? impact : h("p", {}, "No open connection is affected.")) : null,
    data.pending ? h("section", {}, h("h2", {}, "The config, before and after"),
      h("pre", { class: "diff", "aria-label": "YAML diff" }, ...lineDiff(data.live_yaml, data.draft_yaml).map(([kind, line]) =>
        h("span", { class: kind }, `${kind === "add" ? "+ " : kind === "del" ? "- " : "  "}${line}\n`)))) : null,
    h("div", { class: "actions" }, h("label", { for: "apply-comment" }, "Comment"), comment, apply, discard),
    message);
  return null;
}
