// Building the page: elements are made with h() and filled with text, never from HTML strings,
// so nothing the API returns (a VIP's name, a server's failure reason) can become markup.

// h("button", {class: "primary", onclick: save}, "Save"): attributes, properties ("on*"
// listeners, "value", "checked"), then children (strings become text; null and false are left
// out; arrays are flattened).
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) {
      element.addEventListener(key.slice(2), value);
    } else if (key === "value" || key === "checked" || key === "selected" || key === "disabled") {
      element[key] = value;
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) {
      append(element, child);
    } else {
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
}

// Replaces everything inside `element` with `children`.
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// A labelled form field: the label names the control (for screen readers and tests), and an
// error line below it shows what the API said of the field at `pointer`.
let fieldCount = 0;
export function field(label, control, { pointer, hint } = {}) {
  const id = control.id || `field-${++fieldCount}`;
  control.id = id;
  const error = h("p", { class: "field-error", role: "alert", id: `${id}-error` });
  control.setAttribute("aria-describedby", `${id}-error`);
  return h("div", { class: "field", dataset: pointer ? { pointer } : undefined },
           h("label", { for: id }, label), control, hint ? h("p", { class: "hint" }, hint) : null,
           error);
}

// Shows each of the API's field errors beside the field whose pointer is the longest prefix
// of the error's; errors no field claims go to `fallback` (named by `shown`, when a form
// rewrote the pointer, else by the pointer).
export function showFieldErrors(form, errors, fallback) {
  for (const line of form.querySelectorAll(".field-error")) line.textContent = "";
  for (const field of form.querySelectorAll(".field")) field.classList.remove("invalid");
  const fields = [...form.querySelectorAll(".field[data-pointer]")];
  const unclaimed = [];
  for (const error of errors) {
    let best = null;
    for (const candidate of fields) {
      const pointer = candidate.dataset.pointer;
      if ((error.pointer === pointer || error.pointer.startsWith(`${pointer}/`)) &&
          (!best || pointer.length > best.dataset.pointer.length)) {
        best = candidate;
      }
    }
    if (best) {
      best.classList.add("invalid");
      const line = best.querySelector(".field-error");
      line.textContent = line.textContent ? `${line.textContent}; ${error.message}` : error.message;
    } else {
      unclaimed.push(`${error.shown ?? error.pointer}: ${error.message}`);
    }
  }
  fill(fallback, unclaimed.join("\n"));
}

// The API's field errors as a form names its fields: pointers at or under `prefix`
// ("/vips/shop") start with `local` instead ("/vips/@"); `shown` keeps the API's own pointer.
export function inForm(errors, prefix, local) {
  return (errors ?? []).map((e) => ({
    ...e, shown: e.pointer,
    pointer: e.pointer === prefix || e.pointer.startsWith(`${prefix}/`)
      ? `${local}${e.pointer.slice(prefix.length)}` : e.pointer }));
}

// "3 minutes ago", for times the API gives as ISO 8601.
export function ago(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}
