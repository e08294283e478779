/**
 * On-chain claim checks (`reputation verify --rpc`) against a small local JSON-RPC server that
 * answers `eth_call` like RocketStorage, RocketNodeManager, RocketMinipoolManager (the node's
 * minipool list and pubkeys), minipools, RocketMegapoolFactory and a Saturn megapool
 * (getValidatorCount / getValidatorPubkey). The node has 14 minipools (one slashed, one finalised)
 * and a megapool with 10 validators: a claim listing exactly those 24 passes; omitting one (the
 * slashed minipool, or a megapool validator) fails naming it; a validator of another node, a
 * stranger claiming the node's minipools, an unregistered node and a wrong pubkey fail precisely.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { decodeFunctionData, encodeFunctionResult, type Hex, parseAbi } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { reputationCommand } from "../../../src/cli/reputation.js";
import { checkClaimOnChain, contractAddressKey } from "../../../src/reputation/chain.js";
import {
  buildClaimPayload,
  claimFileText,
  type ReputationClaim,
  signClaim,
} from "../../../src/reputation/claim.js";
import {
  fixtureMinipoolAddress,
  fixturePubkey,
  generatePerformanceFiles,
} from "../../../src/reputation/fixture.js";
import { readPerformanceFiles } from "../../../src/reputation/performance-file.js";
import { runCommand } from "../../helpers.js";

const STORAGE = "0x1000000000000000000000000000000000000001";
const NODE_MANAGER = "0x2000000000000000000000000000000000000002";
const MINIPOOL_MANAGER = "0x3000000000000000000000000000000000000003";
const MEGAPOOL_FACTORY = "0x4000000000000000000000000000000000000004";
const MEGAPOOL = "0x5000000000000000000000000000000000000005";
const ZERO = "0x0000000000000000000000000000000000000000";
const abi = parseAbi([
  "function getAddress(bytes32 _key) view returns (address)",
  "function getNodeExists(address _nodeAddress) view returns (bool)",
  "function getNodeMinipoolCount(address _nodeAddress) view returns (uint256)",
  "function getNodeMinipoolAt(address _nodeAddress, uint256 _index) view returns (address)",
  "function getMinipoolPubkey(address _minipoolAddress) view returns (bytes)",
  "function getNodeAddress() view returns (address)",
  "function getMegapoolDeployed(address _nodeAddress) view returns (bool)",
  "function getExpectedAddress(address _nodeAddress) view returns (address)",
  "function getValidatorCount() view returns (uint32)",
  "function getValidatorPubkey(uint32 _validatorId) view returns (bytes)",
]);

const node = privateKeyToAccount(`0x${"11".repeat(32)}`);
const stranger = privateKeyToAccount(`0x${"22".repeat(32)}`);
const other = privateKeyToAccount(`0x${"33".repeat(32)}`);
/** The node's 14 minipools: index 3 was slashed (exited, finalised — still on chain), 9 finalised. */
const minipoolKeys = Array.from({ length: 14 }, (_, i) => fixturePubkey("chain-mp", i));
const SLASHED = minipoolKeys[3] as string;
/** The node's megapool validators (Saturn), ids 0..9. */
const megapoolKeys = Array.from({ length: 10 }, (_, i) => fixturePubkey("chain-mega", i));
/** A minipool of another node. */
const foreignKey = fixturePubkey("chain-foreign", 0);

/** minipool → { pubkey, owner } as the chain knows it. */
const minipools = new Map<string, { pubkey: string; owner: string }>();
/** node → megapool validator pubkeys. */
const megapools = new Map<string, string[]>();
const registered = new Set<string>();
let saturn = true;
let server: Server;
let rpcUrl = "";
let dir = "";
let perfPaths: string[] = [];
const calls: string[] = [];

const nodeMinipools = (owner: string) =>
  [...minipools].filter(([, m]) => m.owner.toLowerCase() === owner.toLowerCase()).map(([a]) => a);

