// Live state on the page: a server stopped by the test turns red within seconds without a
// reload, and the drain button takes a server out of rotation.
import { expect, test } from "@playwright/test";
import { curl, freePort, shot, signIn, startOrigin, startSluice } from "./sluice.mjs";

test("a stopped server turns red without a reload, and drain takes one out of rotation", async ({ page }) => {
  const a = await startOrigin("a");
  const b = await startOrigin("b");
  const port = await freePort();
  const sluice = await startSluice(`server_groups:
  - name: web
    protocol: http
    health: {type: http, path: /, interval: 300ms, timeout: 250ms, rise: 1, fall: 1}
    servers: [{name: a, address: ${a.address}}, {name: b, address: ${b.address}}]
vips:
  - {name: web, listen: 127.0.0.1:${port}, service: http, default_group: web}
`);
  try {
    await signIn(page, sluice);
    await page.getByRole("link", { name: "Server groups" }).click();
    const rowA = page.locator('tr[data-server="web/a"]');
    const rowB = page.locator('tr[data-server="web/b"]');
    await expect(rowA.locator(".badge")).toHaveText("up");
    await expect(rowB.locator(".badge")).toHaveText("up");
    await expect(rowB).toContainText("passed");

    // Drain a: every new request goes to b.
    await rowA.getByRole("button", { name: "Drain a" }).click();
    await expect(rowA.locator(".badge")).toHaveText("draining");
    for (let i = 0; i < 6; ++i) {
      expect(await curl("-i", `http://127.0.0.1:${port}/`)).toContain("X-Origin: b");
    }
    await rowA.getByRole("button", { name: "Enable a" }).click();
    await expect(rowA.locator(".badge")).toHaveText("up");

    // b stops: the page shows it down, with the reason, by itself.
    const url = page.url();
    await b.stop();
    await expect(rowB.locator(".badge")).toHaveText("down", { timeout: 10_000 });
    await expect(rowB.locator(".badge")).toHaveCSS("background-color", "rgb(179, 38, 30)");
    await expect(rowB.locator("td.reason")).toContainText("connect");
    expect(page.url()).toBe(url);
    await shot(page, "groups");
    await page.getByRole("link", { name: "Virtual IPs" }).click();
    await expect(page.getByRole("row", { name: /^web / })).toContainText("1/2 up");
  } finally {
    await sluice.stop();
    await a.stop();
  }
});
