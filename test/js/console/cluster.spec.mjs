// Cluster mode in the console: the nodes and the revision each runs, and what an operator sees
// when etcd goes away (the node serves on; changes cannot be made).
import { expect, test } from "@playwright/test";
import { curl, freePort, shot, signIn, startEtcd, startOrigin, startSluice } from "./sluice.mjs";

test("the cluster page lists every node and its revision, and says when etcd is unreachable", async ({ page }) => {
  const web = await startOrigin("web1");
  const etcd = await startEtcd();
  const port = await freePort();
  const node = (id, ip, shared = "") => `cluster:
  node: {id: ${id}, listen_address: ${ip}}
  etcd: {endpoints: [${etcd.endpoint}], prefix: /sluice/v1/console, timeout: 500ms}
${shared}`;
  const a = await startSluice(node("lb1", "127.0.0.2", `server_groups:
  - {name: web, protocol: http, servers: [{name: web1, address: ${web.address}}]}
vips:
  - {name: web, listen: 0.0.0.0:${port}, service: http, default_group: web}
`));
  const b = await startSluice(node("lb2", "127.0.0.3"));
  try {
    expect(await curl(`http://127.0.0.3:${port}/`)).toContain("web1 GET /");
    await signIn(page, a);
    await page.getByRole("link", { name: "Cluster" }).click();
    await expect(page.locator("main h1")).toHaveText("Cluster");
    const rows = page.locator("main tbody tr");
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText("lb1 (this node)");
    await expect(rows.nth(1)).toContainText("lb2");
    await expect(rows.nth(0).getByText("up to date")).toBeVisible();
    await expect(rows.nth(1).getByText("up to date")).toBeVisible();
    const revision = await rows.nth(0).locator("td").nth(1).textContent();
    await expect(rows.nth(1).locator("td").nth(1)).toHaveText(revision);
    await expect(page.getByText("etcd answers")).toBeVisible();
    await shot(page, "cluster");

    // etcd goes away: both nodes serve on, and the console says changes cannot be made.
    etcd.stop();
    expect(await curl(`http://127.0.0.2:${port}/`)).toContain("web1 GET /");
    await expect(async () => {
      await page.reload();
      await page.getByRole("link", { name: "Cluster" }).click();
      await expect(page.locator("main").getByText(/etcd unreachable since/)).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 15_000 });
    await expect(page.locator("#banner")).toContainText("etcd cannot be reached");
    await expect(page.locator("main [role=alert]").first()).toContainText("changes cannot be made");
    await shot(page, "cluster-etcd-unreachable");
  } finally {
    await a.stop();
    await b.stop();
    etcd.stop();
    await web.stop();
  }
});
