// A server group made in the console: a bad address refused beside its server's field, then
// the group created with two servers, applied, and its servers checked live.
import { expect, test } from "@playwright/test";
import { freePort, shot, signIn, startOrigin, startSluice } from "./sluice.mjs";

test("a server group is created with its servers, a bad address refused at its field", async ({ page }) => {
  const web = await startOrigin("web1");
  const api1 = await startOrigin("api1");
  const api2 = await startOrigin("api2");
  const sluice = await startSluice(`server_groups:
  - {name: web, protocol: http, servers: [{name: web1, address: ${web.address}}]}
vips:
  - {name: web, listen: 127.0.0.1:${await freePort()}, service: http, default_group: web}
`);
  try {
    await signIn(page, sluice);
    await page.getByRole("link", { name: "Server groups" }).click();
    await page.getByRole("link", { name: "Create server group" }).click();
    await page.getByLabel("Name", { exact: true }).fill("api");
    await page.getByLabel("Balancing").selectOption("least_conn");
    await page.getByLabel("Speak HTTP/2 to the servers").check();
    await page.getByLabel("Type").selectOption("http");
    await page.getByLabel("Path (http, https)").fill("/healthz");
    await page.getByLabel("Interval").fill("500ms");
    await page.getByLabel("Timeout").fill("1s");
    await page.getByLabel("Server 1 name").fill("api1");
    await page.getByLabel("Server 1 address").fill("nowhere");
    await page.getByRole("button", { name: "Add server" }).click();
    await page.getByLabel("Server 2 name").fill("api2");
    await page.getByLabel("Server 2 address").fill(api2.address);
    await page.getByLabel("Server 2 weight").fill("3");
    await page.getByRole("button", { name: "Create" }).click();
    const address = page.locator("td.field", { has: page.getByLabel("Server 1 address") });
    await expect(address).toHaveClass(/invalid/);
    await expect(address.locator(".field-error")).not.toBeEmpty();
    await shot(page, "group-form");

    // The timeout is longer than the interval: said beside the Timeout field.
    const timeout = page.locator(".field", { has: page.getByLabel("Timeout") });
    await expect(timeout.locator(".field-error")).toContainText("at most the interval");
    await page.getByLabel("Timeout").fill("400ms");
    await page.getByLabel("Server 1 address").fill(api1.address);
    await page.getByRole("button", { name: "Create" }).click();
    await expect(page.getByRole("heading", { name: "Server groups" })).toBeVisible();
    await expect(page.locator("section.group h2").filter({ hasText: "api" })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "pending" })).toContainText("1 change pending");
    await page.getByRole("link", { name: "Reload Load Balancer Config" }).click();
    await page.getByRole("button", { name: "Apply changes" }).click();
    await expect(page.getByText("Revision 2 is live")).toBeVisible();

    await page.getByRole("link", { name: "Server groups" }).click();
    await expect(page.locator('tr[data-server="api/api1"] .badge')).toHaveText("up");
    await expect(page.locator('tr[data-server="api/api2"]')).toContainText("3");
    const written = (await sluice.api("GET", "/server_groups/api")).body;
    expect(written.balance).toBe("least_conn");
    expect(written.http2).toBe(true);
    expect(written.health).toMatchObject({ type: "http", path: "/healthz", interval: "500ms", timeout: "400ms" });
    expect(written.servers.map((s) => s.weight ?? 1)).toEqual([1, 3]);
  } finally {
    await sluice.stop();
    await Promise.all([web.stop(), api1.stop(), api2.stop()]);
  }
});
