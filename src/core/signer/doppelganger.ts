/**
 * Doppelganger protection, as the signer's gate (after Lighthouse/Teku/Lodestar's doppelganger
 * service: consensus-specs does not define it; the Beacon API's POST /eth/v1/validator/liveness
 * is its standard input). Before its first signature for a validator, this operator watches the
 * validator's liveness for `epochs` epochs (the epoch it started in included) and refuses to sign
 * until every watched epoch has been checked; if the validator was live in a watched epoch it
 * refuses for good (until restart). Only whole epochs are watched (the node passes the first epoch
 * that starts at or after its start), so a node started mid-epoch waits a little longer.
 *
 * DV twist: in a distributed validator the validator is *expected* to be live while this operator
 * restarts — the other operators keep signing. Liveness in epoch e is therefore only a
 * doppelganger if this operator did not see the cluster itself produce it: at least one valid
 * partial signature from another cluster operator for that validator with a duty in epoch e. A
 * false positive only costs duties, never safety.
 */
import type { BeaconNode } from "../beacon.js";
import type { FailureReason, PubkeyHex } from "../types.js";

/**
 * Options of {@link createDoppelganger}.
 *
 * @example
 * const dg = createDoppelganger({ epochs: 2, beacon, index: (pk) => indices.get(pk) });
 */
export type DoppelgangerOptions = {
  /** Epochs to watch (2 is the usual client default; 0 disables — tests only). */
  epochs: number;
  beacon: BeaconNode;
  /** Validator index of a pubkey, once known. */
  index: (pubkey: PubkeyHex) => number | undefined;
  onDetected?: ((pubkey: PubkeyHex, epoch: number) => void) | undefined;
};

/**
 * The doppelganger service.
 *
 * @example
 * dg.start(currentEpoch);
 * signer = createSigner({ ...opts, gate: dg.gate });
 */
export interface Doppelganger {
  /** Begin watching from `epoch` (the node's start epoch). */
  start(epoch: number): void;
  /** A peer's valid partial for `pubkey` with a duty in `epoch` (the cluster is producing it). */
  observeCluster(pubkey: PubkeyHex, epoch: number): void;
  /** Check finished watched epochs < `currentEpoch` (call every slot; retries failures). */
  poll(currentEpoch: number, pubkeys: readonly PubkeyHex[]): Promise<void>;
  /** Signer gate: a refusal reason while watching / after detection, else undefined. */
  gate(pubkey: PubkeyHex): FailureReason | undefined;
  detected(): PubkeyHex[];
}

/**
 * Create the doppelganger service.
 *
 * @example
 * const dg = createDoppelganger({ epochs: 2, beacon, index });
 */
export function createDoppelganger(opts: DoppelgangerOptions): Doppelganger {
  let startEpoch: number | undefined;
  const checked = new Set<number>();
  const detected = new Set<PubkeyHex>();
  const observed = new Map<number, Set<PubkeyHex>>();
  let polling = false;
  const open = (): boolean => opts.epochs <= 0 || checked.size >= opts.epochs;
  return {
    start(epoch) {
      startEpoch = epoch;
    },
    observeCluster(pk, epoch) {
      if (open()) return;
      let s = observed.get(epoch);
      if (!s) {
        s = new Set();
        observed.set(epoch, s);
      }
      s.add(pk);
    },
    async poll(current, pubkeys) {
      if (open() || startEpoch === undefined || polling) return;
      polling = true;
      try {
        for (let e = startEpoch; e < startEpoch + opts.epochs && e < current; e++) {
          if (checked.has(e)) continue;
          const byIndex = new Map<number, PubkeyHex>();
          for (const pk of pubkeys) {
            const i = opts.index(pk);
            if (i !== undefined) byIndex.set(i, pk);
          }
          if (byIndex.size < pubkeys.length) return; // indices not resolved yet: keep watching
          const live = await opts.beacon.liveness(e, [...byIndex.keys()]);
          for (const [i, isLive] of live) {
            const pk = byIndex.get(i);
            if (!isLive || pk === undefined) continue;
            if (observed.get(e)?.has(pk)) continue; // the cluster itself
            if (!detected.has(pk)) {
              detected.add(pk);
              opts.onDetected?.(pk, e);
            }
          }
          checked.add(e);
          observed.delete(e);
        }
      } catch {
        // beacon error: keep watching, retried on the next poll
      } finally {
        polling = false;
      }
    },
    gate(pk) {
      if (detected.has(pk)) return "doppelganger";
      return open() ? undefined : "doppelganger";
    },
    detected: () => [...detected],
  };
}
