/**
 * `rpdvt setup ssv-node | rpdvt-node`: generate what an operator needs to run an SSV node or the
 * rpdvt DV node next to a Smartnode (config, Docker Compose on the Smartnode's network, systemd
 * unit, guide). See src/ops/setup/{ssv,rpdvt-node}.ts for the formats and their sources.
 */
import { Command, Option } from "commander";
import { readPasswordFile } from "../keysplit/format-io.js";
import {
  RPDVT_NODE_DEFAULTS,
  type RpdvtNodeSetupOptions,
  writeRpdvtNodeSetup,
} from "../ops/setup/rpdvt-node.js";
import { SSV_DEFAULTS, SSV_NETWORKS, writeSsvNodeSetup } from "../ops/setup/ssv.js";
import { expandHome, wholeNumberArg } from "./args.js";
import { printJson, runAction } from "./run.js";

/** A TCP/UDP port flag: 1..65535, checked when the flags are parsed. */
const portArg = wholeNumberArg(1, 65_535);

type SsvNodeFlags = {
  out: string;
  network: (typeof SSV_NETWORKS)[number];
  beaconUrl: string;
  executionUrl: string;
  dockerNetwork: string;
  p2pTcpPort: number;
  p2pUdpPort: number;
  metricsPort: number;
  image: string;
  nativeDir: string;
  passwordFile?: string;
  json?: boolean;
};

/** The flags of `setup rpdvt-node`: the setup options by their flag names, plus out and json. */
type RpdvtNodeFlags = Omit<RpdvtNodeSetupOptions, "clusterDir" | "identityFile"> & {
  out: string;
  cluster: string;
  identity: string;
  json?: boolean;
};

async function runSsvNodeSetup(f: SsvNodeFlags): Promise<void> {
  const out = expandHome(f.out);
  const password = f.passwordFile ? await readPasswordFile(expandHome(f.passwordFile)) : undefined;
  const r = await writeSsvNodeSetup(
    out,
    {
      ...SSV_DEFAULTS,
      network: f.network,
      beaconUrl: f.beaconUrl,
      eth1Url: f.executionUrl,
      dockerNetwork: f.dockerNetwork,
      tcpPort: f.p2pTcpPort,
      udpPort: f.p2pUdpPort,
      metricsPort: f.metricsPort,
      image: f.image,
      nativeDir: f.nativeDir,
    },
    password,
  );
  if (f.json) return printJson({ out, publicKey: r.publicKey });
  process.stdout.write(r.guide);
}

async function runRpdvtNodeSetup(f: RpdvtNodeFlags): Promise<void> {
  const out = expandHome(f.out);
  const r = await writeRpdvtNodeSetup(out, {
    clusterDir: expandHome(f.cluster),
    identityFile: expandHome(f.identity),
    dataDir: expandHome(f.dataDir),
    beaconUrl: f.beaconUrl,
    dockerNetwork: f.dockerNetwork,
    p2pPort: f.p2pPort,
    image: f.image,
    installDir: f.installDir,
    user: f.user,
  });
  if (f.json) return printJson({ out });
  process.stdout.write(r.guide);
}

/**
 * `rpdvt setup ssv-node`.
 *
 * @example
 * await ssvNodeSetupCommand().parseAsync(["node", "ssv-node", "--out", dir]);
 */
export function ssvNodeSetupCommand(): Command {
  return new Command("ssv-node")
    .description(
      "SSV node: config.yaml, operator key (RSA-2048, encrypted), docker-compose on rocketpool_net, systemd unit, guide",
    )
    .requiredOption("--out <dir>", "output folder (must not exist)")
    .addOption(
      new Option("--network <name>", "SSV network")
        .choices(SSV_NETWORKS)
        .default(SSV_DEFAULTS.network),
    )
    .option("--beacon-url <url>", "beacon node HTTP URL", SSV_DEFAULTS.beaconUrl)
    .option("--execution-url <url>", "execution client WebSocket URL", SSV_DEFAULTS.eth1Url)
    .option("--docker-network <name>", "Smartnode Docker network", SSV_DEFAULTS.dockerNetwork)
    .option("--p2p-tcp-port <n>", "P2P TCP port", portArg, SSV_DEFAULTS.tcpPort)
    .option("--p2p-udp-port <n>", "P2P UDP port", portArg, SSV_DEFAULTS.udpPort)
    .option("--metrics-port <n>", "metrics port", portArg, SSV_DEFAULTS.metricsPort)
    .option("--image <image>", "SSV node image", SSV_DEFAULTS.image)
    .option("--native-dir <dir>", "folder of a native (systemd) install", SSV_DEFAULTS.nativeDir)
    .option(
      "--password-file <file>",
      "operator key password (default: a fresh random one, written to <out>/password)",
    )
    .option("--json", "print a JSON summary")
    .action(runAction(runSsvNodeSetup));
}

/**
 * `rpdvt setup rpdvt-node`.
 *
 * @example
 * await rpdvtNodeSetupCommand().parseAsync(["node", "rpdvt-node", "--out", dir, "--cluster", c, "--identity", i, "--data-dir", d]);
 */
export function rpdvtNodeSetupCommand(): Command {
  return new Command("rpdvt-node")
    .description(
      "rpdvt DV node: docker-compose on rocketpool_net and a systemd unit running `rpdvt node run`, guide",
    )
    .requiredOption("--out <dir>", "output folder (must not exist)")
    .requiredOption(
      "--cluster <dir>",
      "this operator's folder of the cluster output (operator-<id>/)",
    )
    .requiredOption("--identity <file>", "p2p identity (rpdvt node identity)")
    .requiredOption("--data-dir <dir>", "node data folder (slashing-protection.sqlite)")
    .option("--beacon-url <url>", "beacon node URL", RPDVT_NODE_DEFAULTS.beaconUrl)
    .option(
      "--docker-network <name>",
      "Smartnode Docker network",
      RPDVT_NODE_DEFAULTS.dockerNetwork,
    )
    .option("--p2p-port <n>", "p2p TCP port", portArg, RPDVT_NODE_DEFAULTS.p2pPort)
    .option("--image <image>", "Node.js image", RPDVT_NODE_DEFAULTS.image)
    .option("--install-dir <dir>", "where rpdvt is installed", RPDVT_NODE_DEFAULTS.installDir)
    .option("--user <name>", "systemd user", RPDVT_NODE_DEFAULTS.user)
    .option("--json", "print a JSON summary")
    .action(runAction(runRpdvtNodeSetup));
}

/**
 * The `setup` command group.
 *
 * @example
 * program.addCommand(setupCommand());
 * // rpdvt setup ssv-node --out ~/ssv
 */
export function setupCommand(): Command {
  return new Command("setup")
    .description("Generate node configurations next to a Smartnode")
    .addCommand(ssvNodeSetupCommand())
    .addCommand(rpdvtNodeSetupCommand());
}
