/**
 * Doppelganger protection, as the signer's gate (after Lighthouse/Teku/Lodestar's doppelganger
 * service: consensus-specs does not define it; the Beacon API's POST /eth/v1/validator/liveness
 * is its standard input). Before its first signature for a validator, this operator watches the
 * validator's liveness for `epochs` epochs (the epoch it started in included) and refuses to sign
 * until every watched epoch has been checked; if the validator was live in a watched epoch it
 * refuses for good (until restart). Only whole epochs are watched (the node passes the first epoch
 * that starts at or after its start), so a node started mid-epoch waits a little longer.
 *
 * Per validator (Lodestar's validator client DoppelgangerService keeps a status per pubkey): each
 * validator is watched for itself, from the later of the node's start epoch and the epoch it was
 * registered in (`track`: the scheduler calls it when the validator has an index and duties —
 * active, or exiting until its exit epoch). A validator not yet deposited or still in the queue
 * is not tracked and refused alone; once it activates it is watched, then signed for, without a
 * restart. The others never wait for it. `untrack` drops an exited validator.
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
 * const dg = createDoppelganger({ epochs: 2, beacon });
 */
export type DoppelgangerOptions = {
  /** Epochs to watch (2 is the usual client default; 0 disables — tests only). */
  epochs: number;
  beacon: BeaconNode;
  onDetected?: ((pubkey: PubkeyHex, epoch: number) => void) | undefined;
};

/**
 * One validator's watch (see {@link Doppelganger.status}).
 *
 * @example
 * const s: DoppelgangerStatus = dg.status(pk); // "watching"
 */
export type DoppelgangerStatus = "untracked" | "watching" | "safe" | "detected";

/**
 * The doppelganger service.
 *
 * @example
 * dg.start(currentEpoch);
 * dg.track(pubkey, 48, currentEpoch);
 * signer = createSigner({ ...opts, gate: dg.gate });
 */
export interface Doppelganger {
  /** The node's start epoch (the first whole epoch it is up for). */
  start(epoch: number): void;
  /**
   * Watch `pubkey` (validator `index`) from `epoch` (at the earliest the start epoch). Tracking
   * a validator again with the same index keeps its watch.
   */
  track(pubkey: PubkeyHex, index: number, epoch: number): void;
  /** Stop signing for `pubkey` (exited); a later `track` watches it afresh. */
  untrack(pubkey: PubkeyHex): void;
  /**
   * Watch a tracked `pubkey` afresh from `epoch` (the key guard, src/ops/guard/guard.ts, when its
   * key was found outside the cluster); refuses it until that watch finished. Untracked: no-op.
   */
  rearm(pubkey: PubkeyHex, epoch: number): void;
  /** A peer's valid partial for `pubkey` with a duty in `epoch` (the cluster is producing it). */
  observeCluster(pubkey: PubkeyHex, epoch: number): void;
  /** Check finished watched epochs < `currentEpoch` (call every slot; retries failures). */
  poll(currentEpoch: number): Promise<void>;
  /** Signer gate: a refusal reason while untracked / watching / after detection, else undefined. */
  gate(pubkey: PubkeyHex): FailureReason | undefined;
  status(pubkey: PubkeyHex): DoppelgangerStatus;
  detected(): PubkeyHex[];
}

type Watch = { index: number; from: number; checked: Set<number> };

/**
 * Create the doppelganger service.
 *
 * @example
 * const dg = createDoppelganger({ epochs: 2, beacon });
 */
export function createDoppelganger(opts: DoppelgangerOptions): Doppelganger {
  return new DoppelgangerService(opts);
}

/**
 * The service's state: each tracked validator's watch, the detections, and the epochs in which
 * the cluster itself was seen producing a validator's signatures.
 *
 * @example
 * const dg: Doppelganger = new DoppelgangerService({ epochs: 2, beacon });
 */
class DoppelgangerService implements Doppelganger {
  private readonly opts: DoppelgangerOptions;
  private startEpoch: number | undefined;
  private readonly watches = new Map<PubkeyHex, Watch>();
  private readonly found = new Set<PubkeyHex>();
  /** Epoch → validators a peer's partial showed the cluster producing. */
  private readonly observed = new Map<number, Set<PubkeyHex>>();
  private polling = false;

  constructor(opts: DoppelgangerOptions) {
    this.opts = opts;
  }

