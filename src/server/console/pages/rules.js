// A VIP's rules: the ordered list, to add, edit, reorder and delete. Match and action are edited
// as JSON, with the README's keys ({"path_prefix": "/api/"}, {"route": "api"}).
import { api, describe } from "../api.js";
import { field, fill, h, inForm, showFieldErrors } from "../dom.js";

function summary(object) {
  return Object.entries(object ?? {}).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ");
}

export async function render(main, context, vip) {
  const base = `/vips/${encodeURIComponent(vip)}/rules`;
  const { data } = await api("GET", base);
  const message = h("p", { class: "error", role: "alert" });
  const rerender = async () => {
    await context.refreshBanner();
    await render(main, context, vip);
  };
  const act = (promise) => promise.then(rerender).catch((error) => fill(message, describe(error)));

  const list = h("ol", { class: "rules" }, ...data.rules.map((rule, index) => h("li", {},
    h("div", { class: "rule" },
      h("strong", {}, rule.name ?? `rule ${index}`),
      h("span", {}, ` when ${summary(rule.match)} → ${summary(rule.action)}`)),
    h("div", { class: "buttons" },
      h("button", { type: "button", disabled: index === 0, "aria-label": `Move ${rule.name ?? index} up`,
                    onclick: () => act(api("POST", `${base}/${index}/move`, { body: { to: index - 1 } })) }, "↑"),
      h("button", { type: "button", disabled: index === data.rules.length - 1,
                    "aria-label": `Move ${rule.name ?? index} down`,
                    onclick: () => act(api("POST", `${base}/${index}/move`, { body: { to: index + 1 } })) }, "↓"),
      h("button", { type: "button", onclick: () => edit(index, rule) }, "Edit"),
      h("button", { type: "button", class: "danger",
                    onclick: () => act(api("DELETE", `${base}/${index}`)) }, "Delete")))));

  const editor = h("div");
  function edit(index, rule) {
    const name = h("input", { type: "text", value: rule?.name ?? "", autocomplete: "off" });
    const match = h("textarea", { rows: 3, spellcheck: "false" }, JSON.stringify(rule?.match ?? { path_prefix: "/" }));
    const action = h("textarea", { rows: 3, spellcheck: "false" }, JSON.stringify(rule?.action ?? { deny: 403 }));
    const error = h("p", { class: "error", role: "alert" });
    const at = index ?? data.rules.length;
    const form = h("form", { class: "rule-form", onsubmit: async (event) => {
      event.preventDefault();
      let body;
      try {
        body = { match: JSON.parse(match.value), action: JSON.parse(action.value) };
      } catch (parseError) {
        fill(error, `Not JSON: ${parseError.message}`);
        return;
      }
      if (name.value.trim()) body.name = name.value.trim();
      try {
        if (index === null) await api("POST", base, { body });
        else await api("PUT", `${base}/${index}`, { body });
        await rerender();
      } catch (apiError) {
        const errors = inForm(apiError.errors, `/vips/${vip}/rules/${at}`, "/rule");
        showFieldErrors(form, errors, error);
        if (!errors.length) fill(error, describe(apiError));
      }
    } },
      h("h2", {}, index === null ? "Add a rule" : `Edit rule ${rule?.name ?? index}`),
      field("Name (optional)", name, { pointer: "/rule/name" }),
      field("Match (JSON)", match, { pointer: "/rule/match" }),
      field("Action (JSON)", action, { pointer: "/rule/action" }),
      h("button", { type: "submit", class: "primary" }, index === null ? "Add" : "Save"), error);
    fill(editor, form);
    form.querySelector("input").focus();
  }

  fill(main,
    h("div", { class: "title" }, h("h1", {}, `Rules of ${vip}`),
      h("button", { type: "button", class: "primary", onclick: () => edit(null, null) }, "Add rule")),
    h("p", { class: "muted" }, "Every rule whose match holds applies, in order; the first with a terminal action decides."),
    message, data.rules.length ? list : h("p", {}, "No rules: every request goes to the default group."),
    editor);
  return null;
}
