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
import {
  decodeFunctionData,
  encodeFunctionResult,
  keccak256,
  toFunctionSignature,
  zeroAddress,
} from "viem";
import {
  contractKey,
  expectedFeeRecipient,
  FEE_RECIPIENT_FILE,
  fetchFeeRecipientInfo,
  inOptOutCooldown,
  MAINNET_ROCKET_STORAGE,
  NATIVE_FEE_RECIPIENT_FILE,
  ROCKET_ABI,
  readFeeRecipientFile,
} from "../../src/ops/feerecipient/feerecipient.js";
import { makeTempDir } from "../helpers.js";
import { serve } from "./ops-fakes.js";

const A = (b: string) => `0x${b.repeat(40)}` as `0x${string}`;
const NODE = A("1");
const ADDR: Record<string, `0x${string}`> = {
  rocketNodeManager: A("2"),
  rocketNodeDistributorFactory: A("3"),
  rocketSmoothingPool: A("4"),
  rocketMinipoolManager: A("5"),
  rocketMegapoolFactory: A("6"),
};
const DISTRIBUTOR = A("7");
const MEGAPOOL = A("8");
const MINIPOOL_PK = `0x${"aa".repeat(48)}`;
const MEGAPOOL_PK = `0x${"bb".repeat(48)}`;

describe("ops: fee recipient", () => {
  let dir: string;
  let rpc: Awaited<ReturnType<typeof serve>>;
  const seen: string[] = [];
  let optedIn = false;
  before(async () => {
    dir = await makeTempDir("ops-fee");
    const byKey = new Map(Object.entries(ADDR).map(([name, a]) => [contractKey(name), a]));
    rpc = await serve((_req, body) => {
      const { id, method, params } = JSON.parse(body) as {
        id: number;
        method: string;
        params: [{ to: string; data: `0x${string}` }];
      };
      if (method === "eth_chainId") return { json: { jsonrpc: "2.0", id, result: "0x1" } };
      assert.equal(method, "eth_call");
      const { to, data } = params[0];
      const call = decodeFunctionData({ abi: ROCKET_ABI, data });
      seen.push(call.functionName);
      const args = (call.args ?? []) as unknown as unknown[];
      const fn: string = call.functionName;
      const result = (() => {
        switch (call.functionName) {
          case "getAddress":
            assert.equal(to.toLowerCase(), MAINNET_ROCKET_STORAGE.toLowerCase());
            return byKey.get(args[0] as `0x${string}`) ?? zeroAddress;
          case "getSmoothingPoolRegistrationState":
            assert.equal((args[0] as string).toLowerCase(), NODE);
            return optedIn;
          case "getSmoothingPoolRegistrationChanged":
            return 1_700_000_000n;
          case "getProxyAddress":
            assert.equal(to.toLowerCase(), ADDR.rocketNodeDistributorFactory);
            return DISTRIBUTOR;
          case "getMegapoolDeployed":
            return true;
          case "getExpectedAddress":
            return MEGAPOOL;
          case "getMinipoolByPubkey":
            return (args[0] as string) === MINIPOOL_PK ? A("9") : zeroAddress;
        }
        throw new Error(`unexpected ${fn}`);
      })();
      return {
        json: {
          jsonrpc: "2.0",
          id,
          result: encodeFunctionResult({
            abi: ROCKET_ABI,
            functionName: call.functionName,
            result,
          } as never),
        },
      };
    });
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

  it("reads the chain through viem: distributor, smoothing pool, megapool per validator", async () => {
    const { info, megapoolValidators } = await fetchFeeRecipientInfo(rpc.url, NODE, {
      pubkeys: [MINIPOOL_PK, MEGAPOOL_PK],
    });
    assert.equal(info.feeDistributor.toLowerCase(), DISTRIBUTOR);
    assert.equal(info.smoothingPool.toLowerCase(), ADDR.rocketSmoothingPool);
    assert.equal(info.inSmoothingPool, false);
    assert.equal(info.registrationChanged, 1_700_000_000);
    assert.equal(info.megapool?.toLowerCase(), MEGAPOOL);
    assert.deepEqual([...megapoolValidators], [MEGAPOOL_PK]);
    for (const f of [
      "getSmoothingPoolRegistrationState",
      "getSmoothingPoolRegistrationChanged",
      "getProxyAddress",
      "getMinipoolByPubkey",
    ])
      assert.ok(seen.includes(f), f);
    optedIn = true;
    assert.equal((await fetchFeeRecipientInfo(rpc.url, NODE)).info.inSmoothingPool, true);
  });
});
