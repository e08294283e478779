/**
 * The continuous key guard (issue 16 part 2: "the key must never sign twice"). The only mass DV
 * slashings so far came from the original validator key signing outside the cluster; Smartnode
 * commands recreate its keystores (`rocketpool wallet rebuild`, `wallet recover` without `-k`,
 * `minipool import-key`, a restored backup). At every slot start, on a change in a watched
 * Smartnode folder, and once at start (./schedule.ts), the guard looks in its sources
 * (./smartnode.ts: the Smartnode data folder's client layouts; ./keymanager.ts: the
 * keys a VC has loaded) for the cluster's validators. Per validator:
 *
 *   clear ──found──▶ exposed ──gone (one look finds it nowhere, every source answered)──▶ releasing
 *     ▲                 ▲                                                                   │
 *     │                 └─────────────────────────────found again──────────────────────────┤
 *     └─────────────── doppelganger watch of the epochs after removal shows no other signer ┘
 *
 * While exposed or releasing, {@link KeyGuard.gate} (a core SigningGate, src/core/interfaces.ts,
 * run by the signer after doppelganger protection and before slashing protection) refuses the
 * validator's every duty with reason "key-exposed"; the others are untouched. On firing the guard
 * logs DANGER (where it was found: relative paths / URL, never a secret), sets
 * `rpdvt_validator_key_exposed{validator}` to 1, and re-arms doppelganger protection for the
 * validator ("the doppelganger check at start also runs when the guard fires"); once the key is
 * gone it re-arms it again from the next whole epoch, and releases the validator only when that
 * watch finished without seeing another signer (src/core/signer/doppelganger.ts; a detection
 * there keeps the validator refused until the operator restarts the node). A source that failed
 * to answer never releases anything.
 *
 * The guard stops THIS operator's share. The cluster stops signing only when fewer than t
 * operators sign: run the guard on at least n − t + 1 nodes (docs/operations.md, "Key guard").
 */

import type { GateRefusal, SigningGate } from "../../core/interfaces.js";
import type { DoppelgangerStatus } from "../../core/signer/doppelganger.js";
import type { KeySource } from "./smartnode.js";

/**
 * What the guard needs from doppelganger protection (the node's: DvNode.rearmDoppelganger /
 * doppelgangerStatus).
 *
 * @example
 * const liveness: GuardLiveness = { rearm: (pk, e) => node.rearmDoppelganger(pk, e), status: (pk) => node.doppelgangerStatus(pk) };
 */
export type GuardLiveness = {
  /** Watch `pubkey`'s liveness afresh from `epoch` (no-op for an untracked validator). */
  rearm(pubkey: string, epoch: number): void;
  status(pubkey: string): DoppelgangerStatus;
};

/**
 * One validator's guard state.
 *
 * @example
 * const s: GuardState = "exposed";
 */
export type GuardState = "clear" | "exposed" | "releasing";

/**
 * A validator the guard refuses (for the dashboard and /status).
 *
 * @example
 * const e: ExposedKey = { pubkey: "0x93ab…", state: "exposed", where: ["validators/teku/keys/0x93ab….json"], sinceEpoch: 12 };
 */
export type ExposedKey = {
  /** 0x + lowercase hex. */
  pubkey: string;
  state: Exclude<GuardState, "clear">;
  /** Where it was last found (relative paths in the Smartnode folder, or the keymanager URL). */
  where: string[];
  /** Epoch the guard fired. */
  sinceEpoch: number;
};

/**
 * Options of {@link createKeyGuard}.
 *
 * @example
 * const o: KeyGuardOptions = { pubkeys, sources: [createSmartnodeSource(dir)], liveness, log };
 */
export type KeyGuardOptions = {
  /** The cluster's validators (0x-hex, any case). */
  pubkeys: readonly string[];
  sources: readonly KeySource[];
  liveness: GuardLiveness;
  /** `rpdvt_validator_key_exposed{validator}` (src/core/metrics.ts keyExposed). */
  gauge?: { set(labels: { validator: string }, value: number): void } | undefined;
  /** One structured log line (src/app/log.ts NodeLog); never given a secret. */
  log: (event: string, fields: Record<string, unknown>) => void;
};

/**
 * What one look did.
 *
 * @example
 * const r: GuardCheck = { epoch: 12, fired: ["0x93ab…"], gone: [], released: [], warnings: [], ms: 3.1 };
 */
export type GuardCheck = {
  epoch: number;
  fired: string[];
  gone: string[];
  released: string[];
  warnings: string[];
  /** Wall time of the look (all sources), milliseconds. */
  ms: number;
};

/**
 * The key guard.
 *
 * @example
 * const guard = createKeyGuard(opts);
 * createDvNode({ ...o, options: { signingGates: [guard.gate] } });
 * await guard.check(currentEpoch);
 */
export interface KeyGuard {
  /** The signing gate: "key-exposed" while a validator is exposed or releasing. */
  readonly gate: SigningGate;
  /** Look in every source once and move the validators' states (never throws). */
  check(epoch: number): Promise<GuardCheck>;
  state(pubkey: string): GuardState;
  /** Validators refused now. */
  exposed(): ExposedKey[];
}

type Entry = {
  state: Exclude<GuardState, "clear">;
  where: string[];
  sinceEpoch: number;
  /** The "another signer" DANGER was logged (once per release attempt). */
  warned?: boolean;
};

/** What the state machine works on (one per guard). */
type GuardCore = {
  o: KeyGuardOptions;
  /** Lowercase hex (no 0x) → 0x pubkey. */
  hexes: Map<string, string>;
  /** The set the sources are asked for. */
  want: ReadonlySet<string>;
  /** 0x pubkey → refusal. */
  entries: Map<string, Entry>;
};

