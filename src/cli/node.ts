/**
 * `rpdvt node run|identity`: the distributed-validator operator node. `run` checks every flag
 * first (the dashboard token file is read), then starts the node (src/app/run.ts: keys, identity,
 * beacon, slashing-protection DB, p2p, the DV node, /metrics, /status and the dashboard on
 * 127.0.0.1 when `--metrics-port` is given) and performs the cluster validators' duties until
 * SIGINT/SIGTERM, when everything it started is stopped in reverse order.
 */
import { Command, InvalidArgumentError } from "commander";
import { type OperatorNodeOptions, type RunningNode, startOperatorNode } from "../app/run.js";
import { parseBeaconStrategy } from "../beacon/strategy/config.js";
import { parseWei } from "../builder/proposal.js";
import { resolveDashboardToken } from "../dashboard/auth.js";
import { InputError } from "../errors.js";
import { guardSources } from "../ops/guard/flags.js";
import { repeatableOption } from "./args.js";
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
  attestOnHead?: boolean;
  builderRegistrations?: boolean;
  builderGasLimit?: string;
  builderBoostFactor?: string;
  minBidWei?: string;
  beaconStrategy?: string;
  rocketpoolDir?: string;
  keymanagerUrl?: string;
  keymanagerTokenFile?: string;
  previousCluster?: string;
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

/**
 * Check `node run`'s flags (before anything starts: the dashboard token file is read too) and
 * start the node (src/app/run.ts); resolves with a `stop` function once it is running.
 *
 * @example
 * const { stop } = await runNode({ cluster: "squad/operator-1", identity: "id.json", dataDir: "d", beaconUrl: ["http://127.0.0.1:5052"], doppelgangerEpochs: "2" });
 */
export async function runNode(flags: RunFlags): Promise<RunningNode> {
  return startOperatorNode(await parseRunFlags(flags));
}

/** `--builder-boost-factor` / `--min-bid-wei` (blinded proposals, issue 15). */
function parseProposalFlags(flags: RunFlags): { boostFactor?: bigint; minBidWei?: bigint } {
  const out: { boostFactor?: bigint; minBidWei?: bigint } = {};
  const text = flags.builderBoostFactor?.trim();
  if (text !== undefined) {
    if (!/^\d{1,20}$/.test(text)) {
      throw new InputError(
        `--builder-boost-factor must be a non-negative integer percentage (got "${flags.builderBoostFactor}")`,
        {
          field: "--builder-boost-factor",
          metaMessages: [
            "0 = local blocks only, 100 = take the builder's block when it pays more; omit it for the beacon node's choice.",
          ],
        },
      );
    }
    out.boostFactor = BigInt(text);
  }
  if (flags.minBidWei !== undefined) out.minBidWei = parseWei(flags.minBidWei, "--min-bid-wei");
  return out;
}

/** `--builder-registrations` / `--builder-gas-limit` (MEV-Boost, issue 15) + proposal flags. */
function parseBuilderFlags(flags: RunFlags): OperatorNodeOptions["builder"] {
  const proposals = parseProposalFlags(flags);
  if (!flags.builderRegistrations && proposals.boostFactor !== undefined) {
    return { registrations: false, ...proposals };
  }
  if (flags.builderGasLimit !== undefined && !flags.builderRegistrations) {
    throw new InputError("--builder-gas-limit needs --builder-registrations", {
      field: "--builder-gas-limit",
    });
  }
  if (!flags.builderRegistrations) return undefined;
  const text = flags.builderGasLimit?.trim();
  const gasLimit = text === undefined ? undefined : Number(text);
  if (
    gasLimit !== undefined &&
    (!/^\d+$/.test(text ?? "") || !Number.isSafeInteger(gasLimit) || gasLimit < 1)
  ) {
    throw new InputError(
      `--builder-gas-limit must be a positive integer (got "${flags.builderGasLimit}")`,
      {
        field: "--builder-gas-limit",
        metaMessages: [
          "Use the gas limit of the squad's execution clients, the same on every operator (e.g. 36000000).",
        ],
      },
    );
  }
  return { registrations: true, gasLimit, ...proposals };
}

async function parseRunFlags(flags: RunFlags): Promise<OperatorNodeOptions> {
  if (flags.beaconUrl.length === 0) {
    throw new InputError("At least one --beacon-url is required", {
      field: "--beacon-url",
      metaMessages: ["Example: --beacon-url http://127.0.0.1:5052 (repeat for fallback nodes)."],
    });
  }
  const beaconStrategy =
    flags.beaconStrategy === undefined ? undefined : parseBeaconStrategy(flags.beaconStrategy);
  const doppelgangerEpochs = Number(flags.doppelgangerEpochs);
  if (!Number.isInteger(doppelgangerEpochs) || doppelgangerEpochs < 0) {
    throw new InputError("--doppelganger-epochs must be a non-negative integer", {
      field: "--doppelganger-epochs",
    });
  }
  const builder = parseBuilderFlags(flags);
  const metricsPort = checkMetricsPort(flags.metricsPort);
  if (flags.dashboard && metricsPort === undefined) {
    throw new InputError("--dashboard needs --metrics-port", { field: "--dashboard" });
  }
  const dashboardToken = await resolveDashboardToken({
    token: flags.dashboardToken,
    tokenFile: flags.dashboardTokenFile,
    env: process.env.RPDVT_DASHBOARD_TOKEN,
  });
  // The key guard's folder, URL and token are checked (and looked at once) before anything starts.
  const keyGuard = await guardSources({
    rocketpoolDir: flags.rocketpoolDir,
    keymanagerUrl: flags.keymanagerUrl,
    keymanagerTokenFile: flags.keymanagerTokenFile,
  });
  return {
    clusterDir: flags.cluster,
    identityFile: flags.identity,
    dataDir: flags.dataDir,
    beaconUrls: flags.beaconUrl,
    listen: flags.listen,
    passwordFile: flags.passwordFile,
    metricsPort,
    doppelgangerEpochs,
    dashboard: flags.dashboard,
    dashboardToken,
    quiet: flags.quiet,
    attestOnHead: flags.attestOnHead,
    builder,
    beaconStrategy,
    keyGuard,
    previousClusterDir: flags.previousCluster,
  };
}