before(async () => {
  for (const pk of minipoolKeys)
    minipools.set(fixtureMinipoolAddress(pk), { pubkey: pk, owner: node.address });
  minipools.set(fixtureMinipoolAddress(foreignKey), { pubkey: foreignKey, owner: other.address });
  megapools.set(node.address.toLowerCase(), megapoolKeys);
  registered.add(node.address.toLowerCase());
  registered.add(other.address.toLowerCase());
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
    const arg = (i: number) => String((call.args as readonly unknown[])[i]).toLowerCase();
    const target = to.toLowerCase();
    if (target === STORAGE && call.functionName === "getAddress") {
      const key = call.args[0];
      return enc(
        "getAddress",
        key === contractAddressKey("rocketNodeManager")
          ? NODE_MANAGER
          : key === contractAddressKey("rocketMinipoolManager")
            ? MINIPOOL_MANAGER
            : key === contractAddressKey("rocketMegapoolFactory") && saturn
              ? MEGAPOOL_FACTORY
              : ZERO,
      );
    }
    if (target === NODE_MANAGER && call.functionName === "getNodeExists")
      return enc("getNodeExists", registered.has(arg(0)));
    if (target === MINIPOOL_MANAGER) {
      if (call.functionName === "getNodeMinipoolCount")
        return enc("getNodeMinipoolCount", BigInt(nodeMinipools(arg(0)).length));
      if (call.functionName === "getNodeMinipoolAt")
        return enc("getNodeMinipoolAt", nodeMinipools(arg(0))[Number(call.args[1])]);
      if (call.functionName === "getMinipoolPubkey")
        return enc("getMinipoolPubkey", minipools.get(arg(0))?.pubkey ?? "0x");
    }
    if (target === MEGAPOOL_FACTORY && call.functionName === "getMegapoolDeployed")
      return enc("getMegapoolDeployed", megapools.has(arg(0)));
    if (target === MEGAPOOL_FACTORY && call.functionName === "getExpectedAddress")
      return enc("getExpectedAddress", MEGAPOOL); // one megapool node in this fake
    if (target === MEGAPOOL) {
      const keys = megapools.get(node.address.toLowerCase()) ?? [];
      if (call.functionName === "getValidatorCount") return enc("getValidatorCount", keys.length);
      if (call.functionName === "getValidatorPubkey")
        return enc("getValidatorPubkey", keys[Number(call.args[0])]);
    }
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
  // Smoothing Pool performance: the minipools (the slashed one missed a lot before it was
  // slashed) plus another node's minipool, in the Smartnode's v3 form.
  const gen = generatePerformanceFiles({
    intervals: [40],
    minipools: [
      ...minipoolKeys.map((pubkey) => ({ pubkey, missRate: pubkey === SLASHED ? 0.4 : 0.001 })),
      { pubkey: foreignKey, missRate: 0 },
    ],
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
beforeEach(() => {
  calls.length = 0;
  saturn = true;
});

const ALL = [...minipoolKeys, ...megapoolKeys];

async function claimBy(account: typeof node, validators: string[] = ALL): Promise<ReputationClaim> {
  const { payload } = buildClaimPayload({
    nodeAddress: account.address,
    operator: { type: "obol", id: "enr:-abc", publicKey: `0x03${"cd".repeat(32)}` },
    validators,
    performanceFiles: await readPerformanceFiles(perfPaths),
    beacon: null,
  });
  return signClaim(payload, account);
}

const count = (fn: string) => calls.filter((c) => c === fn).length;

describe("on-chain checks", () => {
  test("a claim listing exactly the node's 14 minipools and 10 megapool validators passes", async () => {
    const c = await checkClaimOnChain(await claimBy(node), { rpcUrl, rocketStorage: STORAGE });
    assert.deepEqual(c, {
      id: "onchain",
      status: "verified",
      against: "chain",
      message: `${node.address} is a Rocket Pool node; the claim lists exactly its 14 minipool(s) and 10 validator(s) of megapool ${MEGAPOOL}`,
    });
    assert.deepEqual(
      [
        "getAddress",
        "getNodeExists",
        "getNodeMinipoolCount",
        "getNodeMinipoolAt",
        "getMinipoolPubkey",
        "getMegapoolDeployed",
        "getExpectedAddress",
        "getValidatorCount",
        "getValidatorPubkey",
        "getNodeAddress",
      ].map((fn) => [fn, count(fn)]),
      [
        ["getAddress", 3],
        ["getNodeExists", 1],
        ["getNodeMinipoolCount", 1],
        ["getNodeMinipoolAt", 14],
        ["getMinipoolPubkey", 14],
        ["getMegapoolDeployed", 1],
        ["getExpectedAddress", 1],
        ["getValidatorCount", 1],
        ["getValidatorPubkey", 10],
        ["getNodeAddress", 0],
      ],
    );
  });

  test("omitting the slashed minipool fails, naming it", async () => {
    const claim = await claimBy(
      node,
      ALL.filter((k) => k !== SLASHED),
    );
    const c = await checkClaimOnChain(claim, { rpcUrl, rocketStorage: STORAGE });
    assert.equal(c.status, "failed");
    assert.equal(
      c.message,
      `the claim omits 1 of the node's validator(s): ${SLASHED} (minipool ${fixtureMinipoolAddress(SLASHED)}) (the node has 14 minipool(s) and 10 validator(s) of megapool ${MEGAPOOL} on chain)`,
    );
  });

  test("omitting a megapool validator fails, naming its megapool and id", async () => {
    const claim = await claimBy(
      node,
      ALL.filter((k) => k !== megapoolKeys[7]),
    );
    const c = await checkClaimOnChain(claim, { rpcUrl, rocketStorage: STORAGE });
    assert.equal(c.status, "failed");
    assert.match(
      c.message,
      new RegExp(
        `^the claim omits 1 of the node's validator\\(s\\): ${megapoolKeys[7]} \\(megapool ${MEGAPOOL} validator 7\\)`,
      ),
    );
  });

  test("a validator of another node added to the claim fails, naming its owner", async () => {
    const c = await checkClaimOnChain(await claimBy(node, [...ALL, foreignKey]), {
      rpcUrl,
      rocketStorage: STORAGE,
    });
    assert.equal(c.status, "failed");
    assert.match(
      c.message,
      new RegExp(
        `^minipool ${fixtureMinipoolAddress(foreignKey)} \\(0x[0-9a-f]{10}…\\) belongs to node ${other.address}, not ${node.address}`,
      ),
    );
    // A made-up validator in no file and on no chain.
    const made = fixturePubkey("chain-made-up", 0);
    const d = await checkClaimOnChain(await claimBy(node, [...ALL, made]), {
      rpcUrl,
      rocketStorage: STORAGE,
    });
    assert.match(d.message, new RegExp(`claimed validator ${made} is not one of the node's`));
  });

  test("a stranger claiming the node's minipools: not registered", async () => {
    const c = await checkClaimOnChain(await claimBy(stranger, minipoolKeys), {
      rpcUrl,
      rocketStorage: STORAGE,
    });
    assert.equal(c.status, "failed");
    assert.equal(c.message, `${stranger.address} is not a registered Rocket Pool node`);
  });

  test("a registered stranger: the minipools belong to another node", async () => {
    registered.add(stranger.address.toLowerCase());
    try {
      const c = await checkClaimOnChain(await claimBy(stranger, minipoolKeys), {
        rpcUrl,
        rocketStorage: STORAGE,
      });
      assert.equal(c.status, "failed");
      const mp = fixtureMinipoolAddress(minipoolKeys[0] as string);
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

  test("megapool validators named by their megapool (as a v4 performance file gives them)", async () => {
    const claim = await claimBy(node);
    const withMegapool = (address: string): ReputationClaim => ({
      ...claim,
      inputs: {
        ...claim.inputs,
        validators: claim.inputs.validators.map((v) =>
          megapoolKeys.includes(v.pubkey) ? { ...v, minipool: address } : v,
        ),
      },
    });
    const ok = await checkClaimOnChain(withMegapool(MEGAPOOL), { rpcUrl, rocketStorage: STORAGE });
    assert.equal(ok.status, "verified", ok.message);
    const wrongAddress = `0x${"66".repeat(20)}`;
    const bad = await checkClaimOnChain(withMegapool(wrongAddress), {
      rpcUrl,
      rocketStorage: STORAGE,
    });
    assert.equal(bad.status, "failed");
    assert.match(
      bad.message,
      new RegExp(
        `validator ${megapoolKeys[0]?.slice(0, 12)}… is claimed with ${wrongAddress}, but on chain it is megapool ${MEGAPOOL}`,
      ),
    );
  });

  test("pre-Saturn network (no rocketMegapoolFactory): minipools only", async () => {
    saturn = false;
    const c = await checkClaimOnChain(await claimBy(node, minipoolKeys), {
      rpcUrl,
      rocketStorage: STORAGE,
    });
    assert.equal(c.status, "verified", c.message);
    assert.match(c.message, /lists exactly its 14 minipool\(s\)$/);
    assert.equal(count("getMegapoolDeployed"), 0);
  });

  test("CLI verify --rpc --performance-files: fully verified; omission and wrong pubkey fail; unknown network needs --rocket-storage", async () => {
    const file = path.join(dir, "claim.json");
    await fsp.writeFile(file, claimFileText(await claimBy(node)));
    const run = (args: string[]) => runCommand(reputationCommand(), args);
    const full = [
      "--rpc",
      rpcUrl,
      "--rocket-storage",
      STORAGE,
      "--performance-files",
      ...perfPaths,
    ];

    const ok = await run(["verify", file, ...full, "--json"]);
    assert.equal(ok.code, undefined, ok.stderr);
    const rep = JSON.parse(ok.stdout);
    assert.deepEqual(
      { ok: rep.ok, valid: rep.valid, complete: rep.complete },
      { ok: true, valid: true, complete: true },
    );
    assert.ok(rep.checks.every((c: { status: string }) => c.status === "verified"));
    const text = await run(["verify", file, ...full]);
    assert.equal(text.code, undefined, text.stderr);
    assert.match(
      text.stdout,
      /\nValid: signature valid; not expired; score follows from the claimed inputs; performance files match; node and its complete validator set confirmed on chain; every input checked against its source\.\n$/,
    );

    // The claim omits the slashed minipool: exit 1 naming it, even with --self-consistent-only.
    const omitted = path.join(dir, "omitted.json");
    await fsp.writeFile(
      omitted,
      claimFileText(
        await claimBy(
          node,
          ALL.filter((k) => k !== SLASHED),
        ),
      ),
    );
    const bad = await run(["verify", omitted, ...full, "--self-consistent-only"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /FAIL onchain: the claim omits 1 of the node's validator/);
    assert.match(bad.stderr, /The reputation claim is NOT valid/);
    assert.ok(bad.stderr.includes(SLASHED));

    const mp = fixtureMinipoolAddress(minipoolKeys[1] as string);
    const saved = minipools.get(mp);
    minipools.set(mp, { pubkey: fixturePubkey("other", 9), owner: node.address });
    try {
      const wrong = await run(["verify", file, ...full, "--json"]);
      assert.equal(wrong.code, 1);
      const c = JSON.parse(wrong.stdout).checks.find((x: { id: string }) => x.id === "onchain");
      assert.equal(c.status, "failed");
      assert.match(c.message, new RegExp(`the claim omits 1 .*${fixturePubkey("other", 9)}`));
      assert.match(
        c.message,
        new RegExp(`claimed validator ${minipoolKeys[1]} \\(minipool ${mp}\\) is not one of`),
      );
    } finally {
      minipools.set(mp, saved as { pubkey: string; owner: string });
    }
    await assert.rejects(
      checkClaimOnChain({ ...(await claimBy(node)), network: "hoodi" }, { rpcUrl }),
      /No known RocketStorage address for hoodi/,
    );
    // Flags are checked before the claim is read.
    const flag = await run(["verify", path.join(dir, "absent.json"), "--rpc", "localhost:8545"]);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /--rpc must be an http\(s\) URL/);
  });
});
