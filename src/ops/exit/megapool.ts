/**
 * The megapool (Saturn) side of `rpdvt exit` (issue 16 part 3: "exits the owner can always make").
 *
 * Why: the Smartnode's `rocketpool megapool exit-validator` (rocket-pool/smartnode
 * rocketpool/api/megapool/exit-validator.go, commit 1b3bcbe19d8460c671a29d48dcc05000a988bd2f)
 * reads the validator's pubkey from the megapool (`getValidatorInfoAndPubkey(validatorId)`), then
 * LOADS its key from the wallet's client keystores (shared/services/wallet/validator.go
 * `GetValidatorKeyByPubkey` → `LoadValidatorKey`: every client layout, no derivation) — once
 * `rpdvt migrate` quarantined those keystores it fails ("couldn't find the key for validator … in
 * any of the wallet's keystores"). Megapool validator keys are made like minipool ones
 * (validator.go `CreateValidatorKey`: wallet account `next_account`, EIP-2334
 * m/12381/3600/{i}/0/0), so the cold key re-derived from the wallet seed (./exit.ts
 * coldKeyFromWallet) signs the same EIP-7044 exit the Smartnode would, without touching any
 * keystore.
 *
 * Selecting a megapool validator by its id (the Smartnode's `--validator-id`, the index in the
 * node's megapool): RocketStorage → `rocketMegapoolFactory.getExpectedAddress(node)` (the node's
 * megapool, bindings/megapool/factory.go GetMegapoolExpectedAddress), `getValidatorCount()` and
 * `getValidatorPubkey(uint32)` (bindings/megapool/megapool-contract.go).
 *
 * What the Smartnode expects afterwards (rocketpool-cli/megapool/commands.go and
 * exit-validator.go's closing note): once the exit is processed and the validator's withdrawable
 * epoch is known, `rocketpool megapool notify-validator-exit --validator-id N` ("Notify that a
 * validator exit is in progress"); after the final balance was withdrawn,
 * `rocketpool megapool notify-final-balance --validator-id N`; then `rocketpool megapool
 * distribute` / claim. Minipools: after the balance was withdrawn, `rocketpool minipool close`.
 *
 * Which beacon states can exit (consensus-specs phase0 beacon-chain.md `process_voluntary_exit`):
 * the validator must be active, not already exiting (exit_epoch = FAR_FUTURE_EPOCH), and active
 * for SHARD_COMMITTEE_PERIOD epochs; anything else is refused here with what to do, before the
 * wallet is opened.
 */
import { createPublicClient, http } from "viem";
import { BaseError, InputError } from "../../errors.js";
import {
  contractAddressKey,
  megapoolAbi,
  megapoolFactoryAbi,
  storageAbi,
} from "../../reputation/chain.js";
import { parseAddress } from "../../util/address.js";
import { MAINNET_ROCKET_STORAGE } from "../feerecipient/feerecipient.js";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
/** Most megapool validators scanned to find a pubkey's id (eth_calls, one per id). */
const MAX_MEGAPOOL_SCAN = 5_000;

/**
 * Where a node's megapool is read.
 *
 * @example
 * const q: MegapoolQuery = { executionUrl: "http://127.0.0.1:8545", nodeAddress: "0x…" };
 */
export type MegapoolQuery = {
  executionUrl: string;
  nodeAddress: string;
  /** RocketStorage (default: mainnet's). */
  rocketStorage?: string | undefined;
  timeoutMs?: number | undefined;
};

/**
 * A megapool validator: its megapool, id and pubkey (0x lowercase).
 *
 * @example
 * const v: MegapoolValidator = { megapool: "0xab…", id: 3, pubkey: "0x93ab…" };
 */
export type MegapoolValidator = { megapool: string; id: number; pubkey: string };

type Reader = {
  megapool: `0x${string}`;
  count: number;
  pubkeyOf(id: number): Promise<string>;
};

