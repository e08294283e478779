/**
 * `rpdvt setup ssv-node | rpdvt-node`: generate what an operator needs to run an SSV node or the
 * rpdvt DV node next to a Smartnode (config, Docker Compose on the Smartnode's network, systemd
 * unit, guide). See src/ops/setup/{ssv,rpdvt-node}.ts for the formats and their sources.
 */
import { Command, Option } from "commander";
import { readPasswordFile } from "../keysplit/format-io.js";
import { RPDVT_NODE_DEFAULTS, writeRpdvtNodeSetup } from "../ops/setup/rpdvt-node.js";
import { SSV_DEFAULTS, SSV_NETWORKS, writeSsvNodeSetup } from "../ops/setup/ssv.js";
import { expandHome } from "./args.js";
import { printJson, runAction } from "./run.js";

/**
 * The `setup` command group.
 *
 * @example
 * program.addCommand(setupCommand());
 * // rpdvt setup ssv-node --out ~/ssv
 */
export function setupCommand(): Command {
  const ssv = new Command("ssv-node")
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
    .option("--p2p-tcp-port <n>", "P2P TCP port", String(SSV_DEFAULTS.tcpPort))
    .option("--p2p-udp-port <n>", "P2P UDP port", String(SSV_DEFAULTS.udpPort))
    .option("--metrics-port <n>", "metrics port", String(SSV_DEFAULTS.metricsPort))
    .option("--image <image>", "SSV node image", SSV_DEFAULTS.image)
    .option("--native-dir <dir>", "folder of a native (systemd) install", SSV_DEFAULTS.nativeDir)
    .option(
      "--password-file <file>",
      "operator key password (default: a fresh random one, written to <out>/password)",
    )
    .option("--json", "print a JSON summary")
    .action(
      runAction(async (f: Record<string, string | undefined>) => {
        const out = expandHome(f.out as string);
        const password = f.passwordFile
          ? await readPasswordFile(expandHome(f.passwordFile))
          : undefined;
        const r = await writeSsvNodeSetup(
          out,
          {
            ...SSV_DEFAULTS,
            network: f.network as (typeof SSV_NETWORKS)[number],
            beaconUrl: f.beaconUrl as string,
            eth1Url: f.executionUrl as string,
            dockerNetwork: f.dockerNetwork as string,
            tcpPort: Number(f.p2pTcpPort),
            udpPort: Number(f.p2pUdpPort),
            metricsPort: Number(f.metricsPort),
            image: f.image as string,
            nativeDir: f.nativeDir as string,
          },
          password,
        );
        if (f.json) return printJson({ out, publicKey: r.publicKey });
        process.stdout.write(r.guide);
      }),
    );
  const node = new Command("rpdvt-node")
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
    .option("--p2p-port <n>", "p2p TCP port", String(RPDVT_NODE_DEFAULTS.p2pPort))
    .option("--image <image>", "Node.js image", RPDVT_NODE_DEFAULTS.image)
    .option("--install-dir <dir>", "where rpdvt is installed", RPDVT_NODE_DEFAULTS.installDir)
    .option("--user <name>", "systemd user", RPDVT_NODE_DEFAULTS.user)
    .option("--json", "print a JSON summary")
    .action(
      runAction(async (f: Record<string, string | undefined>) => {
        const out = expandHome(f.out as string);
        const r = await writeRpdvtNodeSetup(out, {
          clusterDir: expandHome(f.cluster as string),
          identityFile: expandHome(f.identity as string),
          dataDir: expandHome(f.dataDir as string),
          beaconUrl: f.beaconUrl as string,
          dockerNetwork: f.dockerNetwork as string,
          p2pPort: Number(f.p2pPort),
          image: f.image as string,
          installDir: f.installDir as string,
          user: f.user as string,
        });
        if (f.json) return printJson({ out });
        process.stdout.write(r.guide);
      }),
    );
  return new Command("setup")
    .description("Generate node configurations next to a Smartnode")
    .addCommand(ssv)
    .addCommand(node);
}
