/**
 * `rpdvt doctor`: pre-flight and health checks with a pass/warn/fail table (`--json` for
 * scripts); exit code 1 when any check fails. See src/ops/doctor/doctor.ts.
 */
import { Command } from "commander";
import { relayEndpoint } from "../ops/doctor/builder.js";
import { formatDoctorTable, runDoctor } from "../ops/doctor/doctor.js";
import { expandHome, intInRange, repeatableOption } from "./args.js";
import { printJson, runAction } from "./run.js";

type DoctorFlags = {
  cluster?: string;
  dataDir?: string;
  rocketpoolDir?: string;
  beaconUrl: string[];
  executionUrl?: string;
  identity?: string;
  nodeAddress?: string;
  rocketStorage?: string;
  relayUrl: string[];
  timeout: string;
  json?: boolean;
};

/**
 * The `doctor` command.
 *
 * @example
 * program.addCommand(doctorCommand());
 * // rpdvt doctor --cluster operator-1 --data-dir /var/lib/rpdvt --rocketpool-dir ~/.rocketpool --beacon-url http://127.0.0.1:5052
 */
export function doctorCommand(): Command {
  return new Command("doctor")
    .description(
      "Pre-flight/health checks: clients synced, network, peers, clock, disk, keys quarantined, fee recipient, slashing DB, file modes, MEV-Boost relays (--relay-url)",
    )
    .option("--cluster <dir>", "operator folder (or cluster output) holding cluster.json")
    .option("--data-dir <dir>", "DV node data folder (slashing-protection.sqlite)")
    .option("--rocketpool-dir <dir>", "Smartnode folder, to check no cluster key remains there")
    .addOption(repeatableOption("--beacon-url <url>", "beacon node REST URL (repeat)"))
    .option(
      "--execution-url <url>",
      "execution client JSON-RPC URL (sync check; with --node-address: each validator's fee recipient by the Rocket Pool rule)",
    )
    .option("--identity <file>", "p2p identity file (mode check)")
    .option("--node-address <address>", "Rocket Pool node address (on-chain fee recipient rule)")
    .option("--rocket-storage <address>", "RocketStorage address (default: mainnet)")
    .addOption(
      repeatableOption(
        "--relay-url <url>",
        "MEV-Boost relay (or MEV-Boost itself) to check: up, and the cluster's registrations there with the Rocket Pool fee recipient (repeat; 0x<pubkey>@ allowed)",
      ),
    )
    .option("--timeout <ms>", "per-request timeout", "5000")
    .option("--json", "print the results as JSON")
    .action(
      runAction(async (f: DoctorFlags) => {
        // Flags checked before any request: each relay URL, the timeout.
        for (const u of f.relayUrl) relayEndpoint(u, "--relay-url");
        const timeoutMs = intInRange(f.timeout, "--timeout", 100, 600_000);
        const results = await runDoctor({
          clusterDir: f.cluster ? expandHome(f.cluster) : undefined,
          dataDir: f.dataDir ? expandHome(f.dataDir) : undefined,
          rocketpoolDir: f.rocketpoolDir ? expandHome(f.rocketpoolDir) : undefined,
          beaconUrls: f.beaconUrl,
          executionUrl: f.executionUrl,
          identityFile: f.identity ? expandHome(f.identity) : undefined,
          nodeAddress: f.nodeAddress,
          rocketStorage: f.rocketStorage,
          relayUrls: f.relayUrl,
          timeoutMs,
        });
        const ok = !results.some((r) => r.status === "fail");
        if (f.json) printJson({ ok, results });
        else process.stdout.write(formatDoctorTable(results));
        if (!ok) process.exitCode = 1;
      }),
    );
}
