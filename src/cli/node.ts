/**
 * `rpdvt node run|identity`: the distributed-validator operator node. `run` loads this operator's
 * share keystores (decrypted once, kept in memory only), its p2p identity and slashing-protection
 * DB, connects to the other operators over libp2p (cluster members only) and to the beacon
 * node(s), and performs the cluster validators' duties until SIGINT/SIGTERM. Prometheus metrics
 * and a JSON status endpoint are served on 127.0.0.1 when `--metrics-port` is given, by the guarded
 * server of src/core/http-server.ts (loopback Host only, malformed requests answered 400).
 *
 * Start order: every flag is checked first (the dashboard token file is read), then the metrics
 * port is bound (a port in use fails before any key is decrypted), then keys, DB, p2p, node. If any
 * step fails, everything started so far is stopped in reverse order (the DB lock is released), and
 * the error names what to fix.
 */
import { resolve } from "node:path";
import { SLOTS_PER_EPOCH } from "@lodestar/params";
import { Command, InvalidArgumentError } from "commander";
import type { Registry } from "prom-client";
import { createBeaconClient } from "../beacon/index.js";
import { currentEpoch } from "../core/beacon.js";
import { MAX_MESSAGE_SIZE } from "../core/consensus/codec.js";
import { secp256k1Signer, secp256k1Verifier } from "../core/consensus/signer.js";
import {
  closeServer,
  createGuardedServer,
  type GuardedHandler,
  listenLoopback,
  sendError,
} from "../core/http-server.js";
import { registerPeerRtt } from "../core/metrics.js";
import { createDvNode, type DvNode } from "../core/node.js";
import { systemClock } from "../core/transport.js";
import { publicKeyFromIdentity } from "../crypto/secp256k1.js";
import { resolveDashboardToken } from "../dashboard/auth.js";
import { createDashboard, type Dashboard } from "../dashboard/handler.js";
import { nodeDashboardSource } from "../dashboard/node-source.js";
import { InputError } from "../errors.js";
import { loadOperator } from "../keysplit/cluster.js";
import { readPasswordFile } from "../keysplit/format-io.js";
import { loadIdentity } from "../p2p/identity.js";
import { startPeerInfo } from "../p2p/peerinfo.js";
import { createP2PTransport, type P2PTransport } from "../p2p/transport.js";
import { SlashingProtectionDb } from "../slashing/db.js";
import { nodeIdentityCommand } from "./node-identity.js";
import { runAction } from "./run.js";

type RunFlags = {
  cluster: string;
  identity: string;
  dataDir: string;
  beaconUrl: string[];
  listen?: string;
  passwordFile?: string;
  /** A port number (the CLI parses it with {@link parsePortOption}); a string is checked too. */
  metricsPort?: number | string;
  doppelgangerEpochs: string;
  dashboard?: boolean;
  dashboardToken?: string;
  dashboardTokenFile?: string;
  quiet?: boolean;
};

/**
 * Commander argParser of a TCP port flag: an integer 1..65535, else commander's clear "argument …
 * is invalid" error before anything starts.
 *
 * @example
 * new Command().option("--metrics-port <port>", "…", parsePortOption);
 * parsePortOption("9100"); // 9100
 */
export function parsePortOption(value: string): number {
  const v = value.trim();
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65_535)
    throw new InvalidArgumentError("expected a port number from 1 to 65535, e.g. 9100.");
  return Number(v);
}

function checkMetricsPort(port: number | string | undefined): number | undefined {
  if (port === undefined) return undefined;
  try {
    return typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65_535
      ? port
      : parsePortOption(String(port));
  } catch {
    throw new InputError(`--metrics-port must be a port number from 1 to 65535 (got "${port}")`, {
      field: "--metrics-port",
    });
  }
}

/** One JSON log line on stderr (never secrets). */
function logLine(
  quiet: boolean | undefined,
  event: string,
  fields: Record<string, unknown> = {},
): void {
  if (quiet) return;
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}

/**
 * Status document served at /status (and used by `rpdvt demo`): peers, duty summary, recent
 * failures.
 *
 * @example
 * const s = nodeStatus(node, transport);
 */
