// Checks the admin API's OpenAPI document against a running Sluice:
//   1. the document is valid OpenAPI 3.1 (@apidevtools/swagger-parser);
//   2. a scenario that calls every operation it declares gets, each time, a status the
//      operation declares and a body its schema accepts (Ajv, JSON Schema 2020-12);
//   3. no declared operation is left uncalled.
// Usage: node check_openapi.mjs http://127.0.0.1:PORT ADMIN_TOKEN
// The running config must be the admin API test fixture's: VIPs web and shop, group web with
// servers a and b, certificate shop. Exit 0 when all holds; else each failure on stderr.
import SwaggerParser from "@apidevtools/swagger-parser";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [base, token] = process.argv.slice(2);
const failures = [];
const called = new Set();

const document = await (await fetch(`${base}/api/v1/openapi.json`, {
  headers: { Authorization: `Bearer ${token}` },
})).json();
try {
  await SwaggerParser.validate(structuredClone(document));
} catch (error) {
  console.error(`the document is not valid OpenAPI: ${error.message}`);
  process.exit(1);
}
const api = await SwaggerParser.dereference(structuredClone(document));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

// Calls METHOD TEMPLATE (path parameters filled from `values`) and checks the answer against
// the document. Returns the parsed body and the response.
async function call(method, template, { values = {}, query = "", body, headers = {}, auth = true,
                                        expect } = {}) {
  const operation = api.paths[template]?.[method.toLowerCase()];
  if (!operation) {
    failures.push(`${method} ${template}: not in the document`);
    return {};
  }
  called.add(`${method} ${template}`);
  const path = template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(values[name]));
  const init = { method, headers: { ...headers } };
  if (auth) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["Content-Type"] ??= "application/json";
  }
  const controller = new AbortController();
  init.signal = controller.signal;
  const response = await fetch(`${base}/api/v1${path}${query}`, init);
  const where = `${method} ${path}${query} → ${response.status}`;
  if (expect !== undefined && response.status !== expect) {
    failures.push(`${where}: expected ${expect}`);
  }
  const declared = operation.responses[String(response.status)] ?? operation.responses.default;
  if (!declared) {
    failures.push(`${where}: the document declares no ${response.status} for it`);
    controller.abort();
    return { response };
  }
  const type = (response.headers.get("content-type") ?? "").split(";")[0].trim();
  if (type === "text/event-stream") {
    controller.abort();  // a stream: its headers are the answer
    if (!declared.content?.[type]) failures.push(`${where}: ${type} is not declared`);
    return { response };
  }
  const text = await response.text();
  if (!declared.content) {
    if (text.length > 0) failures.push(`${where}: a body where none is declared`);
    return { response };
  }
  const media = declared.content[type];
  if (!media) {
    failures.push(`${where}: content type '${type}' is not declared`);
    return { response };
  }
  let parsed = text;
  if (type.endsWith("json")) {
    try {
      parsed = JSON.parse(text);
    } catch {
      failures.push(`${where}: not JSON: ${text.slice(0, 200)}`);
      return { response };
    }
  }
  if (media.schema && !ajv.validate(media.schema, parsed)) {
    failures.push(`${where}: the body does not match the schema: ${ajv.errorsText(ajv.errors)}\n` +
                  `  body: ${JSON.stringify(parsed).slice(0, 400)}`);
  }
  return { body: parsed, response };
}

// Views.
await call("GET", "/status", { expect: 200 });
await call("GET", "/status", { auth: false, expect: 401 });
await call("GET", "/cluster", { expect: 200 });
await call("GET", "/health", { expect: 200 });
await call("GET", "/stats", { expect: 200 });
await call("GET", "/events", { expect: 200 });
await call("GET", "/openapi.json", { expect: 200 });

// VIPs, then a VIP's rules.
const vip = { name: "extra", listen: "127.0.0.1:1", service: "http", default_group: "web",
              active: false };
await call("GET", "/vips", { expect: 200 });
await call("GET", "/vips/{name}", { values: { name: "web" }, expect: 200 });
await call("GET", "/vips/{name}", { values: { name: "nope" }, expect: 404 });
await call("POST", "/vips", { body: vip, expect: 201 });
await call("POST", "/vips", { body: vip, expect: 409 });
await call("PUT", "/vips/{name}", { values: { name: "extra" }, body: vip, expect: 200 });
await call("PATCH", "/vips/{name}", { values: { name: "extra" }, body: { listen: "nowhere" },
                                      expect: 422 });
await call("PATCH", "/vips/{name}", { values: { name: "extra" }, body: { active: false },
                                      expect: 200 });
await call("DELETE", "/vips/{name}", { values: { name: "extra" }, expect: 204 });

const rule = { name: "hello", match: { path: "/hello" },
               action: { respond: { status: 200, body: "hi\n" } } };
const web = { name: "web" };
await call("GET", "/vips/{name}/rules", { values: web, expect: 200 });
await call("POST", "/vips/{name}/rules", { values: web, query: "?position=0", body: rule,
                                           expect: 201 });
