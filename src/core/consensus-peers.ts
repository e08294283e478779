/**
 * Peer liveness as seen on the consensus channel (Charon core/tracker's "participation" input and
 * app/peerinfo): which other operators sent a message for which QBFT instance, and in which slot
 * each was last heard. Only the header is read (consensus/codec.ts `peekInstance`): QBFT itself
 * decodes and verifies every message strictly. Feeds the tracker (a failed duty's report names how
 * many peers took part) and the `peers` / `peer_last_seen` gauges.
 */
import { peekInstance } from "./consensus/codec.js";
import type { DvMetrics } from "./metrics.js";
import { type Duty, dutyKey } from "./types.js";

/** Distinct peers remembered per instance (a bound: the sender index is attacker-chosen bytes). */
const MAX_PEERS_PER_INSTANCE = 256;

/**
 * Who took part in which consensus instance.
 *
 * @example
 * const peers = new ConsensusPeers(metrics, () => scheduler.currentSlot());
 * transport.onMessage((from, bytes) => peers.observe(from, bytes));
 * peers.of({ slot: 10, type: DutyType.Attester }) // 3
 */
export class ConsensusPeers {
  private readonly instances = new Map<string, { slot: number; peers: Set<number> }>();
  private readonly lastSlot = new Map<number, number>();

  constructor(
    private readonly metrics: DvMetrics,
    private readonly currentSlot: () => number,
  ) {}

  /** A consensus message from operator index `from`. */
  observe(from: number, bytes: Uint8Array): void {
    const slot = this.currentSlot();
    this.lastSlot.set(from, slot);
    this.metrics.peerLastSeen.set({ peer: String(from) }, slot);
    const id = peekInstance(bytes);
    if (!id) return;
    const k = `${id.slot}/${id.dutyType}`;
    let e = this.instances.get(k);
    if (!e) {
      e = { slot: id.slot, peers: new Set() };
      this.instances.set(k, e);
    }
    if (e.peers.size < MAX_PEERS_PER_INSTANCE) e.peers.add(from);
  }

  /** Distinct other operators heard from in the duty's consensus instance. */
  of(duty: Duty): number {
    return this.instances.get(dutyKey(duty))?.peers.size ?? 0;
  }

  /** Set the `peers` gauge (heard within the last epoch) and forget instances before `minSlot`. */
  onSlot(slot: number, slotsPerEpoch: number, minSlot: number): void {
    for (const [k, v] of this.instances) if (v.slot < minSlot) this.instances.delete(k);
    let peers = 0;
    for (const s of this.lastSlot.values()) if (s >= slot - slotsPerEpoch) peers++;
    this.metrics.peers.set({}, peers);
  }
}
