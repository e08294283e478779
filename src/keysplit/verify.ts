/**
 * `rpdvt keys verify PATH`: detect which format PATH holds and run that format's verifier.
 * Detection is cheap sniffing (file names, top-level JSON shape); verification is the full check.
 */
import { promises as fsp } from "node:fs";
import { InputError } from "../errors.js";
import { pathExists } from "../util/fs.js";
import { detectCluster, verifyCluster } from "./cluster.js";
import { detectDirk, verifyDirk } from "./dirk.js";
import { detectObol, verifyObol } from "./obol.js";
import { verifySsvKeyshares } from "./ssv.js";
import type { VerifyReport } from "./verify-report.js";

async function detectSsv(path: string): Promise<boolean> {
  try {
    if (!(await fsp.stat(path)).isFile()) return false;
    const head = (await fsp.readFile(path, "utf8")).slice(0, 4096);
    return /"(shares|payload)"\s*:/.test(head) && /"sharesData"|"data"\s*:/.test(head);
  } catch {
    return false;
  }
}

/** Order matters: the most specific detector first. */
const FORMATS = [
  { name: "ssv", detect: detectSsv },
  { name: "cluster", detect: detectCluster },
  { name: "dirk", detect: detectDirk },
  { name: "obol", detect: detectObol },
] as const;

/**
 * Verify any rpdvt output (or a third-party file of the same format); throws on the first failed
 * check with an error naming the validator, file and field.
 *
 * @example
 * const report = await verifyOutput("keyshares.json", { operatorKeysDir: "ops/" });
 */
export async function verifyOutput(
  path: string,
  opts: { operatorKeysDir?: string; quiet?: boolean } = {},
): Promise<VerifyReport> {
  if (!(await pathExists(path))) {
    throw new InputError(`${path} does not exist`, {
      metaMessages: ["Give the path of a keyshares file or an output folder."],
    });
  }
  for (const f of FORMATS) {
    if (!(await f.detect(path))) continue;
    switch (f.name) {
      case "ssv":
        return verifySsvKeyshares(path, { operatorKeysDir: opts.operatorKeysDir });
      case "cluster":
        return verifyCluster(path, opts);
      case "dirk":
        return verifyDirk(path, opts);
      case "obol":
        return verifyObol(path, opts);
    }
  }
  throw new InputError(`Cannot tell which format ${path} is`, {
    metaMessages: [
      "Expected an SSV keyshares JSON file, an rpdvt cluster folder (or cluster.json / operator-<id>),",
      "a Dirk distributed-accounts folder, or an Obol split-keys folder (keystore-N.json + .txt).",
    ],
  });
}
