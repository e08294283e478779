/**
 * Where the devnet's beacon node lives and whether it is installed: the REAL Lodestar
 * (@chainsafe/lodestar 1.5.1, Capella) in devnet/lodestar/node_modules, installed by
 * devnet/lodestar/install.sh (npm ci from the committed lock file + a 2-line patch of its mock
 * execution engine). The install writes node_modules/.rpdvt-install-stamp = sha256 of
 * package.json ‖ package-lock.json ‖ patch-lodestar.mjs; a missing or stale stamp means "not
 * installed" (the same check install.sh makes).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BaseError } from "../errors.js";

/**
 * devnet/lodestar (absolute).
 *
 * @example
 * join(LODESTAR_DIR, "node_modules")
 */
export const LODESTAR_DIR = fileURLToPath(new URL("../../devnet/lodestar/", import.meta.url));
/**
 * The install script, to run with bash.
 *
 * @example
 * spawn("bash", [INSTALL_SCRIPT]);
 */
export const INSTALL_SCRIPT = join(LODESTAR_DIR, "install.sh");
/**
 * The Lodestar CLI entry point (node_modules/.bin/lodestar links to it).
 *
 * @example
 * spawn(process.execPath, [LODESTAR_ENTRY, "--version"]);
 */
export const LODESTAR_ENTRY = join(LODESTAR_DIR, "node_modules/@chainsafe/lodestar/lib/index.js");
/**
 * The Lodestar version the devnet pins (devnet/lodestar/package.json).
 *
 * @example
 * `Lodestar/v${LODESTAR_VERSION}`
 */
export const LODESTAR_VERSION = "1.5.1";
/**
 * The command that installs it, for error messages.
 *
 * @example
 * console.error(`run: ${INSTALL_COMMAND}`);
 */
export const INSTALL_COMMAND = "bash devnet/lodestar/install.sh";

const STAMP = join(LODESTAR_DIR, "node_modules/.rpdvt-install-stamp");
const STAMPED_FILES = ["package.json", "package-lock.json", "patch-lodestar.mjs"];

async function expectedStamp(): Promise<string> {
  const h = createHash("sha256");
  for (const f of STAMPED_FILES) h.update(await fsp.readFile(join(LODESTAR_DIR, f)));
  return h.digest("hex");
}

/**
 * True when devnet/lodestar is installed and matches its package.json, lock file and patch.
 *
 * @example
 * if (!(await isInstalled())) console.log("run bash devnet/lodestar/install.sh");
 */
export async function isInstalled(): Promise<boolean> {
  const [want, have] = await Promise.all([
    expectedStamp(),
    fsp.readFile(STAMP, "utf8").catch(() => ""),
  ]);
  if (have.trim() !== want) return false;
  return fsp
    .access(LODESTAR_ENTRY)
    .then(() => true)
    .catch(() => false);
}

/**
 * Make sure the devnet's Lodestar is installed. Without `install: true` it only checks and throws
 * an error naming the install command; with it, it runs devnet/lodestar/install.sh (npm ci with
 * native builds: ~1–2 min cold; needs the npm registry), its output going to stderr.
 *
 * @example
 * await ensureInstalled();                  // throws if not installed
 * await ensureInstalled({ install: true }); // installs if needed
 */
export async function ensureInstalled(opts: { install?: boolean } = {}): Promise<void> {
  if (await isInstalled()) return;
  if (!opts.install) {
    throw new BaseError(`The devnet's Lodestar ${LODESTAR_VERSION} is not installed`, {
      metaMessages: [
        `Install it (once, ~1-2 min, npm registry): ${INSTALL_COMMAND}`,
        `It goes to ${join(LODESTAR_DIR, "node_modules")}, apart from rpdvt's own dependencies.`,
      ],
    });
  }
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn("bash", [INSTALL_SCRIPT], {
      stdio: ["ignore", process.stderr, process.stderr],
    });
    child.on("error", reject);
    child.on("exit", (c) => resolve(c));
  });
  if (code !== 0 || !(await isInstalled())) {
    throw new BaseError(`Installing the devnet's Lodestar failed (exit code ${code})`, {
      metaMessages: [`See the output above; re-run: ${INSTALL_COMMAND}`],
    });
  }
}
