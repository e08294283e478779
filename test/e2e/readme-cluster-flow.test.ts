/**
 * The README's cluster flow, only with commands the README shows, as child processes:
 * `rpdvt fixture rocketpool` → 4 × `rpdvt node identity --json` (field `peerId`) →
 * `rpdvt keys split --format cluster --peer-ids … --endpoints …` → `rpdvt keys verify` →
 * 4 × `rpdvt node run` against a beacon node. The beacon is test/support/beacon-fake.ts (genesis,
 * spec, fork schedule, node health; the cluster's validators are not yet on chain), so the nodes
 * sign nothing: the test shows that the README flow yields a cluster that starts, whose 4 nodes
 * find and connect to each other over libp2p (GET /status `connectedPeers`), and that each stops
 * cleanly on SIGTERM (exit 0). The second half does the same split without --peer-ids, sees
 * `node run` refuse the cluster, adds the identities with `rpdvt cluster set-identities`, and
 * starts a node from the updated folder.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort } from "../../src/devnet/start.js";
import { makeTempDir, ROOT, readJson, rpdvt } from "../helpers.js";
import { chainRoutes, type FakeBeacon, startFakeBeacon } from "../support/beacon-fake.js";

const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const IDS = [1, 2, 3, 4];

let tmp: string;
let rp: string;
let bn: FakeBeacon;
const children: ChildProcess[] = [];

before(async () => {
  tmp = await makeTempDir("readme-flow");
  rp = join(tmp, "rp");
  // Few validators: each node decrypts its scrypt (2^18) share keystores at start.
  const r = await rpdvt("fixture", "rocketpool", "--validators", "2", "--out", rp, "--json");
  assert.equal(r.code, 0, r.err);
  bn = await startFakeBeacon();
  chainRoutes(bn, { secondsPerSlot: 6, preset: "minimal" });
  const now = Math.floor(Date.now() / 1000);
  bn.on("GET /eth/v1/beacon/genesis", () => ({
    json: {
      data: {
        genesis_time: String(now - 600),
        genesis_validators_root: `0x${"ab".repeat(32)}`,
        genesis_fork_version: "0x00000001",
      },
    },
  }));
  bn.on("GET /eth/v1/node/version", () => ({ json: { data: { version: "fake/readme-flow" } } }));
  bn.on("GET /eth/v1/node/syncing", () => ({
    json: {
      data: { head_slot: "100", sync_distance: "0", is_syncing: false, is_optimistic: false },
    },
  }));
  bn.on("GET /eth/v1/node/health", () => ({ status: 200 }));
  bn.on("POST /eth/v1/beacon/states/head/validators", () => ({
    json: { execution_optimistic: false, finalized: false, data: [] },
  }));
  bn.on("GET /eth/v1/beacon/states/head/validators", () => ({
    json: { execution_optimistic: false, finalized: false, data: [] },
  }));
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await bn?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** `rpdvt node run` as the README writes it, plus a metrics port for /status. */
function nodeRun(clusterDir: string, idFile: string, dataDir: string, metricsPort: number) {
  const log = createWriteStream(`${dataDir}.log`);
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "bin/rpdvt.js"),
      "node",
      "run",
      "--cluster",
      clusterDir,
      "--identity",
      idFile,
      "--data-dir",
      dataDir,
      "--beacon-url",
      bn.url,
      "--metrics-port",
      String(metricsPort),
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const collect = (d: Buffer) => {
    output += d.toString();
    log.write(d);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  children.push(child);
  return { child, output: () => output };
}

