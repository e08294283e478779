/**
 * `rpdvt node run --dashboard` (the real binary, bin/rpdvt.js) under hostile requests and failed
 * starts (issue 12 item 3). A 4-operator cluster (threshold 3, 2 validators) is written with fresh
 * identities; operator 1 runs against a minimal fake beacon node (genesis, spec and fork schedule
 * answered, everything else 503: the node logs duty errors and keeps running, which is all these
 * tests need).
 *  - Raw TCP requests: a malformed request line (`GET http://[ HTTP/1.1` killed the node), an
 *    absurd target, oversized headers, an oversized and an endless body, foreign Host headers on
 *    /status and /metrics (DNS rebinding) — each answered 4xx, and the node keeps answering.
 *  - `--metrics-port abc` and a metrics port in use: the process exits non-zero with a clear
 *    message, and no slashing-protection DB lock is left; a p2p port in use (a failure after the
 *    DB is locked): the process exits and the lock is released.
 *  - `--dashboard-token-file`: a 0600 file's token opens POST /api/exit; a group-readable file
 *    is refused before anything starts.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort } from "../../src/devnet/start.js";
import { writeCluster } from "../../src/keysplit/cluster.js";
import { splitValidatorKey } from "../../src/keysplit/split.js";
import { generateIdentity, identityString, writeIdentityFile } from "../../src/p2p/identity.js";
import { makeTempDir, ROOT, randomValidatorKey } from "../helpers.js";

const BIN = join(ROOT, "bin/rpdvt.js");
const TOKEN = "e2e-token-0123456789abcdef";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A beacon node that knows its chain and nothing else. */
function fakeBeacon(): Promise<{ url: string; server: Server }> {
  const zero = `0x${"00".repeat(4)}`;
  const answers: Record<string, unknown> = {
    "/eth/v1/beacon/genesis": {
      data: {
        genesis_time: String(Math.floor(Date.now() / 1000) - 3600),
        genesis_validators_root: `0x${"ab".repeat(32)}`,
        genesis_fork_version: zero,
      },
    },
    "/eth/v1/config/spec": {
      data: {
        CONFIG_NAME: "e2e",
        PRESET_BASE: "mainnet",
        SECONDS_PER_SLOT: "12",
        SLOTS_PER_EPOCH: "32",
        GENESIS_FORK_VERSION: zero,
      },
    },
    "/eth/v1/config/fork_schedule": {
      data: [{ previous_version: zero, current_version: zero, epoch: "0" }],
    },
  };
  const server = createServer((req, res) => {
    const body = answers[(req.url ?? "").split("?")[0] ?? ""];
    req.resume();
    res.writeHead(body ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? { code: 503, message: "fake beacon: not implemented" }));
  });
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      ok({ url: `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`, server });
    }),
  );
}

/** Send raw bytes, collect the answer until the server closes or `ms` passes. */
function raw(port: number, bytes: string | Buffer, ms = 3_000): Promise<string> {
  return new Promise((ok) => {
    const chunks: Buffer[] = [];
    const s = connect(port, "127.0.0.1", () => s.write(bytes));
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      ok(Buffer.concat(chunks).toString("latin1"));
    };
    const timer = setTimeout(done, ms);
    s.on("data", (c) => {
      chunks.push(c);
      // One answer is enough (keep-alive servers do not close).
      if (/\r\n\r\n/.test(Buffer.concat(chunks).toString("latin1")) && chunks.length > 0)
        setTimeout(done, 50);
    });
    s.on("error", done);
    s.on("close", done);
  });
}
const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

type Setup = {
  dir: string;
  clusterDir: string;
  identityFile: string;
  p2pPort: number;
};

async function writeOperator(dir: string): Promise<Setup> {
  const ids = [1, 2, 3, 4];
  const identities = ids.map(() => generateIdentity());
  const ports = await Promise.all(ids.map(() => freePort()));
  await writeCluster(
    join(dir, "cluster"),
    [randomValidatorKey(), randomValidatorKey()].map((k) => splitValidatorKey(k, ids)),
    {
      operators: ids.map((id, i) => ({
        id,
        identity: identityString(identities[i] as (typeof identities)[number]),
        endpoint: `127.0.0.1:${ports[i]}`,
      })),
      feeRecipients: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      name: "hardening",
      kdf: "pbkdf2",
      quiet: true,
    },
  );
  const identityFile = join(dir, "identity.json");
  await writeIdentityFile(identityFile, identities[0] as (typeof identities)[number]);
  return {
    dir,
    clusterDir: join(dir, "cluster", "operator-1"),
    identityFile,
    p2pPort: ports[0] as number,
  };
}

