/**
 * On-chain claim checks (`reputation verify --rpc`) against a tiny local JSON-RPC server that
 * answers `eth_call` like RocketStorage, RocketNodeManager, RocketMinipoolManager and minipools:
 * registered node owning its minipools passes; unregistered node, a minipool of another node and a
 * wrong pubkey fail with precise messages.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { decodeFunctionData, encodeFunctionResult, type Hex, parseAbi } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { reputationCommand } from "../../src/cli/reputation.js";
import { checkClaimOnChain, contractAddressKey } from "../../src/reputation/chain.js";
import {
  buildClaimPayload,
  claimFileText,
  type ReputationClaim,
  signClaim,
} from "../../src/reputation/claim.js";
import {
  fixtureMinipoolAddress,
  fixturePubkey,
  generatePerformanceFiles,
} from "../../src/reputation/fixture.js";
import { readPerformanceFiles } from "../../src/reputation/performance-file.js";
import { runCommand } from "../helpers.js";

const STORAGE = "0x1000000000000000000000000000000000000001";
const NODE_MANAGER = "0x2000000000000000000000000000000000000002";
const MINIPOOL_MANAGER = "0x3000000000000000000000000000000000000003";
const abi = parseAbi([
  "function getAddress(bytes32 _key) view returns (address)",
  "function getNodeExists(address _nodeAddress) view returns (bool)",
  "function getMinipoolPubkey(address _minipoolAddress) view returns (bytes)",
  "function getNodeAddress() view returns (address)",
]);

const node = privateKeyToAccount(`0x${"11".repeat(32)}`);
const stranger = privateKeyToAccount(`0x${"22".repeat(32)}`);
const pubkeys = [0, 1].map((i) => fixturePubkey("chain", i));
/** minipool → { pubkey, owner } as the chain knows it. */
const minipools = new Map<string, { pubkey: string; owner: string }>();
const registered = new Set<string>();
let server: Server;
let rpcUrl = "";
let dir = "";
let perfPaths: string[] = [];
const calls: string[] = [];

before(async () => {
  for (const pk of pubkeys)
    minipools.set(fixtureMinipoolAddress(pk), { pubkey: pk, owner: node.address });
  registered.add(node.address.toLowerCase());
  server = createServer(async (req, res) => {
    let text = "";
    for await (const c of req) text += c;
    const msg = JSON.parse(text) as {
      id: number;
      method: string;
      params: [{ to: Hex; data: Hex }];
    };
    const reply = (result: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result }));
    };
    if (msg.method !== "eth_call") return reply(null);
    const { to, data } = msg.params[0];
    const call = decodeFunctionData({ abi, data });
    calls.push(call.functionName);
    const enc = (fn: string, v: unknown) =>
      reply(encodeFunctionResult({ abi, functionName: fn as "getAddress", result: v as Hex }));
    const target = to.toLowerCase();
    if (target === STORAGE && call.functionName === "getAddress") {
      const key = call.args[0];
      return enc(
        "getAddress",
        key === contractAddressKey("rocketNodeManager")
          ? NODE_MANAGER
          : key === contractAddressKey("rocketMinipoolManager")
            ? MINIPOOL_MANAGER
            : "0x0000000000000000000000000000000000000000",
      );
    }
    if (target === NODE_MANAGER && call.functionName === "getNodeExists")
      return enc("getNodeExists", registered.has(String(call.args[0]).toLowerCase()));
    if (target === MINIPOOL_MANAGER && call.functionName === "getMinipoolPubkey")
      return enc(
        "getMinipoolPubkey",
        minipools.get(String(call.args[0]).toLowerCase())?.pubkey ?? "0x",
      );
    const mp = minipools.get(target);
    if (mp && call.functionName === "getNodeAddress") return enc("getNodeAddress", mp.owner);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        jsonrpc: "2.0",
        id: msg.id,
        error: { code: -32000, message: "execution reverted" },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  rpcUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "rpdvt-rep-chain-"));
  const gen = generatePerformanceFiles({
    intervals: [40],
    minipools: pubkeys.map((pubkey) => ({ pubkey, missRate: 0.001 })),
  });
  perfPaths = [];
  for (const f of gen) {
    perfPaths.push(path.join(dir, f.name));
    await fsp.writeFile(path.join(dir, f.name), f.text);
  }
});
after(async () => {
  await new Promise((r) => server.close(r));
  await fsp.rm(dir, { recursive: true, force: true });
});