async function openMegapool(q: MegapoolQuery): Promise<Reader> {
  const client = createPublicClient({
    transport: http(q.executionUrl, { timeout: q.timeoutMs ?? 10_000, retryCount: 0 }),
  });
  const node = parseAddress(q.nodeAddress, { field: "--node-address" }) as `0x${string}`;
  const storage = parseAddress(q.rocketStorage ?? MAINNET_ROCKET_STORAGE, {
    field: "--rocket-storage",
  }) as `0x${string}`;
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw new BaseError(`eth_call ${what} failed on ${q.executionUrl}`, {
        cause: err,
        metaMessages: [
          "Is the execution client synced (--execution-url), and is --rocket-storage the RocketStorage of this network?",
        ],
      });
    }
  };
  const factory = await call("RocketStorage.getAddress(rocketMegapoolFactory)", () =>
    client.readContract({
      address: storage,
      abi: storageAbi,
      functionName: "getAddress",
      args: [contractAddressKey("rocketMegapoolFactory")],
    }),
  );
  if (factory.toLowerCase() === ZERO_ADDRESS)
    throw new InputError("This network has no megapools (no rocketMegapoolFactory)", {
      field: "--megapool-validator-id",
      metaMessages: ["Select the validator by its public key with --validator instead."],
    });
  const deployed = await call("getMegapoolDeployed", () =>
    client.readContract({
      address: factory,
      abi: megapoolFactoryAbi,
      functionName: "getMegapoolDeployed",
      args: [node],
    }),
  );
  if (!deployed)
    throw new InputError(`Node ${node} has no megapool`, {
      field: "--node-address",
      metaMessages: [
        "Check --node-address (`rocketpool node status`); a minipool validator is selected with --validator.",
      ],
    });
  const megapool = await call("getExpectedAddress", () =>
    client.readContract({
      address: factory,
      abi: megapoolFactoryAbi,
      functionName: "getExpectedAddress",
      args: [node],
    }),
  );
  const count = await call("getValidatorCount", () =>
    client.readContract({ address: megapool, abi: megapoolAbi, functionName: "getValidatorCount" }),
  );
  return {
    megapool,
    count: Number(count),
    pubkeyOf: async (id) =>
      (
        await call(`getValidatorPubkey(${id})`, () =>
          client.readContract({
            address: megapool,
            abi: megapoolAbi,
            functionName: "getValidatorPubkey",
            args: [id],
          }),
        )
      ).toLowerCase(),
  };
}

/**
 * The pubkey of megapool validator `id` of the node.
 *
 * @example
 * const v = await megapoolValidatorById({ executionUrl, nodeAddress }, 3); // { megapool, id: 3, pubkey: "0x93ab…" }
 */
export async function megapoolValidatorById(
  q: MegapoolQuery,
  id: number,
): Promise<MegapoolValidator> {
  const r = await openMegapool(q);
  if (id >= r.count)
    throw new InputError(
      `Megapool ${r.megapool} has no validator id ${id} (it has ${r.count}: ids 0–${r.count - 1})`,
      {
        field: "--megapool-validator-id",
        metaMessages: ["`rocketpool megapool status` lists the ids."],
      },
    );
  return { megapool: r.megapool.toLowerCase(), id, pubkey: await r.pubkeyOf(id) };
}

/**
 * The megapool id of `pubkey` in the node's megapool, or undefined (a minipool validator).
 *
 * @example
 * const v = await megapoolValidatorByPubkey({ executionUrl, nodeAddress }, "0x93ab…");
 */
export async function megapoolValidatorByPubkey(
  q: MegapoolQuery,
  pubkey: string,
): Promise<MegapoolValidator | undefined> {
  let r: Reader;
  try {
    r = await openMegapool(q);
  } catch (err) {
    if (err instanceof InputError) return undefined; // no megapool: not a megapool validator
    throw err;
  }
  const want = pubkey.toLowerCase();
  for (let id = 0; id < Math.min(r.count, MAX_MEGAPOOL_SCAN); id++)
    if ((await r.pubkeyOf(id)) === want) return { megapool: r.megapool.toLowerCase(), id, pubkey };
  return undefined;
}

