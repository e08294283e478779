/**
 * The operator node process (`rpdvt node run`, src/cli/node.ts parses its flags): the composition
 * root that assembles this operator's DV node (Charon app/app.go). It loads the share keystores
 * (decrypted once, kept in memory only), the p2p identity and the slashing-protection DB,
 * connects to the other operators over libp2p (cluster members only) and to the beacon node(s),
 * and runs src/core/node.ts with metrics, /status and the dashboard (./http.ts).
 *
 * Start order: the HTTP port is bound first (a port in use fails before any key is decrypted),
 * then keys and identity, beacon (its preset checked), DB, p2p, node. If any step fails,
 * everything started so far is stopped in reverse order (./undo.ts: the DB lock is released), and
 * the error names what to fix.
 */
import { resolve } from "node:path";
import { SLOTS_PER_EPOCH } from "@lodestar/params";
import { type BeaconChainInfo, type BeaconClient, createBeaconClient } from "../beacon/index.js";
import {
  type BeaconStrategies,
  isStrategyBeacon,
  operatorBeacon,
  registerStrategyMetrics,
} from "../beacon/strategy/index.js";
import { currentEpoch } from "../core/beacon.js";
import { MAX_MESSAGE_SIZE } from "../core/consensus/codec.js";
import { secp256k1Signer, secp256k1Verifier } from "../core/consensus/signer.js";
import { registerPeerRtt } from "../core/metrics.js";
import { createDvNode, type DvNode } from "../core/node.js";
import { systemClock } from "../core/transport.js";
import { createDashboard, type Dashboard } from "../dashboard/handler.js";
import { nodeDashboardSource } from "../dashboard/node-source.js";
import { InputError } from "../errors.js";
import { loadOperator } from "../keysplit/cluster.js";
import { readPasswordFile } from "../keysplit/format-io.js";
import type { KeySource } from "../ops/guard/smartnode.js";
import { type PeerInfoService, startPeerInfo } from "../p2p/peerinfo.js";
import type { P2PTransport } from "../p2p/transport.js";
import { SlashingProtectionDb } from "../slashing/db.js";
import { type NodeKeyGuard, nodeKeyGuard } from "./guard.js";
import { bindNodeHttp, nodeHttpRoutes, nodeStatus } from "./http.js";
import { createNodeLog, dutyLogFields, errorMessage, type NodeLog } from "./log.js";
import { type ClusterMember, clusterMember, startMemberTransport } from "./peers.js";
import {
  startPredecessor,
  successorDoppelgangerEpochs,
  successorGates,
  successorWindow,
} from "./succession.js";
import { createUndoStack, type UndoStack } from "./undo.js";

/** Beacon API timeout of the node's client (duties are fitted to the slot by the client). */
const BEACON_TIMEOUT_MS = 4_000;
/** A head event stream silent this long is re-opened (5 mainnet slots without a block). */
const BEACON_EVENTS_IDLE_MS = 60_000;

/**
 * What the node runs with (the CLI's flags, checked).
 *
 * @example
 * const o: OperatorNodeOptions = { clusterDir: "cluster/operator-1", identityFile: "id.json", dataDir: "data", beaconUrls: ["http://127.0.0.1:5052"], doppelgangerEpochs: 2 };
 */
