// Moving between pages: the page shown is always the one the user went to last, even when a
// page they already left answers later (a slow API on a busy load balancer).
import { expect, test } from "@playwright/test";
import { signIn, startOrigin, startSluice, freePort } from "./sluice.mjs";

test("a page left while it loads never replaces the page the user went to", async ({ page }) => {
  const web = await startOrigin("web1");
  const sluice = await startSluice(`server_groups:
  - {name: web, protocol: http, servers: [{name: web1, address: ${web.address}}]}
vips:
  - {name: web, listen: 127.0.0.1:${await freePort()}, service: http, default_group: web}
`);
  try {
    await signIn(page, sluice);
    // The pending-changes page answers two seconds late: the user has gone on to the VIPs.
    let changesAnswered;
    const changesDone = new Promise((resolve) => { changesAnswered = resolve; });
    await page.route("**/api/v1/changes", async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await request.continue();
      changesAnswered();
    });
    await page.evaluate(() => { location.hash = "#/changes"; });
    await page.evaluate(() => { location.hash = "#/vips"; });
    await expect(page.locator('main[data-shown="#/vips"]')).toBeVisible();
    await changesDone;
    // The late answer has arrived and been dropped: still the VIPs, not the changes.
    await page.waitForTimeout(300);
    await expect(page.locator("main h1")).toHaveText("Virtual IPs");
    await expect(page.locator('main[data-shown="#/vips"]')).toBeVisible();

    // Going to the changes page again shows it (the route is not stuck).
    await page.unroute("**/api/v1/changes");
    await page.evaluate(() => { location.hash = "#/changes"; });
    await expect(page.locator('main[data-shown="#/changes"] h1')).toHaveText("No changes pending");
  } finally {
    await sluice.stop();
    await web.stop();
  }
});
