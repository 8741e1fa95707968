// A wrong certificate upload shows the error at the field it names; rules are added and
// reordered; a revision is restored from the history and applied.
import { expect, test } from "@playwright/test";
import { certificateFactory, curl, freePort, shot, signIn, startOrigin, startSluice } from "./sluice.mjs";

test("a certificate whose key does not match is refused at the key's field", async ({ page }) => {
  const certificates = certificateFactory();
  const one = certificates.issue("one", ["one.test"]);
  const other = certificates.issue("other", ["other.test"]);
  const web = await startOrigin("web1");
  const sluice = await startSluice(`certificates:
  - {name: one, cert: ${one.cert}, key: ${one.key}}
server_groups:
  - {name: web, protocol: http, servers: [{name: web1, address: ${web.address}}]}
vips:
  - {name: web, listen: 127.0.0.1:${await freePort()}, service: http, default_group: web}
`);
  try {
    await signIn(page, sluice);
    await page.getByRole("link", { name: "Certificates" }).click();
    await expect(page.getByRole("row", { name: /^one / })).toContainText("one.test");
    // Made to last two days: flagged as expiring under 30 days.
    await expect(page.getByRole("row", { name: /^one / }).locator(".badge.degraded")).toContainText("(in 1 day)");
    await page.getByLabel("Certificate name").fill("mismatched");
    await page.getByLabel("Certificate chain (PEM)").setInputFiles(one.cert);
    await page.getByLabel("Private key (PEM)").setInputFiles(other.key);
    await page.getByRole("button", { name: "Upload" }).click();
    const keyField = page.locator(".field", { has: page.getByLabel("Private key (PEM)") });
    await expect(keyField).toHaveClass(/invalid/);
    await expect(keyField.locator(".field-error")).toContainText("does not match the certificate");
    await expect(keyField.locator(".field-error")).not.toContainText("/tmp/");
    await shot(page, "certificates");
    expect((await sluice.api("GET", "/status")).body.pending_changes).toBe(0);
  } finally {
    await sluice.stop();
    await web.stop();
  }
});

test("rules are added and reordered, and a revision is restored from the history", async ({ page }) => {
  const web = await startOrigin("web1");
  const port = await freePort();
  const sluice = await startSluice(`server_groups:
  - {name: web, protocol: http, servers: [{name: web1, address: ${web.address}}]}
vips:
  - {name: web, listen: 127.0.0.1:${port}, service: http, default_group: web}
`);
  try {
    await signIn(page, sluice);
    await page.getByRole("link", { name: "Rules (0)" }).click();
    const add = async (name, match, action) => {
      await page.getByRole("button", { name: "Add rule" }).click();
      await page.getByLabel("Name (optional)").fill(name);
      await page.getByLabel("Match (JSON)").fill(match);
      await page.getByLabel("Action (JSON)").fill(action);
      await page.getByRole("button", { name: "Add", exact: true }).click();
    };
    // Each add re-draws the list: the next waits for it.
    await add("hello", '{"path": "/hello"}', '{"respond": {"status": 200, "body": "hi\\n"}}');
    await expect(page.locator("ol.rules li")).toHaveCount(1);
    await add("no-admin", '{"path_prefix": "/admin"}', '{"deny": 403}');
    await expect(page.locator("ol.rules li")).toHaveCount(2);
    await page.getByRole("button", { name: "Move no-admin up" }).click();
    await expect(page.locator("ol.rules li").first()).toContainText("no-admin");
    await add("closed", '{"any": true}', '{"respond": {"status": 503, "body": "closed\\n"}}');
    await expect(page.locator("ol.rules li")).toHaveCount(3);
    // A rule after an {any: true} rule that decides could never run: the API says so, in the form.
    await add("late", '{"path": "/late"}', '{"deny": 403}');
    await expect(page.locator(".rule-form")).toContainText("can never run");
    // So does moving that rule up.
    await page.getByRole("button", { name: "Move closed up" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "can never run" }).first()).toBeVisible();
    await expect(page.locator("ol.rules li").last()).toContainText("closed");
    await expect(page.locator("ol.rules li")).toHaveCount(3);
    await shot(page, "rules");

    await page.getByRole("link", { name: "Reload Load Balancer Config" }).click();
    await page.getByRole("button", { name: "Apply changes" }).click();
    await expect(page.getByText("Revision 2 is live")).toBeVisible();
    expect(await curl(`http://127.0.0.1:${port}/hello`)).toBe("hi\n");
    expect(await curl(`http://127.0.0.1:${port}/other`)).toBe("closed\n");
    expect(await curl("-i", `http://127.0.0.1:${port}/admin/x`)).toContain("HTTP/1.1 403");

    // Back to revision 1 from the history: staged, reviewed, applied.
    await page.getByRole("link", { name: "History" }).click();
    await page.getByRole("button", { name: "Restore revision 1" }).click();
    await expect(page.getByRole("heading", { name: "1 change pending" })).toBeVisible();
    await expect(page.locator("ul.resources")).toContainText("changed vip web (rules)");
    await page.getByRole("button", { name: "Apply changes" }).click();
    await expect(page.getByText("Revision 3 is live")).toBeVisible();
    expect(await curl("-i", `http://127.0.0.1:${port}/other`)).toContain("X-Origin: web1");
  } finally {
    await sluice.stop();
    await web.stop();
  }
});