export type OperatorNodeOptions = {
  /** This operator's folder of the cluster output (cluster.json, keystores, password.txt). */
  clusterDir: string;
  identityFile: string;
  dataDir: string;
  beaconUrls: string[];
  listen?: string | undefined;
  passwordFile?: string | undefined;
  /** Serve /metrics and /status (and the dashboard) on 127.0.0.1:port. */
  metricsPort?: number | undefined;
  doppelgangerEpochs: number;
  dashboard?: boolean | undefined;
  /** Token of the dashboard's POSTs (exits) and large planner queries. */
  dashboardToken?: string | undefined;
  quiet?: boolean | undefined;
  /** Start the attester duty on the beacon node's head event (`--attest-on-head`). */
  attestOnHead?: boolean | undefined;
  /**
   * MEV-Boost: builder registrations (`--builder-registrations`, `--builder-gas-limit`) and
   * blinded proposals (`--builder-boost-factor`, `--min-bid-wei`; src/core/node.ts `builder`).
   */
  builder?:
    | {
        registrations: boolean;
        gasLimit?: number | undefined;
        boostFactor?: bigint | undefined;
        minBidWei?: bigint | undefined;
      }
    | undefined;
  /** Strategy per request kind over several `beaconUrls` (`--beacon-strategy`; default majority/best). */
  beaconStrategy?: BeaconStrategies | undefined;
  /**
   * This operator's folder of the cluster `clusterDir` succeeds (`rpdvt cluster replace-operator`):
   * run it in this process, on the same slashing DB, until the activation epoch (./succession.ts).
   */
  previousClusterDir?: string | undefined;
  /** The key guard's sources (src/ops/guard/flags.ts guardSources); none: no guard. */
  keyGuard?: readonly KeySource[] | undefined;
};

/**
 * A running operator node.
 *
 * @example
 * const { stop, metricsPort } = await startOperatorNode(opts);
 */
export type RunningNode = { stop: () => Promise<void>; metricsPort?: number | undefined };

/** This operator's keys and place in the cluster. */
type Member = ClusterMember & { op: Awaited<ReturnType<typeof loadOperator>> };

/**
 * Start one DV operator node; resolves once it runs. On any failure while starting, what was
 * started is stopped again (DB lock released) before the error is thrown.
 *
 * @example
 * const { stop } = await startOperatorNode({ clusterDir: "squad/operator-1", identityFile: "id.json", dataDir: "d", beaconUrls: ["http://127.0.0.1:5052"], doppelgangerEpochs: 2 });
 */
export async function startOperatorNode(o: OperatorNodeOptions): Promise<RunningNode> {
  const log = createNodeLog(o.quiet);
  const started = createUndoStack(log);
  try {
    // Bound first; until the node runs, every request is answered 503.
    const http = o.metricsPort === undefined ? undefined : await bindNodeHttp(o.metricsPort, log);
    if (http) started.push("http server", () => http.close());
    const member = await loadMember(o);
    const { beacon, chain } = await connectBeacon(o.beaconUrls);
    const node = await startNodeParts(o, member, beacon, chain, started, log);
    http?.serve(
      nodeHttpRoutes({
        registry: node.dv.metrics.registry,
        status: () =>
          nodeStatus(node.dv, node.transport, member.op.operatorId, node.keyGuard?.guard()),
        dashboard: node.dashboard,
      }),
    );
    log("started", {
      operatorId: member.op.operatorId,
      peerId: node.transport.peerId,
      listen: node.transport.addresses(),
      validators: member.op.shares.size,
      metrics: http ? `http://127.0.0.1:${http.port}/metrics` : undefined,
      dashboard: node.dashboard && http ? `http://127.0.0.1:${http.port}/` : undefined,
    });
    return { metricsPort: http?.port, stop: stopOnce(started, log, member.op.operatorId) };
  } catch (err) {
    await started.undoAll();
    throw err;
  }
}

/** stop(): undo everything once, then log it. */
function stopOnce(started: UndoStack, log: NodeLog, operatorId: number): () => Promise<void> {
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    await started.undoAll();
    log("stopped", { operatorId });
  };
}

/** Share keystores, identity, and this operator's place in the cluster. */
async function loadMember(o: OperatorNodeOptions): Promise<Member> {
  const password = o.passwordFile ? await readPasswordFile(o.passwordFile) : undefined;
  const op = await loadOperator(resolve(o.clusterDir), password, { quiet: true });
  const m = await clusterMember(op.definition, op.operatorId, o.identityFile, o.listen);
  return { op, ...m };
}

