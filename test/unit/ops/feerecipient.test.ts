/**
 * Fee recipient: the Rocket Pool rule (smoothing pool when opted in or cooling down — megapool
 * validators too, RPIP-43 —, else megapool validators their megapool, else the fee distributor),
 * the Smartnode's file names and formats (Docker: bare address; native: FEE_RECIPIENT=…), and the
 * chain reads through viem against a tiny JSON-RPC server of our own that answers eth_call for
 * exactly those selectors. Constants pinned against rocket-pool/smartnode and rocket-pool/rocketpool
 * (commits in src/ops/feerecipient/feerecipient.ts).
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { keccak256, toFunctionSignature } from "viem";
import {
  allowedFeeRecipients,
  contractKey,
  expectedFeeRecipient,
  FEE_RECIPIENT_FILE,
  fetchFeeRecipientInfo,
  inOptOutCooldown,
  MAINNET_ROCKET_STORAGE,
  NATIVE_FEE_RECIPIENT_FILE,
  ROCKET_ABI,
  readFeeRecipientFile,
  resolveFeeRecipients,
} from "../../../src/ops/feerecipient/feerecipient.js";
import { makeTempDir } from "../../helpers.js";
import { RP, startFakeRocketPoolRpc } from "../../support/ops-fakes.js";

const NODE = RP.node;
const ADDR = RP.contracts as Record<string, string>;
const DISTRIBUTOR = RP.distributor;
const MEGAPOOL = RP.megapool;
const RETH = RP.contracts.rocketTokenRETH as string;
const MINIPOOL_PK = `0x${"aa".repeat(48)}`;
const MEGAPOOL_PK = `0x${"bb".repeat(48)}`;

describe("ops: fee recipient", () => {
  let dir: string;
  let rpc: Awaited<ReturnType<typeof startFakeRocketPoolRpc>>;
  before(async () => {
    dir = await makeTempDir("ops-fee");
    rpc = await startFakeRocketPoolRpc({ minipools: new Set([MINIPOOL_PK]) });
  });
  after(async () => {
    await rpc.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it("rule: smoothing pool when opted in or cooling down (megapool validators too), else megapool, else distributor", () => {
    const info = {
      smoothingPool: ADDR.rocketSmoothingPool as string,
      feeDistributor: DISTRIBUTOR,
      inSmoothingPool: false,
      registrationChanged: 0,
      megapool: MEGAPOOL,
    };
    assert.equal(
      expectedFeeRecipient(info, { cooldown: false, megapoolValidator: false }).reason,
      "fee distributor",
    );
    assert.equal(
      expectedFeeRecipient(info, {
        cooldown: true,
        megapoolValidator: false,
      }).address.toLowerCase(),
      ADDR.rocketSmoothingPool,
    );
    assert.equal(
      expectedFeeRecipient(
        { ...info, inSmoothingPool: true },
        { cooldown: false, megapoolValidator: false },
      ).reason,
      "smoothing pool (opted in)",
    );
    assert.equal(
      expectedFeeRecipient(info, {
        cooldown: false,
        megapoolValidator: true,
      }).address.toLowerCase(),
      MEGAPOOL,
    );
    // RPIP-43: in the smoothing pool, the smoothing pool is the ONLY allowed fee recipient, also
    // for megapool validators; so is it during the opt-out cool-down (Smartnode rule).
    for (const [over, cooldown, reason] of [
      [{ inSmoothingPool: true }, false, "smoothing pool (opted in)"],
      [{}, true, "smoothing pool (opt-out cool-down)"],
    ] as const) {
      const r = expectedFeeRecipient({ ...info, ...over }, { cooldown, megapoolValidator: true });
      assert.deepEqual([r.address.toLowerCase(), r.reason], [ADDR.rocketSmoothingPool, reason]);
    }
    // A megapool validator of a node without a deployed megapool falls back to the distributor.
    assert.equal(
      expectedFeeRecipient(
        { ...info, megapool: undefined },
        { cooldown: false, megapoolValidator: true },
      ).reason,
      "fee distributor",
    );
    // Opt-out at genesis + 10 epochs + 1 s: cooling down until epoch 11 is finalized.
    const b = { genesisTime: 1000, secondsPerEpoch: 384 };
    assert.equal(inOptOutCooldown(1000 + 3841, { ...b, finalizedEpoch: 10 }), true);
    assert.equal(inOptOutCooldown(1000 + 3841, { ...b, finalizedEpoch: 11 }), false);
    assert.equal(inOptOutCooldown(0, { ...b, finalizedEpoch: 0 }), false);
  });

  it("pins the Smartnode and contract constants", () => {
    // smartnode-config.go: FeeRecipientFilename, NativeFeeRecipientFilename, mainnet storageAddress.
    assert.equal(FEE_RECIPIENT_FILE, join("validators", "rp-fee-recipient.txt"));
    assert.equal(NATIVE_FEE_RECIPIENT_FILE, join("validators", "rp-fee-recipient-env.txt"));
    assert.equal(MAINNET_ROCKET_STORAGE, "0x1d8f8f00cfa6758d7bE78336684788Fb0ee0Fa46");
    // RocketStorage key = keccak256(abi.encodePacked("contract.address", name)).
    assert.equal(
      contractKey("rocketMegapoolFactory"),
      keccak256(new TextEncoder().encode("contract.addressrocketMegapoolFactory")),
    );
    // The interface signatures (rocket-pool/rocketpool contracts/interface/…).
    assert.deepEqual(
      ROCKET_ABI.map((f) => toFunctionSignature(f)),
      [
        "getAddress(bytes32)",
        "getSmoothingPoolRegistrationState(address)",
        "getSmoothingPoolRegistrationChanged(address)",
        "getProxyAddress(address)",
        "getMinipoolByPubkey(bytes)",
        "getMegapoolDeployed(address)",
        "getExpectedAddress(address)",
      ],
    );
  });

  it("reads the Smartnode's Docker and native fee recipient files", async () => {
    const d1 = join(dir, "docker");
    await fsp.mkdir(join(d1, "validators"), { recursive: true });
    await fsp.writeFile(
      join(d1, "validators/rp-fee-recipient.txt"),
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    );
    assert.deepEqual((await readFeeRecipientFile(d1))?.mode, "docker");
    const d2 = join(dir, "native");
    await fsp.mkdir(join(d2, "validators"), { recursive: true });
    await fsp.writeFile(
      join(d2, "validators/rp-fee-recipient-env.txt"),
      "FEE_RECIPIENT=0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\n",
    );
    const n = await readFeeRecipientFile(d2);
    assert.equal(n?.address, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    assert.equal(await readFeeRecipientFile(join(dir, "none")), undefined);
    await fsp.writeFile(
      join(d1, "validators/rp-fee-recipient.txt"),
      "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    );
    await assert.rejects(readFeeRecipientFile(d1), /checksum/);
  });

  it("reads the chain through viem: distributor, smoothing pool, megapool per validator, rETH", async () => {
    rpc.state.optedIn = false;
    rpc.state.registrationChanged = 1_700_000_000n;
    const { info, megapoolValidators } = await fetchFeeRecipientInfo(rpc.url, NODE, {
      pubkeys: [MINIPOOL_PK, MEGAPOOL_PK],
    });
    assert.equal(info.feeDistributor.toLowerCase(), DISTRIBUTOR);
    assert.equal(info.smoothingPool.toLowerCase(), ADDR.rocketSmoothingPool);
    assert.equal(info.inSmoothingPool, false);
    assert.equal(info.registrationChanged, 1_700_000_000);
    assert.equal(info.megapool?.toLowerCase(), MEGAPOOL);
    // rETH = RocketStorage getAddress(keccak256("contract.address" ++ "rocketTokenRETH")).
    assert.equal(info.reth?.toLowerCase(), RETH);
    assert.ok(
      rpc.seen.some(
        (c) => c.functionName === "getAddress" && c.args[0] === contractKey("rocketTokenRETH"),
      ),
    );
    assert.deepEqual([...megapoolValidators], [MEGAPOOL_PK]);
    for (const f of [
      "getSmoothingPoolRegistrationState",
      "getSmoothingPoolRegistrationChanged",
      "getProxyAddress",
      "getMinipoolByPubkey",
    ])
      assert.ok(
        rpc.seen.some((c) => c.functionName === f),
        f,
      );
    rpc.state.optedIn = true;
    assert.equal((await fetchFeeRecipientInfo(rpc.url, NODE)).info.inSmoothingPool, true);
    rpc.state.optedIn = false;
  });

  it("RPIP-43 alternatives: only a megapool validator outside the smoothing pool may donate to the smoothing pool or rETH", () => {
    const info = {
      smoothingPool: ADDR.rocketSmoothingPool as string,
      feeDistributor: DISTRIBUTOR,
      inSmoothingPool: false,
      registrationChanged: 0,
      megapool: MEGAPOOL,
      reth: RETH,
    };
    const addrs = (i: typeof info, cooldown: boolean, megapoolValidator: boolean) =>
      allowedFeeRecipients(i, { cooldown, megapoolValidator }).map((c) => c.address.toLowerCase());
    assert.deepEqual(addrs(info, false, true), [MEGAPOOL, ADDR.rocketSmoothingPool, RETH]);
    assert.match(
      allowedFeeRecipients(info, { cooldown: false, megapoolValidator: true })[2]?.reason ?? "",
      /^rETH token — allowed by RPIP-43 .*donates .* to rETH holders/,
    );
    // In the smoothing pool, or cooling down: the smoothing pool alone.
    assert.deepEqual(addrs({ ...info, inSmoothingPool: true }, false, true), [
      ADDR.rocketSmoothingPool,
    ]);
    assert.deepEqual(addrs(info, true, true), [ADDR.rocketSmoothingPool]);
    // A minipool validator has no alternative to its fee distributor.
    assert.deepEqual(addrs(info, false, false), [DISTRIBUTOR]);
  });

  it("resolves a mixed minipool + megapool node per validator; the smoothing pool and its cool-down override both", async () => {
    const pubkeys = [MINIPOOL_PK, MEGAPOOL_PK];
    const ask = (beacon?: Parameters<typeof resolveFeeRecipients>[0]["beacon"]) =>
      resolveFeeRecipients({ executionUrl: rpc.url, nodeAddress: NODE, pubkeys, beacon });
    const pairs = (r: Awaited<ReturnType<typeof ask>>) =>
      r.validators.map((v) => [v.pubkey, v.address.toLowerCase(), v.reason]);
    // Never opted in.
    rpc.state.optedIn = false;
    rpc.state.registrationChanged = 0n;
    let r = await ask();
    assert.equal(r.cooldown, false);
    assert.deepEqual(pairs(r), [
      [MINIPOOL_PK, DISTRIBUTOR, "fee distributor"],
      [MEGAPOOL_PK, MEGAPOOL, "megapool"],
    ]);
    assert.deepEqual(
      r.validators.map((v) => v.megapoolValidator),
      [false, true],
    );
    // Opted in: the smoothing pool for every validator.
    rpc.state.optedIn = true;
    rpc.state.registrationChanged = 1_700_000_000n;
    r = await ask();
    assert.deepEqual(pairs(r), [
      [MINIPOOL_PK, ADDR.rocketSmoothingPool, "smoothing pool (opted in)"],
      [MEGAPOOL_PK, ADDR.rocketSmoothingPool, "smoothing pool (opted in)"],
    ]);
    // Opted out at genesis + 10 epochs: cooling down until epoch 11 is finalized.
    rpc.state.optedIn = false;
    rpc.state.registrationChanged = 1000n + 3841n;
    const beacon = (finalized: number) => ({
      chainInfo: async () => ({ genesisTime: 1000, secondsPerSlot: 12, slotsPerEpoch: 32 }),
      finalityCheckpoints: async () => ({ finalized: { epoch: finalized } }),
    });
    r = await ask(beacon(10));
    assert.equal(r.cooldown, true);
    assert.deepEqual(
      pairs(r).map((p) => p[2]),
      ["smoothing pool (opt-out cool-down)", "smoothing pool (opt-out cool-down)"],
    );
    r = await ask(beacon(11));
    assert.equal(r.cooldown, false);
    assert.deepEqual(
      pairs(r).map((p) => p[1]),
      [DISTRIBUTOR, MEGAPOOL],
    );
    // Without a beacon node the cool-down is unknown, and said so.
    r = await ask();
    assert.equal(r.cooldown, undefined);
    rpc.state.registrationChanged = 0n;
  });
});