export function nodeStatus(node: DvNode, transport: P2PTransport, operatorId: number) {
  const reports = node.tracker.reports();
  return {
    operatorId,
    peerId: transport.peerId,
    connectedPeers: transport.connectedPeers(),
    summary: node.tracker.summary(),
    doppelgangers: node.doppelgangers(),
    recent: reports.slice(-50),
  };
}

/**
 * Routes of the node's HTTP server (mount on {@link createGuardedServer}): GET /metrics
 * (Prometheus text from `registry`), GET /status (JSON from `status()`), then the dashboard if
 * any; anything else 404.
 *
 * @example
 * const server = createGuardedServer(nodeHttpRoutes({ registry, status: () => nodeStatus(node, transport, 1) }));
 */
export function nodeHttpRoutes(opts: {
  registry: Registry;
  status: () => unknown;
  dashboard?: Dashboard | undefined;
}): GuardedHandler {
  return async (req, res, url) => {
    if (url.pathname === "/metrics" || url.pathname === "/status") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("allow", "GET, HEAD");
        sendError(res, 405, `${url.pathname} answers GET only`);
        return;
      }
      if (url.pathname === "/status") {
        const body = JSON.stringify(opts.status());
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(body);
        return;
      }
      const text = await opts.registry.metrics();
      res.writeHead(200, { "content-type": opts.registry.contentType });
      res.end(text);
      return;
    }
    if (!opts.dashboard?.handle(req, res, url)) sendError(res, 404, `No route ${url.pathname}`);
  };
}

/**
 * Start one DV operator node; resolves with a `stop` function once it is running. On any failure
 * while starting, what was started is stopped again (DB lock released) before the error is thrown.
 *
 * @example
 * const { stop } = await runNode({ cluster: "squad/operator-1", identity: "id.json", dataDir: "d", beaconUrl: ["http://127.0.0.1:5052"] });
 */
