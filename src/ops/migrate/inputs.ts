/**
 * What `rpdvt migrate` gathers before planning (the CLI parses the flags, this module does the
 * work): each cluster validator's fee recipient — `--fee-recipient` for every validator; else
 * with `--execution-url` + `--node-address` the Rocket Pool rule per validator on chain
 * (../feerecipient/feerecipient.ts resolveFeeRecipients, the code path of `rpdvt doctor`), so a
 * node with minipool and megapool validators gets each one right; else the Smartnode's node-wide
 * rp-fee-recipient file, with a warning that megapool validators need one of the other two — and
 * the runtime of a migration (keymanager client from the token file, beacon client).
 */
import { createBeaconClient } from "../../beacon/index.js";
import { InputError } from "../../errors.js";
import { readFeeRecipientFile, resolveFeeRecipients } from "../feerecipient/feerecipient.js";
import { createKeymanagerClient, readKeymanagerToken } from "../keymanager/client.js";
import type { MigrationRuntime, PlannedFeeRecipient, SlashingSource } from "./types.js";

/** Per-request timeout of the beacon client a migration uses (ms). */
const BEACON_TIMEOUT_MS = 10_000;

/**
 * Megapool validators take their fee recipient per key: the node-wide file is not their answer.
 *
 * @example
 * warnings.includes(FILE_FEE_RECIPIENT_WARNING)
 */
export const FILE_FEE_RECIPIENT_WARNING =
  "Fee recipient taken from the Smartnode's node-wide rp-fee-recipient file (smoothing pool or fee distributor): a megapool validator outside the smoothing pool must use its megapool instead. If any migrated validator is a megapool validator, give --execution-url with --node-address (computed per validator) or --fee-recipient.";

/**
 * The fee recipients of a cluster split (one for all, or per validator) and why each is that one.
 *
 * @example
 * const { feeRecipients, why } = await chooseFeeRecipients({ dataDir, validators, beaconUrls: [] });
 */
export type FeeChoice = { feeRecipients: string | Map<string, string>; why: PlannedFeeRecipient[] };

/**
 * Where the fee recipients come from (the flags of the same names).
 *
 * @example
 * const src: FeeSource = { dataDir, validators, beaconUrls: [], feeRecipient: "0x…" };
 */
export type FeeSource = {
  dataDir: string;
  /** 0x lowercase public keys. */
  validators: string[];
  feeRecipient?: string;
  executionUrl?: string;
  nodeAddress?: string;
  rocketStorage?: string;
  beaconUrls: string[];
};

function sameForAll(validators: string[], address: string, reason: string): FeeChoice {
  return {
    feeRecipients: address,
    why: validators.map((pubkey) => ({ pubkey, address, reason })),
  };
}

/** By the Rocket Pool rule on chain (--execution-url + --node-address, --beacon-url). */
async function onChain(src: FeeSource & { executionUrl: string }): Promise<FeeChoice> {
  if (!src.nodeAddress) {
    throw new InputError("--node-address is needed with --execution-url", {
      field: "--node-address",
      metaMessages: [
        "The Rocket Pool node address (`rocketpool node status`) whose fee recipients to compute.",
      ],
    });
  }
  const r = await resolveFeeRecipients({
    executionUrl: src.executionUrl,
    nodeAddress: src.nodeAddress,
    pubkeys: src.validators,
    rocketStorage: src.rocketStorage,
    beacon: src.beaconUrls.length
      ? createBeaconClient(src.beaconUrls, { timeoutMs: BEACON_TIMEOUT_MS })
      : undefined,
  });
  if (r.cooldown === undefined) {
    throw new InputError(
      "--beacon-url is needed: the node opted out of the smoothing pool, and only the beacon node tells whether the opt-out cool-down is over",
      {
        field: "--beacon-url",
        metaMessages: [
          "During the cool-down every validator must still use the smoothing pool.",
          "Or give --fee-recipient explicitly.",
        ],
      },
    );
  }
  return {
    feeRecipients: new Map(r.validators.map((v) => [v.pubkey, v.address])),
    why: r.validators.map((v) => ({
      pubkey: v.pubkey,
      address: v.address,
      reason: `${v.reason}${v.megapoolValidator ? ", megapool validator" : ""} (on chain)`,
    })),
  };
}

/** By the Smartnode's node-wide rp-fee-recipient file (with the megapool warning). */
async function fromSmartnodeFile(src: FeeSource, warnings: string[]): Promise<FeeChoice> {
  const fr = await readFeeRecipientFile(src.dataDir);
  if (!fr) {
    throw new InputError(
      "--fee-recipient is required: no rp-fee-recipient file in the Smartnode folder",
      {
        field: "--fee-recipient",
        metaMessages: [
          "Or compute it per validator on chain: --execution-url http://127.0.0.1:8545 --node-address 0x….",
          "Rocket Pool validators must use the smoothing pool (if opted in), a megapool validator its megapool, else the node's fee distributor.",
        ],
      },
    );
  }
  warnings.push(FILE_FEE_RECIPIENT_WARNING);
  return sameForAll(
    src.validators,
    fr.address,
    `Smartnode ${fr.file} (node-wide, not checked on chain)`,
  );
}

/**
 * Each cluster validator's fee recipient: the explicit override, else on chain, else the
 * Smartnode's file (pushing its warning to `warnings`).
 *
 * @example
 * const fee = await chooseFeeRecipients({ dataDir, validators, beaconUrls, executionUrl, nodeAddress }, warnings);
 */
export async function chooseFeeRecipients(src: FeeSource, warnings: string[]): Promise<FeeChoice> {
  if (src.feeRecipient)
    return sameForAll(src.validators, src.feeRecipient, "--fee-recipient (explicit override)");
  if (src.executionUrl) return onChain({ ...src, executionUrl: src.executionUrl });
  return fromSmartnodeFile(src, warnings);
}

/**
 * The runtime of a migration: the keymanager client (token read from its file) when the history
 * comes from the VC, the beacon client when URLs are given, progress lines to `log`.
 *
 * @example
 * const rt = await migrationRuntime({ slashing: plan.slashing, beaconUrls: ["http://127.0.0.1:5052"] });
 */
export async function migrationRuntime(o: {
  slashing: SlashingSource | undefined;
  beaconUrls: string[];
  log?: (line: string) => void;
}): Promise<MigrationRuntime> {
  const rt: MigrationRuntime = { quiet: true, log: o.log };
  if (o.slashing?.kind === "keymanager")
    rt.keymanager = createKeymanagerClient(
      o.slashing.url,
      await readKeymanagerToken(o.slashing.tokenFile),
    );
  if (o.beaconUrls.length)
    rt.beacon = createBeaconClient(o.beaconUrls, { timeoutMs: BEACON_TIMEOUT_MS });
  return rt;
}
