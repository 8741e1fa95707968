// The console's browser tests: Playwright driving Debian's Chromium, headless.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "console",
  testMatch: /.*\.spec\.mjs$/,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: process.env.SLUICE_CONSOLE_OUTPUT ?? "test-results",
  use: {
    headless: true,
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: process.env.SLUICE_CHROMIUM ?? "/usr/bin/chromium",
      // As root Chromium needs --no-sandbox; the rest keep it off the network it must not use.
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
});
