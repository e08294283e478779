/**
 * Cluster succession in the operator node (issue 16, the cut-over of `rpdvt cluster
 * replace-operator`, src/keysplit/replace.ts): a cluster definition with `previous: {hash,
 * activationEpoch E}` signs from slot E·SLOTS_PER_EPOCH; its predecessor until then
 * (src/core/signer/window.ts, the signer's gates: the ONE signing place, before slashing
 * protection).
 *
 * A staying operator runs `node run --cluster <new folder> --previous-cluster <old folder>`: ONE
 * process, ONE slashing-protection DB (its history stays with it), two DV nodes — the old cluster
 * on its old endpoint, refusing slot ≥ E·32, and the new cluster on its new endpoint, refusing
 * slot < E·32. Both run side by side from the start, so the new cluster's p2p links, duties and
 * consensus are up before E and the first slot of E is not missed; the old node is stopped one
 * epoch after E (its last duties, the aggregates of slot E·32 − 1, are done by then).
 *
 * Doppelganger exemption (argued here, applied by {@link successorDoppelgangerEpochs}): the new
 * cluster's node would watch the validators' liveness for `epochs` epochs before signing, and
 * before E it would see them live — produced by the predecessor, not by its own peers (whose
 * partials it never sees before E: the new cluster refuses every slot < E·32), so the DV twist of
 * core/signer/doppelganger.ts would call that a doppelganger and block the new cluster for good,
 * or at best keep it from signing for the first `epochs` epochs after E. That liveness is
 * expected by construction: the predecessor is a threshold signer of the same key, named by hash in
 * this definition, and every one of its honest nodes stops at E. So a successor started BEFORE E
 * does not watch (0 epochs): its window opens exactly when the predecessor's closes. Started at or
 * after E (a restart), it watches as usual, and the DV twist recognises its own cluster's partials.
 * What the exemption does not cover — the full key signing elsewhere — is the predecessor's own
 * doppelganger check at its start and the key guard (issue 16 part 2), which run unchanged.
 */
import { resolve } from "node:path";
import type { BeaconChainInfo, BeaconClient } from "../beacon/index.js";
import { currentEpoch } from "../core/beacon.js";
import { MAX_MESSAGE_SIZE } from "../core/consensus/codec.js";
import { secp256k1Signer, secp256k1Verifier } from "../core/consensus/signer.js";
import type { SigningGate } from "../core/interfaces.js";
import { createDvNode, type DvNode } from "../core/node.js";
import { type SigningWindow, signingWindowGate, signingWindowOf } from "../core/signer/window.js";
import { systemClock } from "../core/transport.js";
import { InputError } from "../errors.js";
import { type ClusterDefinition, loadOperator } from "../keysplit/cluster.js";
import type { SlashingProtectionDb } from "../slashing/db.js";
import { dutyLogFields, errorMessage, type NodeLog } from "./log.js";
import { clusterMember, startMemberTransport } from "./peers.js";
import type { UndoStack } from "./undo.js";

/**
 * The signing-window gate of a cluster that succeeds another (none for a first cluster).
 *
 * @example
 * const gates = successorGates(def, 32); // [gate refusing slot < previous.activationEpoch * 32]
 */
export function successorGates(def: ClusterDefinition, slotsPerEpoch: number): SigningGate[] {
  const window = successorWindow(def, slotsPerEpoch);
  return window ? [signingWindowGate(window)] : [];
}

/**
 * The slots a successor cluster works on (createDvNode `dutyWindow`): from its activation epoch;
 * undefined for a first cluster. Before E its node keeps its links and duties warm but starts no
 * duty, so a process running both clusters fetches, decides and signs each duty once.
 *
 * @example
 * successorWindow(def, 32); // { fromSlot: def.previous.activationEpoch * 32, predecessor: … }
 */
export function successorWindow(
  def: ClusterDefinition,
  slotsPerEpoch: number,
): SigningWindow | undefined {
  return def.previous ? signingWindowOf(slotsPerEpoch, def.previous, undefined) : undefined;
}

/**
 * Doppelganger epochs of a cluster's node: 0 for a successor started before its activation epoch
 * (the liveness it would see is its predecessor's: see the module header), else `epochs`.
 *
 * @example
 * successorDoppelgangerEpochs(def, 100, 2); // 0 when def.previous.activationEpoch > 100
 */
export function successorDoppelgangerEpochs(
  def: ClusterDefinition,
  epochNow: number,
  epochs: number,
): number {
  return def.previous && epochNow < def.previous.activationEpoch ? 0 : epochs;
}

/**
 * What {@link startPredecessor} needs from `node run`.
 *
 * @example
 * const p: PredecessorParts = { previousClusterDir, identityFile, successor: def, beacon, chain, slashingDb, started, log, doppelgangerEpochs: 2 };
 */
export type PredecessorParts = {
  previousClusterDir: string;
  identityFile: string;
  passwordFile?: string | undefined;
  /** The new cluster's definition (its `previous` must name the old one). */
  successor: ClusterDefinition;
  /** The new cluster's listen address (the old one must listen elsewhere). */
  successorListen: string;
  beacon: BeaconClient;
  chain: BeaconChainInfo;
  slashingDb: SlashingProtectionDb;
  started: UndoStack;
  log: NodeLog;
  doppelgangerEpochs: number;
  /** The node's other gates (the key guard), applied to the old cluster too. */
  gates?: readonly SigningGate[] | undefined;
};