export async function runNode(
  flags: RunFlags,
): Promise<{ stop: () => Promise<void>; metricsPort?: number }> {
  if (flags.beaconUrl.length === 0) {
    throw new InputError("At least one --beacon-url is required", {
      field: "--beacon-url",
      metaMessages: ["Example: --beacon-url http://127.0.0.1:5052 (repeat for fallback nodes)."],
    });
  }
  const doppelgangerEpochs = Number(flags.doppelgangerEpochs);
  if (!Number.isInteger(doppelgangerEpochs) || doppelgangerEpochs < 0) {
    throw new InputError("--doppelganger-epochs must be a non-negative integer", {
      field: "--doppelganger-epochs",
    });
  }
  const metricsPort = checkMetricsPort(flags.metricsPort);
  if (flags.dashboard && metricsPort === undefined) {
    throw new InputError("--dashboard needs --metrics-port", { field: "--dashboard" });
  }
  const dashboardToken = await resolveDashboardToken({
    token: flags.dashboardToken,
    tokenFile: flags.dashboardTokenFile,
    env: process.env.RPDVT_DASHBOARD_TOKEN,
  });

  // Everything started is undone in reverse order on a failed start, and by stop().
  const started: { what: string; undo: () => void | Promise<void> }[] = [];
  const undoAll = async () => {
    for (const s of started.splice(0).reverse()) {
      try {
        await s.undo();
      } catch (err) {
        logLine(flags.quiet, "error", {
          what: `stop ${s.what}`,
          message: err instanceof Error ? err.message : String(err),
        });
      }
    }
  };
  try {
    // Bound first: a port in use fails before any key is decrypted or the DB is locked. Until the
    // node runs, every request is answered 503.
    let routes: GuardedHandler | undefined;
    const server =
      metricsPort === undefined
        ? undefined
        : createGuardedServer(
            (req, res, url) =>
              routes ? routes(req, res, url) : sendError(res, 503, "The node is starting"),
            {
              onError: (err) =>
                logLine(flags.quiet, "error", {
                  what: "http request",
                  message: err instanceof Error ? err.message : String(err),
                }),
            },
          );
    const boundPort =
      server && metricsPort !== undefined
        ? await listenLoopback(server, metricsPort, "--metrics-port")
        : undefined;
    if (server) started.push({ what: "http server", undo: () => closeServer(server) });

    const password = flags.passwordFile ? await readPasswordFile(flags.passwordFile) : undefined;
    const op = await loadOperator(resolve(flags.cluster), password, { quiet: true });
    const def = op.definition;
    const index = def.operators.findIndex((o) => o.id === op.operatorId);
    const identity = await loadIdentity(flags.identity);
    const peers = def.operators.map((o, i) => {
      if (o.identity === null) {
        throw new InputError(`Operator ${o.id} has no p2p identity in the cluster definition`, {
          field: `operators[${i}].identity`,
          metaMessages: [
            "Each operator runs `rpdvt node identity --out FILE --json` (field peerId); then `rpdvt keys split --format cluster --peer-ids …` or, for an existing cluster output, `rpdvt cluster set-identities --cluster DIR --peer-ids …`.",
          ],
        });
      }
      return {
        index: i,
        publicKey: publicKeyFromIdentity(o.identity, `operators[${i}].identity`),
        address: o.endpoint,
      };
    });
    const self = peers[index];
    if (
      !self ||
      Buffer.compare(Buffer.from(self.publicKey), Buffer.from(identity.publicKey)) !== 0
    ) {
      throw new InputError(
        `The identity key is not operator ${op.operatorId}'s identity in the cluster definition`,
        {
          file: flags.identity,
          metaMessages: [
            "Use the identity file this operator registered when the cluster was created.",
          ],
        },
      );
    }
    const listen = flags.listen ?? self.address;
    if (!listen) {
      throw new InputError(
        "No listen address: give --listen host:port or an endpoint in the cluster definition",
        { field: "--listen" },
      );
    }
    const beacon = createBeaconClient(flags.beaconUrl, { timeoutMs: 4_000 });
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
    // The DB is bound to the chain (genesis_validators_root) on first use and refuses another
    // one; held exclusively: the node's consensus view of it assumes no other writer (a second
    // node on this data dir, or an import while running, is refused with the holder's PID).
    const slashingDb = SlashingProtectionDb.open(resolve(flags.dataDir), {
      genesisValidatorsRoot: chain.genesisValidatorsRoot,
      exclusive: true,
    });
    started.push({ what: "slashing-protection DB", undo: () => slashingDb.close() });
    const transport = await createP2PTransport({
      identity,
      self: index,
      peers,
      listen,
      maxMessageSize: MAX_MESSAGE_SIZE,
    });
    started.push({ what: "p2p transport", undo: () => transport.stop() });
    await transport.start();
    const node = createDvNode({
      cluster: def,
      operatorId: op.operatorId,
      shares: op.shares,
      transport: { consensus: transport, parsigex: transport.channel("parsigex") },
      clock: systemClock,
      beacon,
      slashingDb,
      identity: {
        signer: secp256k1Signer(identity.secretKey),
        verifier: secp256k1Verifier(peers.map((p) => p.publicKey)),
      },
      options: {
        doppelgangerEpochs,
        qbft: { peerConnected: (i) => transport.connectedPeers().includes(i) },
        onError: (what, err) =>
          logLine(flags.quiet, "error", {
            what,
            message: err instanceof Error ? err.message : String(err),
          }),
        // Life cycle: queued validators are picked up when they activate, exited ones dropped.
        onValidator: (ch) =>
          logLine(flags.quiet, "validator", {
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
    node.tracker.onReport((r) =>
      logLine(flags.quiet, "duty", {
        slot: r.slot,
        type: r.type,
        validator: r.pubkey.slice(0, 12),
        outcome: r.outcome,
        reason: r.reason,
        details: r.details,
        latencyMs: r.latencyMs,
      }),
    );
    transport.onPeerChange((e) =>
      logLine(flags.quiet, e.connected ? "peer-connected" : "peer-disconnected", {
        operatorIndex: e.index,
      }),
    );
    // Version and RTT for the operators' dashboards; answered with or without --dashboard.
    const peerInfo = startPeerInfo(transport);
    started.push({ what: "peer info", undo: () => peerInfo.stop() });
    registerPeerRtt(
      node.metrics.registry,
      def.operators.flatMap((_, i) => (i === transport.self ? [] : [i])),
      (i) => peerInfo.get(i)?.rttMs,
    );
    const dashboard = flags.dashboard
      ? createDashboard({
          source: nodeDashboardSource(node, transport, def, op.operatorId, {
            currentEpoch: () => currentEpoch(chain, Date.now()),
            beacon,
            peerInfo,
          }),
          token: dashboardToken,
        })
      : undefined;
    if (dashboard) started.push({ what: "dashboard", undo: () => dashboard.close() });
    started.push({
      what: "DV node",
      undo: () => {
        node.stop();
        node.tracker.flush();
      },
    });
    await node.start();
    routes = nodeHttpRoutes({
      registry: node.metrics.registry,
      status: () => nodeStatus(node, transport, op.operatorId),
      dashboard,
    });
    logLine(flags.quiet, "started", {
      operatorId: op.operatorId,
      peerId: transport.peerId,
      listen: transport.addresses(),
      validators: op.shares.size,
      metrics: boundPort !== undefined ? `http://127.0.0.1:${boundPort}/metrics` : undefined,
      dashboard:
        dashboard && boundPort !== undefined ? `http://127.0.0.1:${boundPort}/` : undefined,
    });
    let stopped = false;
    return {
      metricsPort: boundPort,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await undoAll();
        logLine(flags.quiet, "stopped", { operatorId: op.operatorId });
      },
    };
  } catch (err) {
    await undoAll();
    throw err;
  }
}

/**
 * The `node` command group: `run` and `identity`.
 *
 * @example
 * program.addCommand(nodeCommand());
 */
export function nodeCommand(): Command {
  const run = new Command("run")
    .description(
      "Run this operator's DV node: duties for every cluster validator, with the other operators",
    )
    .requiredOption(
      "--cluster <dir>",
      "this operator's folder from the cluster output (operator-<id>/: cluster.json, keystores, password.txt)",
    )
    .requiredOption("--identity <file>", "this operator's p2p identity key (rpdvt node identity)")
    .requiredOption("--data-dir <dir>", "data folder (slashing-protection.sqlite lives here)")
    .option(
      "--beacon-url <url>",
      "beacon node REST URL (repeat for fallback)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      "--listen <host:port>",
      "p2p listen address (default: this operator's endpoint in the cluster definition)",
    )
    .option(
      "--password-file <file>",
      "file holding the share keystores' password (default: password.txt in the operator folder)",
    )
    .option(
      "--metrics-port <port>",
      "serve /metrics (Prometheus) and /status (JSON) on 127.0.0.1:<port> (1-65535; bound before anything else starts)",
      parsePortOption,
    )
    .option(
      "--doppelganger-epochs <n>",
      "epochs to watch validators' liveness before the first signature",
      "2",
    )
    .option("--dashboard", "also serve the web dashboard at http://127.0.0.1:<metrics-port>/")
    .option(
      "--dashboard-token-file <file>",
      "file holding the token that the dashboard's exits (POST) and large planner queries must carry; mode 0600, one line (preferred over --dashboard-token)",
    )
    .option(
      "--dashboard-token <token>",
      "the dashboard token on the command line: VISIBLE to every local user in `ps`, prefer --dashboard-token-file (default: $RPDVT_DASHBOARD_TOKEN)",
    )
    .option("--quiet", "no log lines")
    .action(
      runAction(async (flags: RunFlags) => {
        const { stop } = await runNode(flags);
        await new Promise<void>((done) => {
          const onSignal = () => {
            process.off("SIGINT", onSignal);
            process.off("SIGTERM", onSignal);
            void stop().then(done, done);
          };
          process.on("SIGINT", onSignal);
          process.on("SIGTERM", onSignal);
        });
      }),
    );
  return new Command("node")
    .description("The DV operator node")
    .addCommand(run)
    .addCommand(nodeIdentityCommand());
}
