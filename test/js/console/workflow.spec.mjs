// The seeds' workflow, by clicks: an offload VIP created on a passthrough VIP's address with an
// uploaded certificate and an http group, the passthrough VIP unticked, the banner, the diff,
// apply; then curl through the address is offloaded.
import { expect, test } from "@playwright/test";
import { certificateFactory, curl, freePort, shot, signIn, startOrigin, startSluice } from "./sluice.mjs";

test("an offload VIP replaces a passthrough VIP on its address, by clicks", async ({ page }) => {
  const web = await startOrigin("web1");
  const port = await freePort();
  const certificates = certificateFactory();
  const shop = certificates.issue("shop", ["shop.test"]);
  const sluice = await startSluice(`server_groups:
  - {name: web, protocol: http, servers: [{name: web1, address: ${web.address}}]}
  - {name: tls-backends, protocol: tcp, servers: [{name: b1, address: 127.0.0.1:9}]}
vips:
  - {name: shop-pass, listen: 127.0.0.1:${port}, service: https-passthrough, default_group: tls-backends}
`);
  try {
    await signIn(page, sluice);
    await expect(page.getByRole("row", { name: /shop-pass/ })).toContainText("HTTPS (no SSL offloading — passthrough)");
    await shot(page, "vips-before");

    // Create Virtual IP: the certificate section and the group choices follow the service.
    await page.getByRole("link", { name: "Create Virtual IP" }).click();
    await page.getByLabel("Name", { exact: true }).fill("shop");
    await page.getByLabel("Address and port").fill(`127.0.0.1:${port}`);
    await page.getByLabel("Service").selectOption({ label: "HTTPS (with SSL offloading)" });
    await expect(page.getByRole("group", { name: "SSL Certificate" })).toBeVisible();
    await expect(page.getByText(/tls-backends: HTTPS \(with SSL offloading\) sends plain HTTP/)).toBeVisible();
    await page.getByLabel("Certificate name").fill("shop-2026");
    await page.getByLabel("Certificate chain (PEM)").setInputFiles(shop.cert);
    await page.getByLabel("Private key (PEM)").setInputFiles(shop.key);
    await page.getByRole("button", { name: "Upload" }).click();
    await expect(page.getByText("Uploaded shop-2026")).toBeVisible();
    await expect(page.getByLabel("Installed certificate")).toHaveValue("shop-2026");
    await page.getByLabel("Default Server Group").selectOption("web");
    await shot(page, "vip-form");
    // The address is still the active passthrough VIP's: the error shows at the field.
    await page.getByRole("button", { name: "Create" }).click();
    await expect(page.locator(".field.invalid", { has: page.getByLabel("Address and port") }))
      .toContainText("is already the address of active vips[0]");

    // Untick Active on the passthrough VIP first, then create.
    await page.getByRole("link", { name: "Cancel" }).click();
    await page.getByRole("link", { name: "shop-pass" }).click();
    await page.getByLabel("Active").uncheck();
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("row", { name: /shop-pass/ })).toContainText("No");
    await page.getByRole("link", { name: "Create Virtual IP" }).click();
    await page.getByLabel("Name", { exact: true }).fill("shop");
    await page.getByLabel("Address and port").fill(`127.0.0.1:${port}`);
    await page.getByLabel("Service").selectOption({ label: "HTTPS (with SSL offloading)" });
    await page.getByLabel("Installed certificate").selectOption("shop-2026");
    await page.getByLabel("Default Server Group").selectOption("web");
    await page.getByRole("button", { name: "Create" }).click();

    // The banner: the VIP added, the passthrough VIP changed, the certificate added.
    const banner = page.getByRole("status").filter({ hasText: "pending" });
    await expect(banner).toContainText("3 changes pending");
    await shot(page, "vips-pending");
    await banner.getByRole("link", { name: "Reload Load Balancer Config" }).click();
    await expect(page.getByRole("heading", { name: "3 changes pending" })).toBeVisible();
    await expect(page.locator("ul.resources")).toContainText("added vip shop");
    await expect(page.locator("ul.resources")).toContainText("changed vip shop-pass");
    await expect(page.locator("ul.impact")).toContainText("shop-pass: 0 connection(s) drain");
    await expect(page.getByLabel("YAML diff")).toContainText("+ ");
    await shot(page, "changes");
    await page.getByLabel("Comment").fill("offload the shop");
    await page.getByRole("button", { name: "Apply changes" }).click();
    await expect(page.getByText("Revision 2 is live on every worker.")).toBeVisible();
    await expect(banner).toBeHidden();

    // Offloaded: TLS ends at Sluice with the uploaded certificate, the origin gets plain HTTP.
    const answer = await curl("-i", "--cacert", certificates.ca, "--resolve", `shop.test:${port}:127.0.0.1`,
                        `https://shop.test:${port}/hello`);
    // Over HTTP/2 (the default ALPN), whose field names are lower case.
    expect(answer).toMatch(/^HTTP\/2 200/);
    expect(answer).toContain("x-origin: web1");
    expect(answer).toContain("x-seen-proto: https");

    await page.getByRole("link", { name: "History" }).click();
    await expect(page.getByRole("row", { name: /offload the shop/ })).toContainText("console-test");
    await shot(page, "history");
    await page.getByRole("link", { name: "Virtual IPs" }).click();
    await expect(page.getByRole("row", { name: /^shop / })).toContainText("shop-2026");
    await shot(page, "vips");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, "vips-390");
  } finally {
    await sluice.stop();
    await web.stop();
  }
});