/** The old operator folder, checked against the successor's `previous`. */
async function loadPredecessor(p: PredecessorParts) {
  const dir = resolve(p.previousClusterDir);
  const { previous } = p.successor;
  if (!previous) {
    throw new InputError("--previous-cluster given, but the cluster names no predecessor", {
      field: "--previous-cluster",
      metaMessages: [
        "--cluster must be a folder written by `rpdvt cluster replace-operator` (its cluster.json has `previous`).",
      ],
    });
  }
  const op = await loadOperator(dir, p.passwordFile, { quiet: true });
  if (op.definition.hash !== previous.hash) {
    for (const s of op.shares.values()) s.fill(0);
    throw new InputError("--previous-cluster is not the cluster the new one succeeds", {
      file: dir,
      field: "--previous-cluster",
      details: `its hash ${op.definition.hash}; the new cluster's previous.hash ${previous.hash}`,
    });
  }
  return op;
}

/**
 * Start the predecessor cluster's DV node in this process (same beacon client, same slashing DB)
 * until the successor's activation epoch: it refuses every slot ≥ E·SLOTS_PER_EPOCH and is stopped
 * one epoch after E. Everything started is pushed on `started`.
 *
 * @example
 * await startPredecessor({ previousClusterDir: "old/operator-1", identityFile: "id.json", successor: def, successorListen: "0.0.0.0:9101", beacon, chain, slashingDb, started, log, doppelgangerEpochs: 2 });
 */
export async function startPredecessor(p: PredecessorParts): Promise<void> {
  const op = await loadPredecessor(p);
  const E = (p.successor.previous as { activationEpoch: number }).activationEpoch;
  if (currentEpoch(p.chain, Date.now()) > E) {
    for (const s of op.shares.values()) s.fill(0);
    p.log("previous-cluster", {
      hash: op.definition.hash,
      activationEpoch: E,
      action: "skipped: its window is over",
    });
    return;
  }
  const { transport, identity, peers, listen } = await predecessorTransport(p, op);
  const window = signingWindowOf(p.chain.slotsPerEpoch, undefined, {
    hash: p.successor.hash,
    activationEpoch: E,
  });
  const dv = createDvNode({
    cluster: op.definition,
    operatorId: op.operatorId,
    shares: op.shares,
    transport: { consensus: transport, parsigex: transport.channel("parsigex") },
    clock: systemClock,
    beacon: p.beacon,
    slashingDb: p.slashingDb,
    identity: {
      signer: secp256k1Signer(identity.secretKey),
      verifier: secp256k1Verifier(peers.map((x) => x.publicKey)),
    },
    options: {
      doppelgangerEpochs: p.doppelgangerEpochs,
      qbft: { peerConnected: (i) => transport.connectedPeers().includes(i) },
      onError: (what, err) =>
        p.log("error", { cluster: "previous", what, message: errorMessage(err) }),
      signingGates: [...(p.gates ?? []), signingWindowGate(window)],
      dutyWindow: window,
    },
  });
  logPredecessorDuties(dv, p.log);
  await runUntilRetired(p, dv, transport, E);
  p.log("previous-cluster", {
    hash: op.definition.hash,
    operatorId: op.operatorId,
    listen,
    activationEpoch: E,
    until: `slot ${window.untilSlot}`,
  });
}

/** The old cluster's p2p transport on the old endpoint (never the new cluster's). */
async function predecessorTransport(
  p: PredecessorParts,
  op: Awaited<ReturnType<typeof loadPredecessor>>,
) {
  const m = await clusterMember(op.definition, op.operatorId, p.identityFile, undefined);
  if (m.listen === p.successorListen) {
    throw new InputError(`The old and the new cluster would both listen on ${m.listen}`, {
      field: "--previous-cluster",
      metaMessages: [
        "Both run in this process until the activation epoch: the new cluster needs its own port",
        "(rpdvt cluster replace-operator --endpoints, or --listen for the new cluster).",
      ],
    });
  }
  const what = "previous cluster's p2p transport";
  const transport = await startMemberTransport(m, MAX_MESSAGE_SIZE, p.started, what);
  const { identity, peers, listen } = m;
  return { transport, identity, peers, listen };
}

/** One log line per finished duty of the old cluster, tagged `cluster: "previous"`. */
function logPredecessorDuties(dv: DvNode, log: NodeLog): void {
  dv.tracker.onReport((r) => log("duty", { cluster: "previous", ...dutyLogFields(r) }));
}

/** Start the old node; stop it (and its transport) one epoch after E, or with the process. */
async function runUntilRetired(
  p: PredecessorParts,
  dv: DvNode,
  transport: { stop(): Promise<void> },
  E: number,
): Promise<void> {
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    dv.stop();
    dv.tracker.flush();
  };
  p.started.push("previous cluster's DV node", stop);
  await dv.start();
  // Retire it one epoch after E: every duty of slot < E·32 (aggregates included) is over.
  const { genesisTime, slotsPerEpoch, secondsPerSlot } = p.chain;
  const retireMs = (genesisTime + (E + 1) * slotsPerEpoch * secondsPerSlot) * 1000 - Date.now();
  const timer = setTimeout(
    () => {
      stop();
      void transport.stop();
      p.log("previous-cluster", { action: "retired", epoch: E + 1 });
    },
    Math.max(0, retireMs),
  );
  timer.unref();
  p.started.push("previous cluster's retirement timer", () => clearTimeout(timer));
}