/**
 * The `node` command group: `run` and `identity`.
 *
 * @example
 * program.addCommand(nodeCommand());
 */
export function nodeCommand(): Command {
  const run = addRunCoreOptions(new Command("run"));
  addDashboardOptions(run);
  addKeyGuardOptions(run);
  addBeaconOptions(run);
  addBuilderOptions(run);
  run.option("--quiet", "no log lines").action(runAction(runUntilSignal));
  return new Command("node")
    .description("The DV operator node")
    .addCommand(run)
    .addCommand(nodeIdentityCommand());
}

/** `node run`: runs the node until SIGINT/SIGTERM, then stops it. */
async function runUntilSignal(flags: RunFlags): Promise<void> {
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
}

/** `node run`'s description and its cluster, identity, data, network and metrics flags. */
function addRunCoreOptions(run: Command): Command {
  return run
    .description(
      "Run this operator's DV node: duties for every cluster validator, with the other operators",
    )
    .requiredOption(
      "--cluster <dir>",
      "this operator's folder from the cluster output (operator-<id>/: cluster.json, keystores, password.txt)",
    )
    .requiredOption("--identity <file>", "this operator's p2p identity key (rpdvt node identity)")
    .requiredOption("--data-dir <dir>", "data folder (slashing-protection.sqlite lives here)")
    .addOption(
      repeatableOption(
        "--beacon-url <url>",
        "beacon node REST URL (repeat: several nodes, asked per --beacon-strategy)",
      ),
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
    );
}

/** `node run`'s dashboard flags. */
function addDashboardOptions(run: Command): Command {
  return run
    .option("--dashboard", "also serve the web dashboard at http://127.0.0.1:<metrics-port>/")
    .option(
      "--dashboard-token-file <file>",
      "file holding the token that the dashboard's exits (POST) and large planner queries must carry; mode 0600, one line (preferred over --dashboard-token)",
    )
    .option(
      "--dashboard-token <token>",
      "the dashboard token on the command line: VISIBLE to every local user in `ps`, prefer --dashboard-token-file (default: $RPDVT_DASHBOARD_TOKEN)",
    );
}

/** `node run`'s key guard flags (issue 16) and the succession's --previous-cluster. */
function addKeyGuardOptions(run: Command): Command {
  return run
    .option(
      "--rocketpool-dir <dir>",
      "key guard: the Smartnode folder on this host (~/.rocketpool); every epoch, a cluster validator whose keystore is back in any client layout is refused (key-exposed) until it is gone and its liveness shows no other signer",
    )
    .option(
      "--keymanager-url <url>",
      "key guard: the Smartnode VC's keymanager API (http://127.0.0.1:5062, or https); a cluster key it lists is refused like one found on disk",
    )
    .option(
      "--keymanager-token-file <file>",
      "key guard: file holding the keymanager API token (mode 0600; the Smartnode's is data/validators/token-file.txt)",
    )
    .option(
      "--previous-cluster <dir>",
      "this operator's folder of the cluster --cluster succeeds (cluster replace-operator): run it in this process on the same slashing DB until the activation epoch, the new one from it",
    );
}

/** `node run`'s flags on how the beacon nodes are used. */
function addBeaconOptions(run: Command): Command {
  return run
    .option(
      "--beacon-strategy <spec>",
      "with several --beacon-url: attestation=majority|best|first,proposal=best|first (default attestation=majority,proposal=best; other requests: first success)",
    )
    .option(
      "--attest-on-head",
      "start each attestation when the beacon node's head event for the slot arrives (fallback: 1/3 of the slot)",
    );
}

/** `node run`'s MEV-Boost flags (issue 15). */
function addBuilderOptions(run: Command): Command {
  return run
    .option(
      "--builder-registrations",
      "MEV-Boost: register every pending/active validator with the beacon node's builder each epoch (POST register_validator; the beacon node needs its builder configured)",
    )
    .option(
      "--builder-gas-limit <gas>",
      "gas limit the builder registrations ask for (default 30000000; the same on every operator)",
    )
    .option(
      "--builder-boost-factor <percent>",
      "blinded (MEV-Boost) proposals: produceBlockV3 builder_boost_factor (0 = local blocks only; default with --builder-registrations: the beacon node's choice, else 0)",
    )
    .option(
      "--min-bid-wei <amount>",
      'refuse a builder block reported below this value and propose a local one (wei, or "0.01 ether", "5 gwei"; default 0; the same on every operator)',
    );
}
