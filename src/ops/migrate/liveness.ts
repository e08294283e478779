/**
 * Doppelganger wait: after the keys left the Smartnode VC, watch the beacon chain until the
 * validators have been seen NOT live for `epochs` whole epochs (POST /eth/v1/validator/liveness/
 * {epoch}, ethereum/beacon-APIs; the same signal Lighthouse's and Teku's doppelganger protection
 * use). Liveness of epoch e is only final once e is over and beacon nodes serve it for the current
 * and previous epoch only, so epoch e is asked for during epoch e+1.
 *
 * The epoch in which the keys were removed is never counted (the old VC may have signed in it).
 * Any liveness seen afterwards means another machine still signs with the key: the migration
 * stops with a loud error — starting the cluster then is how distributed validators get slashed.
 */
import { currentEpoch } from "../../core/beacon.js";
import { VerificationError } from "../../errors.js";
import { toHex } from "../../util/hex.js";

/** The beacon calls the wait needs (src/beacon's client provides them). */
export type LivenessBeacon = {
  chainInfo(): Promise<{ genesisTime: number; secondsPerSlot: number; slotsPerEpoch: number }>;
  validators(
    pubkeys: readonly Uint8Array[],
  ): Promise<{ index: number; pubkey: Uint8Array; status: string }[]>;
  liveness(epoch: number, indices: readonly number[]): Promise<Map<number, boolean>>;
};

/** Time source (tests pass a virtual clock). */
export type Clock = { now(): number; sleep(ms: number): Promise<void> };

/** Wall-clock {@link Clock}. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Default and minimum number of whole epochs to watch (Lighthouse/Teku doppelganger: 2). */
export const DEFAULT_LIVENESS_EPOCHS = 2;

/**
 * Wait until `pubkeys` were not live for `epochs` whole epochs after `removedEpoch`.
 * Validators the chain does not know (not deposited / pending) cannot sign and are reported.
 *
 * @example
 * const r = await waitUntilNotLive(beacon, [pk], { removedEpoch: 1200, epochs: 2 });
 */
export async function waitUntilNotLive(
  beacon: LivenessBeacon,
  pubkeys: readonly Uint8Array[],
  opts: {
    removedEpoch: number;
    epochs?: number;
    clock?: Clock;
    onEpoch?: (epoch: number, live: number[]) => void | Promise<void>;
  },
): Promise<{ checkedEpochs: number[]; indices: number[]; unknown: string[] }> {
  const clock = opts.clock ?? systemClock;
  const epochs = Math.max(DEFAULT_LIVENESS_EPOCHS, opts.epochs ?? DEFAULT_LIVENESS_EPOCHS);
  const chain = await beacon.chainInfo();
  const known = await beacon.validators(pubkeys);
  const indices = known.map((v) => v.index);
  const knownHex = new Set(known.map((v) => toHex(v.pubkey)));
  const unknown = pubkeys.map((p) => toHex(p)).filter((h) => !knownHex.has(h));
  const byIndex = new Map(known.map((v) => [v.index, toHex(v.pubkey)]));
  const checked: number[] = [];
  if (indices.length === 0) return { checkedEpochs: checked, indices, unknown };
  const epochMs = chain.secondsPerSlot * chain.slotsPerEpoch * 1000;
  let next = Math.max(opts.removedEpoch + 1, currentEpoch(chain, clock.now()) - 1);
  while (checked.length < epochs) {
    // Epoch `next` is over once epoch next+1 has begun.
    const endMs = chain.genesisTime * 1000 + (next + 1) * epochMs;
    const wait = endMs - clock.now();
    if (wait > 0) await clock.sleep(wait + 500);
    const live = await beacon.liveness(next, indices);
    const liveIdx = indices.filter((i) => live.get(i) === true);
    await opts.onEpoch?.(next, liveIdx);
    if (liveIdx.length > 0) {
      throw new VerificationError(
        `DANGER: ${liveIdx.length} migrated validator(s) were LIVE in epoch ${next}, after their keys were removed`,
        {
          metaMessages: [
            ...liveIdx.map((i) => `validator ${i} (${byIndex.get(i)})`),
            "Another machine is still signing with these keys (a second Smartnode, a backup VC, a restored keystore).",
            "Do NOT start the cluster: two signers for one key is how validators get slashed.",
            "Find and stop that signer, then run `rpdvt migrate --resume <id>` to watch again.",
          ],
        },
      );
    }
    checked.push(next);
    next++;
  }
  return { checkedEpochs: checked, indices, unknown };
}