async function claimBy(account: typeof node): Promise<ReputationClaim> {
  const { payload } = buildClaimPayload({
    nodeAddress: account.address,
    operator: { type: "obol", id: "enr:-abc", publicKey: `0x03${"cd".repeat(32)}` },
    validators: pubkeys,
    performanceFiles: await readPerformanceFiles(perfPaths),
    beacon: null,
  });
  return signClaim(payload, account);
}

describe("on-chain checks", () => {
  test("registered node owning its minipools passes", async () => {
    const c = await checkClaimOnChain(await claimBy(node), { rpcUrl, rocketStorage: STORAGE });
    assert.deepEqual(c, {
      id: "onchain",
      ok: true,
      message: `${node.address} is a Rocket Pool node owning all 2 claimed minipool(s)`,
    });
    assert.deepEqual(calls, [
      "getAddress",
      "getNodeExists",
      "getAddress",
      "getMinipoolPubkey",
      "getNodeAddress",
      "getMinipoolPubkey",
      "getNodeAddress",
    ]);
  });

  test("a stranger claiming the node's minipools: not registered", async () => {
    const c = await checkClaimOnChain(await claimBy(stranger), { rpcUrl, rocketStorage: STORAGE });
    assert.equal(c.ok, false);
    assert.equal(c.message, `${stranger.address} is not a registered Rocket Pool node`);
  });

  test("a registered stranger: the minipools belong to another node", async () => {
    registered.add(stranger.address.toLowerCase());
    try {
      const c = await checkClaimOnChain(await claimBy(stranger), {
        rpcUrl,
        rocketStorage: STORAGE,
      });
      assert.equal(c.ok, false);
      const mp = fixtureMinipoolAddress(pubkeys[0] as string);
      assert.match(
        c.message,
        new RegExp(
          `minipool ${mp} \\(0x[0-9a-f]{10}…\\) belongs to node ${node.address}, not ${stranger.address}`,
        ),
      );
    } finally {
      registered.delete(stranger.address.toLowerCase());
    }
  });

  test("CLI verify --rpc: pass, then a wrong pubkey on chain fails; unknown network needs --rocket-storage", async () => {
    const file = path.join(dir, "claim.json");
    await fsp.writeFile(file, claimFileText(await claimBy(node)));
    const run = async (args: string[]) => {
      const r = await runCommand(reputationCommand(), args);
      return { out: r.stdout, code: r.code };
    };

    const ok = await run(["verify", file, "--rpc", rpcUrl, "--rocket-storage", STORAGE, "--json"]);
    assert.equal(ok.code, undefined);
    assert.equal(JSON.parse(ok.out).ok, true);
    const mp = fixtureMinipoolAddress(pubkeys[1] as string);
    const saved = minipools.get(mp);
    minipools.set(mp, { pubkey: fixturePubkey("other", 9), owner: node.address });
    try {
      const bad = await run([
        "verify",
        file,
        "--rpc",
        rpcUrl,
        "--rocket-storage",
        STORAGE,
        "--json",
      ]);
      assert.equal(bad.code, 1);
      const c = JSON.parse(bad.out).checks.find((x: { id: string }) => x.id === "onchain");
      assert.match(
        c.message,
        new RegExp(`minipool ${mp} has pubkey ${fixturePubkey("other", 9)}, not ${pubkeys[1]}`),
      );
    } finally {
      minipools.set(mp, saved as { pubkey: string; owner: string });
    }
    await assert.rejects(
      checkClaimOnChain({ ...(await claimBy(node)), network: "hoodi" }, { rpcUrl }),
      /No known RocketStorage address for hoodi/,
    );
  });
});