/** The gate's refusal for a refused validator. */
function refusal(e: Entry): GateRefusal {
  return e.state === "exposed"
    ? {
        reason: "key-exposed",
        details: `validator key found outside the cluster (${e.where.join(", ")}) since epoch ${e.sinceEpoch}`,
      }
    : {
        reason: "key-exposed",
        details:
          "validator key gone again; waiting for the doppelganger watch to show no other signer",
      };
}

/** Ask every source at once; merge their findings (hex → where) and warnings. */
async function lookEverywhere(core: GuardCore) {
  const t0 = performance.now();
  const results = await Promise.all(core.o.sources.map((s) => s.find(core.want)));
  const ms = performance.now() - t0;
  const found = new Map<string, string[]>();
  const warnings: string[] = [];
  for (const r of results) {
    warnings.push(...r.warnings);
    for (const [hex, where] of r.found) found.set(hex, [...(found.get(hex) ?? []), ...where]);
  }
  return { found, warnings, ms };
}

/** A key found: refuse it at once (or just update where an exposed key was seen). */
function onFound(core: GuardCore, pk: string, where: string[], out: GuardCheck): void {
  const e = core.entries.get(pk);
  if (e?.state === "exposed") {
    e.where = where;
    return;
  }
  const epoch = out.epoch;
  core.entries.set(pk, { state: "exposed", where, sinceEpoch: epoch });
  core.o.gauge?.set({ validator: pk }, 1);
  core.o.liveness.rearm(pk, epoch);
  out.fired.push(pk);
  core.o.log("DANGER", {
    what: "validator key found outside the cluster: this operator stops signing for it",
    validator: pk,
    where,
    epoch,
    action:
      "Remove the keystore (rpdvt migrate quarantines it) and restart the Smartnode validator client; signing resumes once the key is gone and the doppelganger watch shows no other signer.",
  });
}

/** An exposed key found nowhere by a complete look: watch liveness from the next epoch. */
function onGone(core: GuardCore, pk: string, e: Entry, out: GuardCheck): void {
  e.state = "releasing";
  core.o.liveness.rearm(pk, out.epoch + 1);
  out.gone.push(pk);
  core.o.log("key-guard", {
    validator: pk,
    state: "releasing",
    epoch: out.epoch,
    action: `key gone; watching liveness from epoch ${out.epoch + 1} before signing again`,
  });
}

/** A releasing key: free it once the liveness watch is safe; DANGER (once) if it saw a signer. */
function onReleasing(core: GuardCore, pk: string, e: Entry, out: GuardCheck): void {
  const dg = core.o.liveness.status(pk);
  if (dg === "safe" || dg === "untracked") {
    core.entries.delete(pk);
    core.o.gauge?.set({ validator: pk }, 0);
    out.released.push(pk);
    core.o.log("key-guard", {
      validator: pk,
      state: "clear",
      epoch: out.epoch,
      action: "signing again",
    });
  } else if (dg === "detected" && !e.warned) {
    e.warned = true;
    core.o.log("DANGER", {
      what: "another signer was live for this validator after its key was removed",
      validator: pk,
      epoch: out.epoch,
      action:
        "Find and stop the other validator client, then restart this node (doppelganger protection refuses the validator until then).",
    });
  }
}

/** One look: move every validator's state (module header). */
async function look(core: GuardCore, epoch: number): Promise<GuardCheck> {
  const { found, warnings, ms } = await lookEverywhere(core);
  const out: GuardCheck = { epoch, fired: [], gone: [], released: [], warnings, ms };
  for (const [hex, where] of found) {
    const pk = core.hexes.get(hex);
    if (pk) onFound(core, pk, where, out);
  }
  const complete = warnings.length === 0; // a source that did not answer proves nothing gone
  for (const [pk, e] of core.entries) {
    if (found.has(pk.slice(2))) continue;
    if (e.state === "releasing") onReleasing(core, pk, e, out);
    else if (complete) onGone(core, pk, e, out);
  }
  if (warnings.length) core.o.log("key-guard-warning", { epoch, warnings });
  return out;
}

/**
 * Create the key guard (no timer: ./schedule.ts startKeyGuard runs it every slot and on a change
 * in the watched folders).
 *
 * @example
 * const guard = createKeyGuard({ pubkeys, sources, liveness, log, gauge: dv.metrics.keyExposed });
 */
export function createKeyGuard(o: KeyGuardOptions): KeyGuard {
  const hexes = new Map<string, string>();
  for (const pk of o.pubkeys) {
    const hex = pk.replace(/^0x/i, "").toLowerCase();
    hexes.set(hex, `0x${hex}`);
  }
  const core: GuardCore = { o, hexes, want: new Set(hexes.keys()), entries: new Map() };
  for (const pk of hexes.values()) o.gauge?.set({ validator: pk }, 0);
  let checking: Promise<GuardCheck> | undefined;
  return {
    gate: (pk) => {
      const e = core.entries.get(pk.toLowerCase());
      return e ? refusal(e) : undefined;
    },
    check(epoch) {
      // One look at a time: a slow disk never stacks scans.
      checking ??= look(core, epoch).finally(() => {
        checking = undefined;
      });
      return checking;
    },
    state: (pk) => core.entries.get(pk.toLowerCase())?.state ?? "clear",
    exposed: () =>
      [...core.entries].map(([pubkey, e]) => ({
        pubkey,
        state: e.state,
        where: [...e.where],
        sinceEpoch: e.sinceEpoch,
      })),
  };
}
