/**
 * `rpdvt keys verify PATH`: detect which format PATH holds and run that format's verifier.
 * Detection is cheap sniffing (file names, top-level JSON shape); verification is the full check.
 */
import { promises as fsp } from "node:fs";
import { InputError } from "../errors.js";
import { pathExists } from "../util/fs.js";
import { readInputFile, sameWording } from "../util/json-file.js";
import { detectCluster, verifyCluster } from "./cluster.js";
import { detectDirk, verifyDirk } from "./dirk.js";
import { listDir } from "./format-io.js";
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
  throw await unknownFormat(path);
}

const EXPECTED = [
  "keys verify takes an SSV keyshares JSON file, an rpdvt cluster folder (or its cluster.json, or",
  "one operator-<id> folder), a Dirk output folder (distributed-accounts.json), or an Obol",
  "split-keys folder (keystore-N.json + keystore-N.txt).",
];

/**
 * The error for a path no detector recognised, saying what it is: a file that is not JSON (with
 * the parser's position), JSON of another shape (its top-level members), or a folder without any
 * of the expected files.
 */
async function unknownFormat(path: string): Promise<InputError> {
  const stat = await fsp.stat(path).catch(() => null);
  if (stat?.isDirectory()) {
    const names = ((await listDir(path)) ?? []).sort();
    return new InputError("Not an rpdvt output folder of any known format", {
      file: path,
      details: names.length
        ? `it holds ${names.slice(0, 8).join(", ")}${names.length > 8 ? `, … (${names.length} entries)` : ""}`
        : "it is empty",
      metaMessages: EXPECTED,
    });
  }
  let text: string;
  try {
    text = (await readInputFile(path, sameWording("Cannot read the file to verify"))).toString(
      "utf8",
    );
  } catch (err) {
    return err as InputError;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the text: never put it in an error (the file could hold a key).
    const start = text.trimStart()[0];
    return new InputError(
      text.trim() === "" ? "The file to verify is empty" : "The file to verify is not JSON",
      {
        file: path,
        details:
          text.trim() === ""
            ? undefined
            : start === "{" || start === "["
              ? "it starts like JSON but is truncated or corrupt"
              : "it does not start with { or [ (is it CSV, YAML, a PEM or hex key?)",
        metaMessages: [
          ...EXPECTED,
          "If it is a keyshares file, it was truncated or altered on the way: export it again from",
          "the tool that made it (rpdvt keys split --format ssv, ssv-keys, ssv-dkg) and verify that copy.",
        ],
      },
    );
  }
  const members =
    typeof json === "object" && json !== null && !Array.isArray(json)
      ? Object.keys(json).slice(0, 8)
      : [];
  return new InputError("The file to verify is JSON but of no known format", {
    file: path,
    details: members.length
      ? `top-level members: ${members.join(", ")}`
      : `top level is ${Array.isArray(json) ? "an array" : json === null ? "null" : typeof json === "object" ? "an empty object" : `a ${typeof json}`}`,
    metaMessages: [
      ...EXPECTED,
      "An SSV keyshares file has `shares` (or `data` + `payload`) with `sharesData`; a cluster.json has version rpdvt-cluster/v1.",
    ],
  });
}