async function status(port: number): Promise<Record<string, unknown> | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/status`, {
      signal: AbortSignal.timeout(2_000),
    });
    return r.ok ? ((await r.json()) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

async function identities(prefix: string): Promise<{ files: string[]; peerIds: string[] }> {
  const files: string[] = [];
  const peerIds: string[] = [];
  for (const id of IDS) {
    const file = join(tmp, `${prefix}-identity-${id}.json`);
    const r = await rpdvt("node", "identity", "--out", file, "--json");
    assert.equal(r.code, 0, r.err);
    const peerId = JSON.parse(r.out).peerId as string;
    assert.match(peerId, /^16Uiu2HA/);
    files.push(file);
    peerIds.push(peerId);
  }
  return { files, peerIds };
}

describe("README cluster flow: node identity ×4 → keys split --peer-ids → node run ×4", () => {
  test("the four nodes start, connect to each other and stop cleanly", async () => {
    const { files, peerIds } = await identities("a");
    const p2pPorts = await Promise.all(IDS.map(() => freePort()));
    const metricsPorts = await Promise.all(IDS.map(() => freePort()));
    const out = join(tmp, "cluster");
    const split = await rpdvt(
      "keys",
      "split",
      "--rocketpool-dir",
      rp,
      "--format",
      "cluster",
      "--operator-ids",
      IDS.join(","),
      "--peer-ids",
      IDS.map((id, i) => `${id}=${peerIds[i]}`).join(","),
      "--endpoints",
      IDS.map((id, i) => `${id}=127.0.0.1:${p2pPorts[i]}`).join(","),
      "--fee-recipient",
      FEE,
      "--out",
      out,
      "--quiet",
    );
    assert.equal(split.code, 0, split.err);
    const def = await readJson(join(out, "operator-1", "cluster.json"));
    assert.deepEqual(
      (def.operators as { identity: string }[]).map((o) => o.identity),
      peerIds,
    );
    const verify = await rpdvt("keys", "verify", out);
    assert.equal(verify.code, 0, verify.err + verify.out);

    const nodes = IDS.map((id, i) =>
      nodeRun(
        join(out, `operator-${id}`),
        files[i] as string,
        join(tmp, `data-${id}`),
        metricsPorts[i] as number,
      ),
    );
    // Each node: up (GET /status answers) and connected to the 3 others.
    const deadline = Date.now() + 600_000;
    const connected = new Map<number, unknown>();
    while (Date.now() < deadline && connected.size < IDS.length) {
      for (const [i, n] of nodes.entries()) {
        assert.equal(n.child.exitCode, null, `node ${IDS[i]} exited:\n${n.output()}`);
        const s = await status(metricsPorts[i] as number);
        const peers = s?.connectedPeers as unknown[] | undefined;
        if (peers && peers.length >= IDS.length - 1) connected.set(IDS[i] as number, peers);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(
      connected.size,
      IDS.length,
      `not every node connected to the 3 others within 600 s:\n${nodes.map((n) => n.output()).join("\n---\n")}`,
    );
    for (const [i, n] of nodes.entries()) {
      const code = await stop(n.child);
      assert.equal(code, 0, `node ${IDS[i]} did not stop cleanly:\n${n.output()}`);
    }
  });

  test("split without --peer-ids: node run refuses; cluster set-identities fixes the hash and the node starts", async () => {
    const { files, peerIds } = await identities("b");
    const out = join(tmp, "cluster-later");
    const p2pPort = await freePort();
    const metricsPort = await freePort();
    const split = await rpdvt(
      "keys",
      "split",
      "--rocketpool-dir",
      rp,
      "--format",
      "cluster",
      "--operator-ids",
      IDS.join(","),
      "--endpoints",
      `1=127.0.0.1:${p2pPort}`,
      "--fee-recipient",
      FEE,
      "--out",
      out,
      "--quiet",
    );
    assert.equal(split.code, 0, split.err);
    const before = await readJson(join(out, "cluster.json"));
    const refused = nodeRun(
      join(out, "operator-1"),
      files[0] as string,
      join(tmp, "data-b0"),
      metricsPort,
    );
    const code = await new Promise<number | null>((r) => refused.child.once("exit", (c) => r(c)));
    assert.notEqual(code, 0);
    assert.match(refused.output(), /has no p2p identity/);

    const set = await rpdvt(
      "cluster",
      "set-identities",
      "--cluster",
      out,
      "--peer-ids",
      IDS.map((id, i) => `${id}=${peerIds[i]}`).join(","),
      "--json",
    );
    assert.equal(set.code, 0, set.err);
    const result = JSON.parse(set.out);
    assert.equal(result.previousHash, before.hash);
    assert.notEqual(result.hash, before.hash);
    assert.equal(result.files.length, 5);
    for (const id of IDS) {
      const d = await readJson(join(out, `operator-${id}`, "cluster.json"));
      assert.equal(d.hash, result.hash);
    }
    const verify = await rpdvt("keys", "verify", out);
    assert.equal(verify.code, 0, verify.err + verify.out);

    const node = nodeRun(
      join(out, "operator-1"),
      files[0] as string,
      join(tmp, "data-b1"),
      metricsPort,
    );
    const deadline = Date.now() + 600_000;
    let up: Record<string, unknown> | undefined;
    while (Date.now() < deadline && !up) {
      assert.equal(node.child.exitCode, null, `node exited:\n${node.output()}`);
      up = await status(metricsPort);
      if (!up) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(up, `node did not come up:\n${node.output()}`);
    assert.equal(await stop(node.child), 0, node.output());
  });
});
