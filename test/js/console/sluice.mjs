// What the console tests run against: a real Sluice (the build's binary) on a config each test
// writes, real HTTP origins on 127.0.0.1, and certificates made with the openssl command.
import { execFile, execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
export const binary = process.env.SLUICE_BINARY ?? path.resolve(here, "../../../build/sluice");
export const screenshots = process.env.SLUICE_SCREENSHOTS ?? path.resolve(here, "../test-results/screenshots");

export async function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// An HTTP origin answering every request with its name and the forwarded headers it got.
export async function startOrigin(name) {
  const port = await freePort();
  const sockets = new Set();
  const server = http.createServer((request, response) => {
    response.setHeader("X-Origin", name);
    response.setHeader("X-Seen-Proto", request.headers["x-forwarded-proto"] ?? "");
    response.end(`${name} ${request.method} ${request.url}\n`);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    name, port, address: `127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

// A directory with a test CA and certificates it signs: issue("shop", ["shop.test"]).
export function certificateFactory() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-console-certs-"));
  const run = (...args) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Sluice Console Test CA");
  return {
    dir,
    ca: path.join(dir, "ca.pem"),
    issue(name, names) {
      fs.writeFileSync(path.join(dir, `${name}.ext`),
        `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nbasicConstraints=CA:FALSE\n`);
      run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
          `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${names[0]}`);
      run("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key",
          "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
      return { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
    },
  };
}

// Sluice on `yaml` (ADMIN stands for the admin listener's address, TOKEN_SHA for the test
// token's hash), started and ready.
export async function startSluice(yaml) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-console-"));
  const adminPort = await freePort();
  const token = crypto.randomBytes(24).toString("base64url");
  const sha = crypto.createHash("sha256").update(token).digest("hex");
  const config = path.join(dir, "sluice.yaml");
  fs.writeFileSync(config, `admin:\n  listen: 127.0.0.1:${adminPort}\n` +
                           `  tokens: [{name: console-test, role: admin, sha256: ${sha}}]\n${yaml}`);
  const child = spawn(binary, ["run", "-c", config], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sluice did not start:\n${log}`)), 20_000);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      if (log.includes("ready:")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`sluice exited (${code}):\n${log}`)));
  });
  return {
    url: `http://127.0.0.1:${adminPort}`, token, dir, config,
    log: () => log,
    async api(method, route, body, headers = {}) {
      const response = await fetch(`http://127.0.0.1:${adminPort}/api/v1${route}`, {
        method, body: body === undefined ? undefined : JSON.stringify(body),
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
      });
      const text = await response.text();
      return { status: response.status, etag: response.headers.get("etag"), body: text ? JSON.parse(text) : null };
    },
    stop: async () => {
      child.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// curl, as an operator would run it: resolves to stdout (-i: with the response headers).
// Asynchronous: the origins answer from this same process.
export function curl(...args) {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-sS", "--max-time", "5", ...args], { encoding: "utf8" }, (error, stdout, stderr) =>
      error ? reject(new Error(`curl ${args.join(" ")}: ${stderr || error.message}`)) : resolve(stdout));
  });
}

// Signs in to the console with the test token.
export async function signIn(page, sluice) {
  await page.goto(`${sluice.url}/console/`);
  await page.getByLabel("Admin API token").fill(sluice.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Virtual IPs" }).waitFor();
}

export async function shot(page, name) {
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

// A one-member etcd (Debian's etcd-server) on free ports, with its data in a temporary
// directory: cluster mode's store for console tests.
export async function startEtcd() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-console-etcd-"));
  const client = `http://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  const child = spawn("etcd", ["--name", "m0", "--data-dir", path.join(dir, "m0"),
    "--listen-client-urls", client, "--advertise-client-urls", client,
    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
    "--initial-cluster", `m0=${peer}`, "--log-level", "warn"], { stdio: "ignore" });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const response = await fetch(`${client}/v3/kv/range`, { method: "POST", body: '{"key":"AA=="}' });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("etcd did not start");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint: client,
    stop: () => {
      child.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
