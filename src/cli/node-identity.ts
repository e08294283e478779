/**
 * `rpdvt node identity --out FILE [--json]`: generate this operator's p2p identity key (secp256k1;
 * its libp2p peer id and its QBFT signing key) into a new 0600 file, written atomically, never
 * overwriting; print the public key, the peer id and the identity string for the cluster
 * definition. `rpdvt node identity --show FILE [--json]` prints the same for an existing file.
 * File format and identity string: src/p2p/identity.ts. The lead attaches this under `rpdvt node`.
 */
import { resolve } from "node:path";
import { Command } from "commander";
import { InputError } from "../errors.js";
import {
  generateIdentity,
  identityString,
  loadIdentity,
  type NodeIdentity,
  writeIdentityFile,
} from "../p2p/identity.js";
import { toHex } from "../util/hex.js";
import { printJson, runAction } from "./run.js";

/**
 * The public facts of an identity as printed by the command.
 *
 * @example
 * printJson(identitySummary(id, "/data/identity.json"));
 */
export function identitySummary(
  identity: NodeIdentity,
  file: string,
): { file: string; type: "secp256k1"; publicKey: string; peerId: string; identity: string } {
  return {
    file,
    type: "secp256k1",
    publicKey: toHex(identity.publicKey),
    peerId: identity.peerId,
    identity: identityString(identity),
  };
}

/**
 * The `identity` subcommand (attached under `rpdvt node` by the lead).
 *
 * @example
 * program.addCommand(new Command("node").addCommand(nodeIdentityCommand()));
 * // rpdvt node identity --out /data/rpdvt/identity.json
 */
export function nodeIdentityCommand(): Command {
  return new Command("identity")
    .description(
      "Generate this operator's p2p identity key (secp256k1: libp2p peer id + consensus signing key)",
    )
    .option("--out <file>", "write a new identity key file (mode 0600; never overwrites)")
    .option("--show <file>", "print the public identity of an existing identity key file")
    .option("--json", "print the result as JSON")
    .action(
      runAction(async (opts: { out?: string; show?: string; json?: boolean }) => {
        if ((opts.out === undefined) === (opts.show === undefined)) {
          throw new InputError("Give exactly one of --out FILE or --show FILE", {
            metaMessages: [
              "--out FILE generates a new key; --show FILE prints the identity of an existing one.",
            ],
          });
        }
        const file = resolve((opts.out ?? opts.show) as string);
        const created = opts.out !== undefined;
        let id: NodeIdentity;
        if (created) {
          id = generateIdentity();
          await writeIdentityFile(file, id);
        } else {
          id = await loadIdentity(file);
        }
        const s = identitySummary(id, file);
        if (opts.json) {
          printJson({ ...s, created });
          return;
        }
        const lines = [
          created
            ? `Wrote a new operator identity key to ${file} (mode 0600).`
            : `Operator identity key ${file}:`,
          `  public key: ${s.publicKey}`,
          `  peer id:    ${s.peerId}`,
          `  identity:   ${s.identity}`,
          "",
          "Put the identity string into the cluster definition (operators[].identity) of this operator.",
        ];
        if (created) {
          lines.push("Keep the key file secret and back it up: it is this operator's identity.");
        }
        process.stdout.write(`${lines.join("\n")}\n`);
      }),
    );
}