/** The beacon client and its chain, whose preset must be this process's. */
async function connectBeacon(
  urls: string[],
): Promise<{ beacon: BeaconClient; chain: BeaconChainInfo }> {
  const beacon = createBeaconClient(urls, { timeoutMs: BEACON_TIMEOUT_MS });
  const chain = await beacon.chainInfo();
  if (chain.slotsPerEpoch !== SLOTS_PER_EPOCH) {
    throw new InputError(
      `The beacon node runs ${chain.slotsPerEpoch} slots per epoch, this process's consensus preset ${SLOTS_PER_EPOCH}`,
      {
        metaMessages: [
          process.env.LODESTAR_PRESET
            ? `LODESTAR_PRESET=${process.env.LODESTAR_PRESET} is set in this environment: remove it (rpdvt reads the preset from the beacon node).`
            : "rpdvt reads the preset from the first --beacon-url when it starts and could not: check that this beacon node is up and reachable, then start again.",
        ],
      },
    );
  }
  return { beacon, chain };
}

/** DB, p2p, the DV node, peer info and the dashboard, each pushed on `started`; the node runs. */
async function startNodeParts(
  o: OperatorNodeOptions,
  m: Member,
  beacon: BeaconClient,
  chain: BeaconChainInfo,
  started: UndoStack,
  log: NodeLog,
): Promise<{
  dv: DvNode;
  transport: P2PTransport;
  dashboard: Dashboard | undefined;
  keyGuard: NodeKeyGuard | undefined;
}> {
  // The DB is bound to the chain (genesis_validators_root) on first use and refuses another
  // one; held exclusively: the node's consensus view of it assumes no other writer (a second
  // node on this data dir, or an import while running, is refused with the holder's PID).
  const slashingDb = SlashingProtectionDb.open(resolve(o.dataDir), {
    genesisValidatorsRoot: chain.genesisValidatorsRoot,
    exclusive: true,
  });
  started.push("slashing-protection DB", () => slashingDb.close());
  const transport = await startMemberTransport(m, MAX_MESSAGE_SIZE, started, "p2p transport");
  const keyGuard = o.keyGuard?.length
    ? nodeKeyGuard(
        o.keyGuard,
        m.op.definition.validators.map((v) => v.pubkey),
        log,
      )
    : undefined;
  const epochNow = currentEpoch(chain, Date.now());
  const dgEpochs = successorDoppelgangerEpochs(m.op.definition, epochNow, o.doppelgangerEpochs);
  const dv = createNode(
    { ...o, doppelgangerEpochs: dgEpochs },
    m,
    { beacon, slashingDb, transport, keyGuard, started },
    log,
  );
  logDutiesAndPeers(dv, transport, log);
  // Version and RTT for the operators' dashboards; answered with or without --dashboard.
  const peerInfo = startPeerInfo(transport);
  started.push("peer info", () => peerInfo.stop());
  registerPeerRtt(
    dv.metrics.registry,
    m.op.definition.operators.flatMap((_, i) => (i === transport.self ? [] : [i])),
    (i) => peerInfo.get(i)?.rttMs,
  );
  const dashboard = o.dashboard
    ? createNodeDashboard(dv, transport, m, { beacon, chain, peerInfo, keyGuard }, o.dashboardToken)
    : undefined;
  if (dashboard) started.push("dashboard", () => dashboard.close());
  if (keyGuard) {
    await keyGuard.start(dv, chain);
    started.push("key guard", () => keyGuard.stop());
  }
  if (o.previousClusterDir) {
    await startPredecessor({
      previousClusterDir: o.previousClusterDir,
      identityFile: o.identityFile,
      successor: m.op.definition,
      successorListen: m.listen,
      beacon,
      chain,
      slashingDb,
      started,
      log,
      doppelgangerEpochs: o.doppelgangerEpochs,
      gates: keyGuard ? [keyGuard.gate] : [],
    });
  }
  started.push("DV node", () => {
    dv.stop();
    dv.tracker.flush();
  });
  await dv.start();
  return { dv, transport, dashboard, keyGuard };
}