/**
 * Refuse an exit the beacon chain would reject, saying why and what to do (before any key is
 * derived): not yet active (pending), already exiting or exited, slashed, or active for fewer
 * than SHARD_COMMITTEE_PERIOD epochs.
 *
 * @example
 * checkExitable({ index: 7, status: "active_ongoing", activationEpoch: 0 }, 300, 256);
 */
export function checkExitable(
  v: { index: number; status: string; activationEpoch?: number | undefined; exitEpoch?: number },
  epoch: number,
  shardCommitteePeriod: number,
  nextSteps: string[] = [],
): void {
  const who = `Validator ${v.index}`;
  if (v.status.startsWith("pending"))
    throw new InputError(`${who} is not active yet (${v.status}): it cannot exit`, {
      field: "--validator",
      metaMessages: [
        "The beacon chain accepts a voluntary exit only from an active validator. Wait for activation (and SHARD_COMMITTEE_PERIOD epochs after it).",
        "A megapool validator still in the Rocket Pool queue or prestake is dissolved instead: `rocketpool megapool dissolve-validator`.",
      ],
    });
  if (v.status === "active_slashed" || v.status === "exited_slashed")
    throw new InputError(`${who} was slashed (${v.status}): the protocol is exiting it already`, {
      field: "--validator",
      metaMessages: ["No voluntary exit is needed.", ...nextSteps],
    });
  if (v.status !== "active_ongoing")
    throw new InputError(
      `${who} is already ${v.status.startsWith("active_exiting") ? "exiting" : "exited"} (${v.status}${
        v.exitEpoch !== undefined && Number.isFinite(v.exitEpoch)
          ? `, exit epoch ${v.exitEpoch}`
          : ""
      }): nothing to sign`,
      { field: "--validator", metaMessages: nextSteps },
    );
  const act = v.activationEpoch;
  if (act !== undefined && Number.isFinite(act) && epoch < act + shardCommitteePeriod)
    throw new InputError(
      `${who} activated at epoch ${act}: it can exit from epoch ${act + shardCommitteePeriod} (SHARD_COMMITTEE_PERIOD = ${shardCommitteePeriod}), now ${epoch}`,
      {
        field: "--epoch",
        metaMessages: [
          `Sign it for a later epoch with --epoch ${act + shardCommitteePeriod} --out FILE, and submit it from then on.`,
        ],
      },
    );
}

/**
 * What the Smartnode expects once the exit was submitted (printed as next steps).
 *
 * @example
 * exitNextSteps({ megapool: "0x…", id: 3, pubkey: "0x…" }) // ["… notify-validator-exit --validator-id 3", …]
 */
export function exitNextSteps(mp: MegapoolValidator | undefined): string[] {
  if (mp)
    return [
      `Megapool validator id ${mp.id} (megapool ${mp.megapool}) — what the Smartnode expects next:`,
      `  1. once the exit is processed (the validator has a withdrawable epoch): rocketpool megapool notify-validator-exit --validator-id ${mp.id}`,
      `  2. once its final balance has been withdrawn: rocketpool megapool notify-final-balance --validator-id ${mp.id}`,
      "  3. then: rocketpool megapool distribute (and claim any refund)",
      "Keep the rpdvt cluster running until the exit epoch: the validator still has duties until then.",
    ];
  return [
    "What the Smartnode expects next:",
    "  minipool: once its balance has been withdrawn, `rocketpool minipool close`;",
    "  megapool validator: `rocketpool megapool notify-validator-exit --validator-id N` once the exit is processed, then `notify-final-balance --validator-id N` after the withdrawal (give --execution-url and --node-address to have N looked up).",
    "Keep the rpdvt cluster running until the exit epoch: the validator still has duties until then.",
  ];
}
