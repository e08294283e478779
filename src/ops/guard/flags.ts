/**
 * `node run`'s key-guard flags (issue 16 part 2), checked before anything starts:
 * - `--rocketpool-dir DIR`: the Smartnode folder (`~/.rocketpool`) or its `data` folder, resolved
 *   and recognised by src/rocketpool/datadir.ts resolveDataDir (a `wallet`, `validators` or
 *   `custom-keys` entry), then looked at once (an unreadable folder fails now, not at epoch 1);
 * - `--keymanager-url URL` with `--keymanager-token-file F`: the Smartnode VC's Keymanager API
 *   (port 5062, src/ops/keymanager/client.ts). The bearer token grants deleting keys, so it goes
 *   only to a loopback address over http, or anywhere over https; the file must be 0600 (read by
 *   src/util/token-file.ts readTokenFile, which refuses a group/other-readable file).
 */
import { InputError } from "../../errors.js";
import { resolveDataDir } from "../../rocketpool/datadir.js";
import { isLoopbackHost } from "../../util/host-header.js";
import { readTokenFile } from "../../util/token-file.js";
import { createKeymanagerClient } from "../keymanager/client.js";
import { createKeymanagerSource } from "./keymanager.js";
import { createSmartnodeSource, type KeySource } from "./smartnode.js";

/**
 * The raw flags.
 *
 * @example
 * const f: GuardFlags = { rocketpoolDir: "~/.rocketpool", keymanagerUrl: "http://127.0.0.1:5062", keymanagerTokenFile: "token" };
 */
export type GuardFlags = {
  rocketpoolDir?: string | undefined;
  keymanagerUrl?: string | undefined;
  keymanagerTokenFile?: string | undefined;
};

/** Keymanager requests of the guard (at most one per slot): a hung VC must not hold up the next slots' looks for long. */
const KEYMANAGER_TIMEOUT_MS = 2_000;

/**
 * Check the key-guard flags and build the guard's sources (none when no flag is given).
 *
 * @example
 * const sources = await guardSources({ rocketpoolDir: "/home/me/.rocketpool" });
 */
export async function guardSources(f: GuardFlags): Promise<KeySource[]> {
  const sources: KeySource[] = [];
  if (f.rocketpoolDir !== undefined) {
    let dataDir: string;
    try {
      dataDir = await resolveDataDir(f.rocketpoolDir);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      throw new InputError(err.shortMessage, {
        field: "--rocketpool-dir",
        file: err.file,
        cause: err,
        metaMessages: [
          ...(err.metaMessages ?? []),
          "--rocketpool-dir is the Smartnode folder the key guard watches (e.g. ~/.rocketpool).",
        ],
      });
    }
    const src = createSmartnodeSource(dataDir);
    const first = await src.find(new Set());
    if (first.warnings.length) {
      throw new InputError("The key guard cannot read the Smartnode folder", {
        field: "--rocketpool-dir",
        file: dataDir,
        metaMessages: [
          ...first.warnings,
          "Run the node as a user that can read the Smartnode's validators/ and custom-keys/ folders (they are often root-owned).",
        ],
      });
    }
    sources.push(src);
  }
  if (f.keymanagerUrl === undefined) {
    if (f.keymanagerTokenFile !== undefined)
      throw new InputError("--keymanager-token-file needs --keymanager-url", {
        field: "--keymanager-token-file",
        metaMessages: ["Example: --keymanager-url http://127.0.0.1:5062"],
      });
    return sources;
  }
  const url = checkKeymanagerUrl(f.keymanagerUrl);
  if (f.keymanagerTokenFile === undefined)
    throw new InputError("--keymanager-url needs --keymanager-token-file", {
      field: "--keymanager-token-file",
      metaMessages: [
        "The Smartnode VC writes its token to ~/.rocketpool/data/validators/token-file.txt: copy it to a file only you can read (chmod 600) and pass that file.",
      ],
    });
  const token = await readTokenFile(f.keymanagerTokenFile, "--keymanager-token-file");
  sources.push(
    createKeymanagerSource(
      createKeymanagerClient(url, token, { timeoutMs: KEYMANAGER_TIMEOUT_MS }),
    ),
  );
  return sources;
}

/**
 * A keymanager URL the token may be sent to: http on a loopback address, or https.
 *
 * @example
 * checkKeymanagerUrl("http://127.0.0.1:5062") // "http://127.0.0.1:5062"
 */
export function checkKeymanagerUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InputError(`--keymanager-url is not a URL: "${raw}"`, {
      field: "--keymanager-url",
      metaMessages: ["Example: --keymanager-url http://127.0.0.1:5062"],
    });
  }
  if (u.username || u.password)
    throw new InputError("--keymanager-url must not carry credentials", {
      field: "--keymanager-url",
      metaMessages: ["Give the token with --keymanager-token-file."],
    });
  const ok = u.protocol === "https:" || (u.protocol === "http:" && isLoopbackHost(u.host));
  if (!ok)
    throw new InputError(
      `--keymanager-url must be http on 127.0.0.1 / localhost, or https (got ${u.protocol}//${u.host})`,
      {
        field: "--keymanager-url",
        metaMessages: [
          "The keymanager token can delete the VC's keys: never send it in clear text over a network.",
          "Publish the VC's port 5062 on 127.0.0.1 only, or put it behind TLS.",
        ],
      },
    );
  return u.origin + u.pathname.replace(/\/+$/, "");
}
