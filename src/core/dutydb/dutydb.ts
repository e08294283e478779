/**
 * The duty database (Charon core/dutydb, in memory): decided unsigned data keyed by duty and
 * validator public key. It is write-once per (duty, pubkey): storing a second, different value
 * for the same key is refused (the first decision stands) — the in-memory guard in front of the
 * on-disk slashing protection. Old duties are garbage-collected by slot.
 */

import { bytesEqual } from "../../util/hex.js";
import { encodeUnsignedSet } from "../codec.js";
import {
  type Duty,
  dutyKey,
  type PubkeyHex,
  type UnsignedData,
  type UnsignedDataSet,
} from "../types.js";

/**
 * What {@link DutyDb.store} did: entries stored now, entries identical to what was stored
 * (idempotent), and entries refused because a different value is already stored.
 *
 * @example
 * const { stored, conflicts } = dutydb.store(duty, set);
 */
export type StoreResult = { stored: PubkeyHex[]; repeated: PubkeyHex[]; conflicts: PubkeyHex[] };

/**
 * The duty database. See the module header.
 *
 * @example
 * const db = createDutyDb();
 * db.store({ slot: 5, type: DutyType.Attester }, set);
 * db.get({ slot: 5, type: DutyType.Attester }, pubkey);
 */
export interface DutyDb {
  store(duty: Duty, set: UnsignedDataSet): StoreResult;
  get(duty: Duty, pubkey: PubkeyHex): UnsignedData | undefined;
  /** All stored entries of a duty. */
  all(duty: Duty): UnsignedDataSet;
  /** Drop every duty with slot < `minSlot`. */
  prune(minSlot: number): void;
}

const canon = (u: UnsignedData, pk: PubkeyHex): Uint8Array => encodeUnsignedSet(new Map([[pk, u]]));

/**
 * Create an empty duty database.
 *
 * @example
 * const dutydb = createDutyDb();
 */
export function createDutyDb(): DutyDb {
  const duties = new Map<
    string,
    { slot: number; set: Map<PubkeyHex, { u: UnsignedData; bytes: Uint8Array }> }
  >();
  return {
    store(duty, set) {
      const k = dutyKey(duty);
      let entry = duties.get(k);
      if (!entry) {
        entry = { slot: duty.slot, set: new Map() };
        duties.set(k, entry);
      }
      const out: StoreResult = { stored: [], repeated: [], conflicts: [] };
      for (const [pk, u] of set) {
        const bytes = canon(u, pk);
        const prev = entry.set.get(pk);
        if (!prev) {
          entry.set.set(pk, { u, bytes });
          out.stored.push(pk);
        } else if (bytesEqual(prev.bytes, bytes)) {
          out.repeated.push(pk);
        } else {
          out.conflicts.push(pk);
        }
      }
      return out;
    },
    get: (duty, pk) => duties.get(dutyKey(duty))?.set.get(pk)?.u,
    all(duty) {
      const out: UnsignedDataSet = new Map();
      for (const [pk, e] of duties.get(dutyKey(duty))?.set ?? []) out.set(pk, e.u);
      return out;
    },
    prune(minSlot) {
      for (const [k, e] of duties) if (e.slot < minSlot) duties.delete(k);
    },
  };
}
