/**
 * `rpdvt cluster set-identities`: add (or replace) operators' p2p identities in an existing
 * `keys split --format cluster` output and recompute the definition hash — the step between
 * `keys split` (made before every operator had run `rpdvt node identity`) and `node run`, which
 * needs every operator's peer id. Editing cluster.json by hand would break its hash.
 */
import { Command } from "commander";
import { setClusterIdentities } from "../keysplit/cluster.js";
import { parsePeerIds } from "./args.js";
import { printJson, runAction } from "./run.js";

/**
 * The `cluster set-identities` subcommand.
 *
 * @example
 * await clusterSetIdentitiesCommand().parseAsync(["node", "set-identities", "--cluster", dir, "--peer-ids", "1=16Uiu2HA…"]);
 */
export function clusterSetIdentitiesCommand(): Command {
  return new Command("set-identities")
    .description(
      "Set operators' p2p peer ids in a cluster output (every cluster.json in it) and recompute its hash",
    )
    .requiredOption(
      "--cluster <path>",
      "the keys split output folder (updates cluster.json and every operator-<id>/cluster.json), " +
        "one operator folder, or a cluster.json",
    )
    .requiredOption(
      "--peer-ids <list>",
      "ID=PEERID per operator, comma-separated (the peerId of `rpdvt node identity --json`)",
    )
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      [
        "",
        "Each file is replaced atomically. The new hash depends only on the definition and the peer",
        "ids, so operators who already hold their folder can apply the same --peer-ids to it and",
        "compare the printed hash. Share keystores and passwords are not touched.",
      ].join("\n"),
    )
    .action(
      runAction(async (flags: { cluster: string; peerIds: string; json?: boolean }) => {
        const peerIds = parsePeerIds(flags.peerIds);
        const r = await setClusterIdentities(flags.cluster, peerIds);
        if (flags.json) return printJson(r);
        process.stdout.write(
          (r.changed.length
            ? `Set the p2p identity of operator(s) ${r.changed.join(",")} in ${r.files.length} cluster.json file(s).\n` +
              `Definition hash: ${r.previousHash} -> ${r.hash}\n`
            : `Nothing to change: the identities are already set. Definition hash: ${r.hash}\n`) +
            (r.missing.length
              ? `Still without an identity: operator(s) ${r.missing.join(",")} (node run needs every one).\n`
              : "Every operator has an identity: check with `rpdvt keys verify`, then `rpdvt node run`.\n"),
        );
      }),
    );
}

/**
 * The `cluster` command group (operations on an rpdvt cluster output).
 *
 * @example
 * program.addCommand(clusterCommand());
 */
export function clusterCommand(): Command {
  return new Command("cluster")
    .description("Operate on an rpdvt cluster output (keys split --format cluster)")
    .addCommand(clusterSetIdentitiesCommand());
}