  start = (epoch: number): void => {
    this.startEpoch = epoch;
    for (const w of this.watches.values()) w.from = Math.max(w.from, epoch);
  };

  track = (pk: PubkeyHex, index: number, epoch: number): void => {
    const w = this.watches.get(pk);
    if (w && w.index === index) return;
    this.watches.set(pk, {
      index,
      from: Math.max(epoch, this.startEpoch ?? 0),
      checked: new Set(),
    });
  };

  untrack = (pk: PubkeyHex): void => {
    this.watches.delete(pk);
  };

  rearm = (pk: PubkeyHex, epoch: number): void => {
    const w = this.watches.get(pk);
    if (w) this.watches.set(pk, { index: w.index, from: epoch, checked: new Set() });
  };

  observeCluster = (pk: PubkeyHex, epoch: number): void => {
    // Recorded for every tracked validator, watching or not: a watch re-armed later in the same
    // epoch (the key guard firing after the squad signed) must know the cluster produced that
    // epoch's signature, or the squad's own attestation reads as a doppelganger (found in a
    // devnet CI run: validator 40 refused for good after its keystore was recreated). Pruned by
    // dueEpochs at every poll (older than every open watch, else than the current epoch).
    if (this.opts.epochs <= 0 || !this.watches.has(pk)) return;
    let s = this.observed.get(epoch);
    if (!s) {
      s = new Set();
      this.observed.set(epoch, s);
    }
    s.add(pk);
  };

  poll = async (current: number): Promise<void> => {
    if (this.opts.epochs <= 0 || this.startEpoch === undefined || this.polling) return;
    const due = this.dueEpochs(current);
    if (!due.size) return;
    this.polling = true;
    try {
      for (const [e, byIndex] of [...due].sort((a, b) => a[0] - b[0])) {
        await this.checkEpoch(e, byIndex);
      }
    } catch {
      // beacon error: keep watching, retried on the next poll
    } finally {
      this.polling = false;
    }
  };

  gate = (pk: PubkeyHex): FailureReason | undefined => {
    if (this.found.has(pk)) return "doppelganger";
    if (this.opts.epochs <= 0) return this.watches.has(pk) ? undefined : "doppelganger";
    return this.done(this.watches.get(pk)) ? undefined : "doppelganger";
  };

  status = (pk: PubkeyHex): DoppelgangerStatus => {
    if (this.found.has(pk)) return "detected";
    const w = this.watches.get(pk);
    if (!w) return "untracked";
    return this.done(w) ? "safe" : "watching";
  };

  detected = (): PubkeyHex[] => [...this.found];

  private done(w: Watch | undefined): boolean {
    return w !== undefined && (this.opts.epochs <= 0 || w.checked.size >= this.opts.epochs);
  }

  /**
   * Per finished epoch (< `current`), the validators (index → pubkey) whose watch covers it and
   * have not checked it yet; forgets the cluster observations older than every open watch.
   */
  private dueEpochs(current: number): Map<number, Map<number, PubkeyHex>> {
    const due = new Map<number, Map<number, PubkeyHex>>();
    let oldest = current;
    for (const [pk, w] of this.watches) {
      if (this.done(w) || this.found.has(pk)) continue;
      for (let e = w.from; e < w.from + this.opts.epochs; e++) {
        if (w.checked.has(e)) continue;
        oldest = Math.min(oldest, e);
        if (e >= current) continue;
        let m = due.get(e);
        if (!m) {
          m = new Map();
          due.set(e, m);
        }
        m.set(w.index, pk);
      }
    }
    for (const e of this.observed.keys()) if (e < oldest) this.observed.delete(e);
    return due;
  }

  /** Ask the beacon node for epoch `e`'s liveness; live and not by the cluster = detected. */
  private async checkEpoch(e: number, byIndex: Map<number, PubkeyHex>): Promise<void> {
    const live = await this.opts.beacon.liveness(e, [...byIndex.keys()]);
    for (const [i, pk] of byIndex) {
      const w = this.watches.get(pk);
      if (!w || w.index !== i) continue; // untracked meanwhile
      if (live.get(i) && !this.observed.get(e)?.has(pk) && !this.found.has(pk)) {
        this.found.add(pk); // live, and not by the cluster itself
        this.opts.onDetected?.(pk, e);
      }
      w.checked.add(e);
    }
  }
}