function nodeArgs(s: Setup, beaconUrl: string, dataDir: string, extra: string[]): string[] {
  return [
    BIN,
    "node",
    "run",
    "--cluster",
    s.clusterDir,
    "--identity",
    s.identityFile,
    "--data-dir",
    dataDir,
    "--beacon-url",
    beaconUrl,
    "--doppelganger-epochs",
    "0",
    ...extra,
  ];
}

/** Run `node run …` to its end; a process still running after `ms` is killed and reported. */
function runToExit(args: string[], ms = 120_000): Promise<{ code: number | null; err: string }> {
  return new Promise((ok) => {
    let err = "";
    const p = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    p.stderr?.on("data", (c) => {
      err += c;
    });
    const timer = setTimeout(() => {
      err += `\n[test] still running after ${ms} ms: killed`;
      p.kill("SIGKILL");
    }, ms);
    p.on("exit", (code) => {
      clearTimeout(timer);
      ok({ code, err });
    });
  });
}

const lockOf = (dataDir: string) => join(dataDir, "slashing-protection.sqlite.lock");
const exists = (p: string) =>
  fsp.stat(p).then(
    () => true,
    () => false,
  );

describe("rpdvt node run: hostile requests and failed starts", { timeout: 600_000 }, () => {
  let setup: Setup;
  let beacon: { url: string; server: Server };
  let child: ChildProcess | undefined;
  let port: number;
  let log = "";
  let tokenFile: string;

  before(async () => {
    setup = await writeOperator(await makeTempDir("node-hardening"));
    beacon = await fakeBeacon();
    tokenFile = join(setup.dir, "token");
    await fsp.writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    port = await freePort();
    child = spawn(
      process.execPath,
      nodeArgs(setup, beacon.url, join(setup.dir, "data"), [
        "--metrics-port",
        String(port),
        "--dashboard",
        "--dashboard-token-file",
        tokenFile,
      ]),
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout?.on("data", (c) => {
      log += c;
    });
    child.stderr?.on("data", (c) => {
      log += c;
    });
    const deadline = Date.now() + 240_000; // a loaded CI machine: tsx loads the whole CLI
    while (!/"event":"started"/.test(log)) {
      if (child.exitCode !== null) assert.fail(`node run exited ${child.exitCode}:\n${log}`);
      if (Date.now() > deadline) assert.fail(`node run did not start:\n${log}`);
      await sleep(200);
    }
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    beacon?.server.close();
    await fsp.rm(setup.dir, { recursive: true, force: true });
  });

  const host = () => `127.0.0.1:${port}`;
  const alive = async () => {
    assert.equal(child?.exitCode, null, `the node died:\n${log}`);
    const a = await raw(port, `GET /status HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    assert.equal(statusOf(a), 200, a);
    assert.match(a, /"peerId":"16Uiu2/);
  };

  test("a malformed request line is answered 400 and the node keeps running", async () => {
    for (const line of ["GET http://[ HTTP/1.1", "GET /api/cluster/%zz[ HTTP/1.1"]) {
      const a = await raw(port, `${line}\r\nHost: ${host()}\r\n\r\n`);
      assert.ok([400, 404].includes(statusOf(a)), `${line} → ${a}`);
    }
    assert.equal(
      statusOf(await raw(port, `GET http://[ HTTP/1.1\r\nHost: ${host()}\r\n\r\n`)),
      400,
    );
    assert.equal(statusOf(await raw(port, "\x00\x01\x02 garbage\r\n\r\n")), 400);
    assert.equal(statusOf(await raw(port, `GET * HTTP/1.1\r\nHost: ${host()}\r\n\r\n`)), 400);
    await sleep(300);
    await alive();
  });

  test("absurd targets, huge headers and huge bodies are refused; the node keeps running", async () => {
    const longTarget = `GET /api/plan?n=4&x=${"a".repeat(4_000)} HTTP/1.1\r\nHost: ${host()}\r\n\r\n`;
    assert.equal(statusOf(await raw(port, longTarget)), 414);
    const bigHeader = `GET /status HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${"b".repeat(40_000)}\r\n\r\n`;
    assert.equal(statusOf(await raw(port, bigHeader)), 431);
    const declared = `POST /api/exit HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100000000\r\n\r\n`;
    assert.equal(statusOf(await raw(port, declared)), 413);
    // Chunked, endless: refused once the exit body limit is passed, connection closed.
    const chunk = `1000\r\n${"c".repeat(0x1000)}\r\n`;
    const endless = `POST /api/exit HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(4)}`;
    assert.equal(statusOf(await raw(port, endless)), 413);
    await alive();
  });

  test("/status, /metrics and the dashboard refuse a foreign Host (DNS rebinding)", async () => {
    for (const path of ["/status", "/metrics", "/api/cluster", "/"]) {
      for (const h of [`rebind.example:${port}`, `127.0.0.2:${port}`, "127.0.0.1.nip.io"]) {
        const a = await raw(port, `GET ${path} HTTP/1.1\r\nHost: ${h}\r\n\r\n`);
        assert.equal(statusOf(a), 403, `${path} Host ${h} → ${a.slice(0, 200)}`);
        assert.doesNotMatch(a, /16Uiu2|rpdvt_/);
      }
      const none = await raw(port, `GET ${path} HTTP/1.0\r\n\r\n`);
      assert.equal(statusOf(none), 403, `${path} without Host`);
    }
    for (const h of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      const m = await raw(port, `GET /metrics HTTP/1.1\r\nHost: ${h}\r\n\r\n`);
      assert.equal(statusOf(m), 200, `Host ${h}`);
      assert.match(m, /rpdvt_duty_outcomes_total/);
    }
    // Prometheus scraping by IP: plain fetch sends Host 127.0.0.1:<port>.
    const r = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(r.status, 200);
  });

  test("--dashboard-token-file: its token opens POST /api/exit (never 401)", async () => {
    const bad = await fetch(`http://127.0.0.1:${port}/api/exit`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ pubkey: `0x${"02".repeat(48)}` }),
    });
    // Authenticated: the body is checked (not a cluster validator → 400), not refused 401.
    assert.equal(bad.status, 400, await bad.text());
    const wrong = await fetch(`http://127.0.0.1:${port}/api/exit`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}x` },
      body: "{}",
    });
    assert.equal(wrong.status, 401);
    assert.doesNotMatch(log, new RegExp(TOKEN));
  });

  test("--metrics-port abc is refused before anything starts", async () => {
    const dataDir = join(setup.dir, "data-abc");
    const r = await runToExit(
      nodeArgs(setup, beacon.url, dataDir, [
        "--listen",
        `127.0.0.1:${await freePort()}`,
        "--metrics-port",
        "abc",
      ]),
    );
    assert.ok(r.code !== null && r.code !== 0, `exit code ${r.code}: ${r.err}`);
    assert.match(r.err, /--metrics-port/);
    assert.match(r.err, /1 to 65535/);
    assert.doesNotMatch(r.err, /\n\s+at /);
    assert.equal(await exists(dataDir), false);
  });

  test("a metrics port in use: exits non-zero, names the port, leaves no DB lock", async () => {
    const dataDir = join(setup.dir, "data-busy");
    const r = await runToExit(
      nodeArgs(setup, beacon.url, dataDir, [
        "--listen",
        `127.0.0.1:${await freePort()}`,
        "--metrics-port",
        String(port),
      ]),
    );
    assert.ok(r.code !== null && r.code !== 0, `exit code ${r.code}: ${r.err}`);
    assert.match(r.err, new RegExp(`Port ${port} on 127.0.0.1 is already in use`));
    assert.match(r.err, /--metrics-port/);
    assert.doesNotMatch(r.err, /\n\s+at /);
    assert.equal(await exists(lockOf(dataDir)), false);
  });

  test("a p2p port in use (after the DB is locked): exits, lock released", async () => {
    const dataDir = join(setup.dir, "data-p2p");
    const blocker = createTcpServer();
    const p2p = await freePort();
    await new Promise<void>((ok) => blocker.listen(p2p, "127.0.0.1", () => ok()));
    try {
      const r = await runToExit(
        nodeArgs(setup, beacon.url, dataDir, [
          "--listen",
          `127.0.0.1:${p2p}`,
          "--metrics-port",
          String(await freePort()),
        ]),
      );
      assert.ok(r.code !== null && r.code !== 0, `exit code ${r.code}: ${r.err}`);
      assert.match(r.err, /Error: /);
      assert.equal(await exists(join(dataDir, "slashing-protection.sqlite")), true);
      assert.equal(await exists(lockOf(dataDir)), false, "the DB lock is still held");
    } finally {
      blocker.close();
    }
  });

  test("a group-readable token file is refused before anything starts", async () => {
    const loose = join(setup.dir, "loose-token");
    await fsp.writeFile(loose, TOKEN, { mode: 0o644 });
    await fsp.chmod(loose, 0o644);
    const dataDir = join(setup.dir, "data-loose");
    const r = await runToExit(
      nodeArgs(setup, beacon.url, dataDir, [
        "--metrics-port",
        String(await freePort()),
        "--dashboard",
        "--dashboard-token-file",
        loose,
      ]),
    );
    assert.ok(r.code !== null && r.code !== 0, `exit code ${r.code}: ${r.err}`);
    assert.match(r.err, /readable by other users/);
    assert.match(r.err, /chmod 600/);
    assert.doesNotMatch(r.err, new RegExp(TOKEN));
    assert.equal(await exists(dataDir), false);
  });
});
