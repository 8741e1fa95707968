// Certificates: names, expiry (warned under 30 days), which VIPs use each, and upload.
import { api, describe } from "../api.js";
import { field, fill, h, inForm, showFieldErrors } from "../dom.js";

const DAY = 86400 * 1000;

export async function render(main, context) {
  const { data } = await api("GET", "/certificates");
  const body = h("tbody");
  for (const c of data.certificates) {
    const days = c.not_after ? Math.floor((Date.parse(c.not_after) - Date.now()) / DAY) : null;
    const expiry = days === null ? "–"
      : days < 0 ? h("span", { class: "badge down" }, `expired ${c.not_after.slice(0, 10)}`)
      : days < 30 ? h("span", { class: "badge degraded", title: "expires in under 30 days" },
                      `${c.not_after.slice(0, 10)} (in ${days} day${days === 1 ? "" : "s"})`)
      : c.not_after.slice(0, 10);
    body.append(h("tr", {},
      h("th", { scope: "row" }, c.name), h("td", {}, (c.names ?? []).join(", ")), h("td", {}, expiry),
      h("td", {}, c.key_type ?? ""), h("td", {}, c.used_by.join(", ") || "—"),
      h("td", { class: "fingerprint" }, c.error ?? (c.sha256 ?? "").slice(0, 23))));
  }
  const name = h("input", { type: "text", autocomplete: "off", required: true });
  const chain = h("input", { type: "file", accept: ".pem,.crt,.cer" });
  const key = h("input", { type: "file", accept: ".pem,.key" });
  const message = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "upload", onsubmit: async (event) => {
    event.preventDefault();
    fill(message);
    const certName = name.value.trim();
    if (!certName || !chain.files[0] || !key.files[0]) {
      fill(message, "Give the certificate a name and choose both files.");
      return;
    }
    try {
      await api("POST", "/certificates", { body: { name: certName, cert_pem: await chain.files[0].text(),
                                                   key_pem: await key.files[0].text() } });
      await context.refreshBanner();
      await render(main, context);
    } catch (error) {
      const errors = inForm(error.errors, `/certificates/${certName}`, "/certificates/upload");
      showFieldErrors(form, errors, message);
      if (!errors.length) fill(message, describe(error));
    }
  } },
    h("h2", {}, "Upload a certificate"),
    field("Certificate name", name, { pointer: "/certificates/upload/name" }),
    field("Certificate chain (PEM)", chain, { pointer: "/certificates/upload/cert" }),
    field("Private key (PEM)", key, { pointer: "/certificates/upload/key",
                                      hint: "Sent once; the API never shows a key again." }),
    h("button", { type: "submit", class: "primary" }, "Upload"), message);
  fill(main, h("h1", {}, "Certificates"),
    h("div", { class: "scroll" }, h("table", { class: "list" },
      h("thead", {}, h("tr", {}, ...["Name", "Names", "Expires", "Key", "Used by", "SHA-256"]
        .map((t) => h("th", { scope: "col" }, t)))), body)),
    form);
  return null;
}
