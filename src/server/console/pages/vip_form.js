// Create Virtual IP, or edit one: the panels' form. Only the fields that fit the chosen service
// are shown; a save stages the change in the draft (the banner then offers to apply it).
import { api, ApiError, describe } from "../api.js";
import { field, fill, h, inForm, showFieldErrors } from "../dom.js";
import { groupMismatch, SERVICES, TERMINATING } from "./services.js";

export async function render(main, context, name) {
  const [groupsAnswer, certificatesAnswer, vipAnswer] = await Promise.all([
    api("GET", "/server_groups"), api("GET", "/certificates"),
    name ? api("GET", `/vips/${encodeURIComponent(name)}`) : Promise.resolve(null)]);
  const groups = groupsAnswer.data.server_groups;
  let certificates = certificatesAnswer.data.certificates;
  const original = vipAnswer?.data ?? { active: true, service: "https-offload" };
  const etag = vipAnswer?.etag;

  const nameInput = h("input", { type: "text", value: original.name ?? "", required: true,
                                 readonly: Boolean(name), autocomplete: "off" });
  const listen = h("input", { type: "text", value: original.listen ?? "", placeholder: "0.0.0.0:443",
                              required: true, autocomplete: "off" });
  const service = h("select", {}, ...SERVICES.map((s) =>
    h("option", { value: s.value, selected: s.value === original.service }, s.label)));
  const active = h("input", { type: "checkbox", checked: original.active !== false });
  const certificate = h("select", {});
  const group = h("select", {});
  const groupReasons = h("ul", { class: "hint reasons" });
  const forceHttps = h("input", { type: "checkbox", checked: Boolean(original.redirect_https) });
  const hsts = h("input", { type: "checkbox", checked: Boolean(original.hsts) });
  const routes = h("div", { class: "sni-routes" });
  const general = h("p", { class: "error", role: "alert" });
  // Fields name their place in the VIP as "/vips/@/KEY"; the API's pointers are mapped so.
  const pointer = (key) => `/vips/@/${key}`;

  // The certificate section: pick one installed, or upload a chain and key.
  const upload = {
    name: h("input", { type: "text", autocomplete: "off" }),
    chain: h("input", { type: "file", accept: ".pem,.crt,.cer" }),
    key: h("input", { type: "file", accept: ".pem,.key" }),
    message: h("p", { class: "error", role: "alert" }),
  };
  const uploadBox = h("fieldset", { class: "upload" }, h("legend", {}, "Upload a certificate"),
    field("Certificate name", upload.name, { pointer: "/certificates/upload/name" }),
    field("Certificate chain (PEM)", upload.chain, { pointer: "/certificates/upload/cert" }),
    field("Private key (PEM)", upload.key, { pointer: "/certificates/upload/key" }),
    h("button", { type: "button", onclick: uploadCertificate }, "Upload"), upload.message);
  const certificateSection = h("fieldset", { class: "certificate" }, h("legend", {}, "SSL Certificate"),
    field("Installed certificate", certificate, { pointer: pointer("certificates") }), uploadBox);

  function fillCertificates(selected) {
    fill(certificate, h("option", { value: "" }, "— choose —"), ...certificates.map((c) =>
      h("option", { value: c.name, selected: c.name === selected },
        `${c.name}${c.names ? ` (${c.names.join(", ")}` : ""}${c.not_after ? `, until ${c.not_after.slice(0, 10)})` : c.names ? ")" : ""}`)));
  }
  fillCertificates((original.certificates ?? [])[0]);

  async function uploadCertificate() {
    fill(upload.message);
    const certName = upload.name.value.trim();
    if (!certName || !upload.chain.files[0] || !upload.key.files[0]) {
      fill(upload.message, "Give the certificate a name and choose both files.");
      return;
    }
    const body = { name: certName, cert_pem: await upload.chain.files[0].text(),
                   key_pem: await upload.key.files[0].text() };
    try {
      await api("POST", "/certificates", { body });
      certificates = (await api("GET", "/certificates")).data.certificates;
      fillCertificates(certName);
      fill(upload.message, h("span", { class: "ok" }, `Uploaded ${certName}: staged with this VIP.`));
      context.refreshBanner();
    } catch (error) {
      // Field errors name /certificates/NAME/...: shown at the upload's own fields.
      const errors = inForm(error.errors, `/certificates/${certName}`, "/certificates/upload");
      showFieldErrors(uploadBox, errors, upload.message);
      if (!errors.length) fill(upload.message, describe(error));
    }
  }

  function fillGroups() {
    const reasons = [];
    fill(group, h("option", { value: "" }, "— choose —"), ...groups.map((g) => {
      const why = groupMismatch(service.value, g.protocol ?? "http");
      if (why) reasons.push(h("li", {}, `${g.name}: ${why}`));
      return h("option", { value: g.name, disabled: Boolean(why),
                           selected: !why && g.name === original.default_group }, g.name);
    }));
    fill(groupReasons, ...reasons);
  }

  const routeRows = [];
  function addRoute(route = {}) {
    const sni = h("input", { type: "text", value: route.sni ?? "", placeholder: "shop.example.com",
                             "aria-label": "SNI name" });
    const target = h("select", { "aria-label": "Group for this name" },
      ...groups.filter((g) => g.protocol === "tcp").map((g) =>
        h("option", { value: g.name, selected: g.name === route.group }, g.name)));
    const row = h("div", { class: "route" }, sni, target,
      h("button", { type: "button", class: "link", onclick: () => {
        routeRows.splice(routeRows.indexOf(entry), 1);
        row.remove();
      } }, "Remove"));
    const entry = { sni, target, row, mode: route.mode };
    routeRows.push(entry);
    routes.append(row);
  }
  for (const route of original.sni_routes ?? []) addRoute(route);
  const routeSection = h("fieldset", { class: "sni" }, h("legend", {}, "SNI routes"),
    h("div", { class: "field", dataset: { pointer: pointer("sni_routes") } }, routes,
      h("p", { class: "field-error", role: "alert" })),
    h("button", { type: "button", onclick: () => addRoute() }, "Add SNI route"));

  const forceField = field("Force HTTPS (redirect every request)", forceHttps, { pointer: pointer("redirect_https") });
  const hstsField = field("HSTS (Strict-Transport-Security, one year)", hsts, { pointer: pointer("hsts") });
  function showForService() {
    const value = service.value;
    certificateSection.hidden = !TERMINATING.has(value);
    forceField.hidden = value !== "http";
    hstsField.hidden = !TERMINATING.has(value);
    routeSection.hidden = value !== "https-passthrough";
    fillGroups();
  }
  service.addEventListener("change", showForService);

  // The entry to stage: the original with the form's fields, and without the keys the chosen
  // service does not take.
  function entry() {
    const vip = { ...original, name: nameInput.value.trim(), listen: listen.value.trim(),
                  service: service.value, active: active.checked };
    if (group.value) vip.default_group = group.value; else delete vip.default_group;
    if (TERMINATING.has(vip.service)) {
      vip.certificates = certificate.value ? [certificate.value] : [];
      if (hsts.checked) vip.hsts = original.hsts || { max_age: 31536000 }; else delete vip.hsts;
    } else {
      delete vip.certificates;
      delete vip.hsts;
      delete vip.tls;
    }
    if (vip.service === "http" && forceHttps.checked) vip.redirect_https = original.redirect_https || true;
    else delete vip.redirect_https;
    if (vip.service === "https-passthrough" && routeRows.length) {
      vip.sni_routes = routeRows.map((r) => ({ sni: r.sni.value.trim(), group: r.target.value,
                                               ...(r.mode ? { mode: r.mode } : {}) }));
    } else if (vip.service === "https-passthrough" || !TERMINATING.has(vip.service)) {
      delete vip.sni_routes;
    }
    if (!["http", "https-offload", "https-bridge"].includes(vip.service)) {
      for (const key of ["rules", "forwarded_headers", "path_normalization"]) delete vip[key];
    }
    return vip;
  }

  const form = h("form", { class: "vip-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    fill(general);
    try {
      if (name) {
        await api("PUT", `/vips/${encodeURIComponent(name)}`, { body: entry(), ifMatch: etag });
      } else {
        await api("POST", "/vips", { body: entry() });
      }
      await context.refreshBanner();
      context.navigate("#/vips");
    } catch (error) {
      const errors = inForm(error.errors, `/vips/${entry().name}`, "/vips/@");
      showFieldErrors(form, errors, general);
      if (!errors.length) fill(general, describe(error));
    }
  } },
    field("Name", nameInput, { pointer: pointer("name"), hint: name ? "A VIP keeps its name: create another to rename." : null }),
    field("Address and port", listen, { pointer: pointer("listen") }),
    field("Service", service, { pointer: pointer("service") }),
    h("div", { class: "field checkbox", dataset: { pointer: pointer("active") } },
      active, h("label", { for: "vip-active" }, "Active"), h("p", { class: "field-error", role: "alert" })),
    certificateSection,
    h("div", { class: "field", dataset: { pointer: pointer("default_group") } },
      h("label", { for: "vip-group" }, "Default Server Group"), group, groupReasons,
      h("p", { class: "field-error", role: "alert" })),
    forceField, hstsField, routeSection,
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, name ? "Save" : "Create"),
      h("a", { class: "button", href: "#/vips" }, "Cancel"),
      name ? h("button", { type: "button", class: "danger", onclick: async () => {
        try {
          await api("DELETE", `/vips/${encodeURIComponent(name)}`, { ifMatch: etag });
          await context.refreshBanner();
          context.navigate("#/vips");
        } catch (error) {
          fill(general, error instanceof ApiError ? describe(error) : String(error));
        }
      } }, "Delete") : null),
    general);
  active.id = "vip-active";
  group.id = "vip-group";
  showForService();
  fill(main, h("h1", {}, name ? `Virtual IP ${name}` : "Create Virtual IP"), form);
  return null;
}