/** The core DV node over this operator's shares, transport, beacon and DB. */
function createNode(
  o: OperatorNodeOptions,
  m: Member,
  parts: {
    beacon: BeaconClient;
    slashingDb: SlashingProtectionDb;
    transport: P2PTransport;
    keyGuard: NodeKeyGuard | undefined;
    started: UndoStack;
  },
  log: NodeLog,
): DvNode {
  const { transport } = parts;
  // Several --beacon-url or --attest-on-head: one client per node under a per-duty strategy.
  const beacon = operatorBeacon(parts.beacon, {
    urls: o.beaconUrls,
    strategies: o.beaconStrategy,
    attestOnHead: o.attestOnHead,
    timeoutMs: BEACON_TIMEOUT_MS,
    eventIdleTimeoutMs: BEACON_EVENTS_IDLE_MS,
    onEventError: (node, message) => log("beacon-events", { node, message }),
  });
  const dv = createDvNode({
    cluster: m.op.definition,
    operatorId: m.op.operatorId,
    shares: m.op.shares,
    transport: { consensus: transport, parsigex: transport.channel("parsigex") },
    clock: systemClock,
    beacon,
    slashingDb: parts.slashingDb,
    identity: {
      signer: secp256k1Signer(m.identity.secretKey),
      verifier: secp256k1Verifier(m.peers.map((p) => p.publicKey)),
    },
    options: {
      doppelgangerEpochs: o.doppelgangerEpochs,
      attestOnHead: o.attestOnHead,
      builder: o.builder,
      signingGates: [
        ...(parts.keyGuard ? [parts.keyGuard.gate] : []),
        ...successorGates(m.op.definition, SLOTS_PER_EPOCH),
      ],
      dutyWindow: successorWindow(m.op.definition, SLOTS_PER_EPOCH),
      qbft: { peerConnected: (i) => transport.connectedPeers().includes(i) },
      onError: (what, err) => log("error", { what, message: errorMessage(err) }),
      // Life cycle: queued validators are picked up when they activate, exited ones dropped.
      onValidator: (ch) =>
        log("validator", {
          validator: ch.pubkey.slice(0, 12),
          index: ch.info?.index,
          status: ch.info?.status ?? "unknown",
          state: ch.state,
          from: ch.from,
          epoch: ch.epoch,
          action:
            ch.state === "exited"
              ? "dropped"
              : ch.state === "active" || ch.state === "exiting"
                ? "duties after its doppelganger watch"
                : "waiting for activation",
        }),
    },
  });
  if (isStrategyBeacon(beacon)) {
    registerStrategyMetrics(dv.metrics.registry, beacon);
    parts.started.push("beacon head events", () => beacon.stop());
  }
  return dv;
}

/** One log line per finished duty and per peer (dis)connection. */
function logDutiesAndPeers(dv: DvNode, transport: P2PTransport, log: NodeLog): void {
  dv.tracker.onReport((r) => log("duty", { ...dutyLogFields(r), latencyMs: r.latencyMs }));
  transport.onPeerChange((e) =>
    log(e.connected ? "peer-connected" : "peer-disconnected", { operatorIndex: e.index }),
  );
}

/** The web dashboard over this node (src/dashboard). */
function createNodeDashboard(
  dv: DvNode,
  transport: P2PTransport,
  m: Member,
  ctx: {
    beacon: BeaconClient;
    chain: BeaconChainInfo;
    peerInfo: PeerInfoService;
    keyGuard: NodeKeyGuard | undefined;
  },
  token: string | undefined,
): Dashboard {
  return createDashboard({
    source: nodeDashboardSource(dv, transport, m.op.definition, m.op.operatorId, {
      currentEpoch: () => currentEpoch(ctx.chain, Date.now()),
      beacon: ctx.beacon,
      peerInfo: ctx.peerInfo,
      keyExposed: ctx.keyGuard && (() => ctx.keyGuard?.guard()?.exposed() ?? []),
    }),
    token,
  });
}