await call("GET", "/vips/{name}/rules/{rule}", { values: { ...web, rule: "0" }, expect: 200 });
await call("PUT", "/vips/{name}/rules/{rule}", { values: { ...web, rule: "hello" }, body: rule,
                                                 expect: 200 });
await call("PATCH", "/vips/{name}/rules/{rule}", { values: { ...web, rule: "hello" },
                                                   body: { match: { path: "/hi" } }, expect: 200 });
await call("POST", "/vips/{name}/rules/{rule}/move", { values: { ...web, rule: "hello" },
                                                       body: { to: 0 }, expect: 200 });
await call("DELETE", "/vips/{name}/rules/{rule}", { values: { ...web, rule: "hello" },
                                                    expect: 204 });
await call("PUT", "/vips/{name}/rules", { values: web, body: { rules: [rule] }, expect: 200 });
await call("PUT", "/vips/{name}/rules", { values: web, body: { rules: [] }, expect: 200 });

// Server groups.
const group = { name: "spare", protocol: "http", servers: [{ name: "s1", address: "127.0.0.1:1" }] };
await call("GET", "/server_groups", { expect: 200 });
await call("GET", "/server_groups/{name}", { values: { name: "web" }, expect: 200 });
await call("POST", "/server_groups", { body: group, expect: 201 });
await call("PUT", "/server_groups/{name}", { values: { name: "spare" }, body: group, expect: 200 });
await call("PATCH", "/server_groups/{name}", { values: { name: "spare" }, body: { retries: 2 },
                                               expect: 200 });
await call("DELETE", "/server_groups/{name}", { values: { name: "spare" }, expect: 204 });
await call("DELETE", "/server_groups/{name}", { values: { name: "web" }, expect: 422 });

// Certificates: a second entry naming the first one's files.
const draft = (await call("GET", "/config", { query: "?draft=1", expect: 200 })).body;
const files = draft.certificates.find((c) => c.name === "shop");
await call("GET", "/certificates", { expect: 200 });
await call("GET", "/certificates/{name}", { values: { name: "shop" }, expect: 200 });
await call("POST", "/certificates", { body: { ...files, name: "copy" }, expect: 201 });
await call("POST", "/certificates", { body: { name: "bad", cert_pem: "x", key_pem: "y" },
                                      expect: 400 });
await call("PUT", "/certificates/{name}", { values: { name: "copy" }, body: { ...files, name: "copy" },
                                            expect: 200 });
await call("PATCH", "/certificates/{name}", { values: { name: "copy" }, body: {}, expect: 200 });
await call("DELETE", "/certificates/{name}", { values: { name: "copy" }, expect: 204 });

// The whole document, then a change reviewed, applied, confirmed, and the history.
await call("GET", "/config", { expect: 200 });
await call("PUT", "/config", { query: "?dry_run=1", body: draft, expect: 200 });
await call("PUT", "/config", { body: draft, expect: 200 });
await call("PATCH", "/vips/{name}", { values: { name: "shop" }, body: { active: false }, expect: 200 });
const review = await call("GET", "/changes", { expect: 200 });
await call("POST", "/changes/validate", { expect: 200 });
await call("POST", "/apply", { expect: 428 });
await call("POST", "/apply", { headers: { "If-Match": review.response.headers.get("etag") },
                               body: { comment: "openapi check", confirm_within_s: 60 },
                               expect: 200 });
await call("POST", "/apply/confirm", { expect: 200 });
await call("POST", "/apply/confirm", { expect: 409 });
await call("GET", "/revisions", { expect: 200 });
await call("GET", "/revisions/{number}", { values: { number: 1 }, expect: 200 });
await call("GET", "/revisions/{from}/diff/{to}", { values: { from: 1, to: 2 }, expect: 200 });
await call("POST", "/revisions/{number}/restore", { values: { number: 1 }, expect: 200 });
await call("DELETE", "/changes", { expect: 204 });

// Live operations.
const server = { group: "web", server: "a" };
for (const verb of ["drain", "enable", "disable", "enable"]) {
  await call("POST", `/server_groups/{group}/servers/{server}/${verb}`, { values: server,
                                                                          expect: 200 });
}
await call("POST", "/server_groups/{group}/servers/{server}/drain",
           { values: { group: "web", server: "zz" }, expect: 404 });
await call("POST", "/server_groups/{group}/servers/{server}/weight", { values: server,
                                                                       body: { weight: 3 }, expect: 200 });
await call("POST", "/server_groups/{group}/servers/{server}/weight", { values: server,
                                                                       body: { weight: null }, expect: 200 });
await call("POST", "/server_groups/{group}/servers/{server}/close", { values: server, expect: 200 });

for (const [template, item] of Object.entries(api.paths)) {
  for (const method of ["get", "put", "post", "patch", "delete"]) {
    if (item[method] && !called.has(`${method.toUpperCase()} ${template}`)) {
      failures.push(`${method.toUpperCase()} ${template}: declared, never called`);
    }
  }
}
for (const failure of failures) console.error(failure);
console.log(`${called.size} operations called, ${failures.length} failure(s)`);
process.exit(failures.length === 0 ? 0 : 1);
