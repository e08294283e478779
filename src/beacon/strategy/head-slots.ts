/**
 * The slot of each answer's head vote for the attestation-data strategies (Vouch
 * strategies/attestationdata: a block root → slot cache filled from every node's head events,
 * else GET /eth/v1/beacon/headers/{root} on the node that answered). A lookup starts the moment
 * an answer arrives, not after collection ended, and the choice waits for it only until its
 * deadline: what is known then counts (a later answer still fills the cache).
 */
import type { BeaconNode, HeadNotice } from "../../core/beacon.js";
import type { Clock } from "../../util/clock.js";
import { toHex } from "../../util/hex.js";
import type { DataAnswer } from "./attestation-majority.js";

/** Head block roots → slot kept (bounded, oldest dropped first). */
const HEAD_CACHE = 256;

/**
 * A node as the head-slot cache sees it: its name, its beacon (head events) and its lookup.
 *
 * @example
 * const n: HeadSlotNode = { name: "a:5052", beacon, blockSlot: async () => 9 };
 */
export type HeadSlotNode = {
  name: string;
  beacon: BeaconNode;
  blockSlot?: ((root: Uint8Array) => Promise<number | undefined>) | undefined;
};

/**
 * The block root → slot cache of one strategy beacon, with its lookups.
 *
 * @example
 * const hs = new HeadSlots(nodes, systemClock);
 * hs.follow();
 * hs.prefetch("a:5052", data.beaconBlockRoot);
 * const answers = await hs.resolve(collected, deadline, key);
 */
export class HeadSlots {
  private readonly slots = new Map<string, number>();
  private readonly lookups = new Map<string, Promise<void>>();
  private stops: (() => void)[] | undefined;
  private stopped = false;

  constructor(
    private readonly nodes: readonly HeadSlotNode[],
    private readonly clock: Clock,
  ) {}

  /** Note a head event (any node's). */
  remember(h: HeadNotice): void {
    this.slots.set(toHex(h.block), h.slot);
    if (this.slots.size > HEAD_CACHE) this.slots.delete(this.slots.keys().next().value as string);
  }

  /** The slot of `root` if known. */
  slotOf(root: Uint8Array): number | undefined {
    return this.slots.get(toHex(root));
  }

  /** Follow every node's head events from now on (idempotent; nothing after stop()). */
  follow(): void {
    if (this.stops || this.stopped) return;
    this.stops = this.nodes.flatMap((n) =>
      n.beacon.subscribeHead ? [n.beacon.subscribeHead((h) => this.remember(h))] : [],
    );
  }

  /** Close the head-event streams (idempotent). */
  stop(): void {
    this.stopped = true;
    for (const s of this.stops ?? []) s();
    this.stops = undefined;
  }

  /** Start looking `root` up on `node` unless its slot is known or a lookup is under way. */
  prefetch(node: string, root: Uint8Array): void {
    const k = toHex(root);
    const n = this.nodes.find((x) => x.name === node);
    if (this.slots.has(k) || this.lookups.has(k) || !n?.blockSlot) return;
    const p = n.blockSlot(root).then(
      (s) => {
        if (s !== undefined) this.remember({ slot: s, block: root });
      },
      () => {},
    );
    this.lookups.set(k, p);
    void p.finally(() => this.lookups.delete(k));
  }

  /**
   * The answers with their head slots: the cache's, after waiting for their lookups (started by
   * {@link prefetch}, or now) until `deadline` (clock ms) at the latest.
   */
  async resolve(
    answers: readonly { node: string; value: DataAnswer["data"] }[],
    deadline: number,
    key: (d: DataAnswer["data"]) => string,
  ): Promise<DataAnswer[]> {
    for (const a of answers) this.prefetch(a.node, a.value.beaconBlockRoot);
    const pending = answers.flatMap((a) => {
      const p = this.lookups.get(toHex(a.value.beaconBlockRoot));
      return p ? [p] : [];
    });
    const left = deadline - this.clock.now();
    if (pending.length && left > 0) {
      let cancel = (): void => {};
      await Promise.race([
        Promise.all(pending),
        new Promise<void>((r) => {
          cancel = this.clock.setTimeout(r, left);
        }),
      ]);
      cancel();
    }
    return answers.map((a) => ({
      node: a.node,
      data: a.value,
      root: key(a.value),
      headSlot: this.slotOf(a.value.beaconBlockRoot),
    }));
  }
}
