// Every control on every page has a label, and the console works from the keyboard alone:
// sign in, reach Create Virtual IP, fill the form and stage a VIP without the mouse.
import { expect, test } from "@playwright/test";
import { freePort, shot, signIn, startOrigin, startSluice } from "./sluice.mjs";

async function unlabelled(page) {
  return page.evaluate(() => [...document.querySelectorAll("main input, main select, main textarea")]
    .filter((control) => !control.closest("[hidden]"))
    .filter((control) => control.labels.length === 0 && !control.getAttribute("aria-label"))
    .map((control) => control.outerHTML));
}

test("every control is labelled, and a VIP is staged from the keyboard alone", async ({ page }) => {
  const web = await startOrigin("web1");
  const sluice = await startSluice(`server_groups:
  - {name: web, protocol: http, servers: [{name: web1, address: ${web.address}}]}
vips:
  - {name: web, listen: 127.0.0.1:${await freePort()}, service: http, default_group: web,
     rules: [{name: r, match: {path: /x}, action: {deny: 403}}]}
`);
  try {
    await page.goto(`${sluice.url}/console/`);
    await expect(page.getByLabel("Admin API token")).toBeFocused();
    await page.keyboard.type(sluice.token);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Virtual IPs" }).waitFor();
    for (const hash of ["#/vips", "#/vips/new", "#/vips/web", "#/vips/web/rules", "#/groups",
                        "#/groups/new", "#/groups/web", "#/certificates", "#/history", "#/changes"]) {
      await page.evaluate((h) => { location.hash = h; }, hash);
      await page.locator(`main[data-shown="${hash}"] h1`).first().waitFor();
      expect(await unlabelled(page), hash).toEqual([]);
    }

    // From the keyboard: Tab to "Create Virtual IP", then through the form.
    await page.evaluate(() => { location.hash = "#/vips"; });
    await page.getByRole("heading", { name: "Virtual IPs" }).waitFor();
    const create = page.getByRole("link", { name: "Create Virtual IP" });
    for (let i = 0; i < 30 && !(await create.evaluate((e) => e === document.activeElement)); ++i) {
      await page.keyboard.press("Tab");
    }
    await expect(create).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page.getByLabel("Name", { exact: true })).toBeVisible();
    await page.getByLabel("Name", { exact: true }).focus();
    await page.keyboard.type("plain");
    await page.keyboard.press("Tab");
    await page.keyboard.type(`127.0.0.1:${await freePort()}`);
    await page.keyboard.press("Tab");  // Service: HTTP is the first choice
    await page.keyboard.press("Home");
    await expect(page.getByLabel("Service")).toHaveValue("http");
    await page.getByLabel("Default Server Group").focus();
    await page.keyboard.press("ArrowDown");
    await expect(page.getByLabel("Default Server Group")).toHaveValue("web");
    const submit = page.getByRole("button", { name: "Create" });
    for (let i = 0; i < 20 && !(await submit.evaluate((e) => e === document.activeElement)); ++i) {
      await page.keyboard.press("Tab");
    }
    await expect(submit).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("status").filter({ hasText: "pending" })).toContainText("1 change pending");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => { location.hash = "#/vips/new"; });
    await page.getByRole("heading", { name: "Create Virtual IP" }).waitFor();
    await shot(page, "vip-form-390");
  } finally {
    await sluice.stop();
    await web.stop();
  }
});
