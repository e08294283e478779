/**
 * The repository root, also when the tests run from the compiled mirror `.build/test-<pid>/`
 * (scripts/test.ts): the mirror links `package.json` back, so the real path of the nearest
 * package.json is the repository's. Paths handed to child processes (sources run with tsx, the
 * ssv-keys harness, `bin/rpdvt.js`) are built from this, never from `import.meta.url`.
 *
 * @example
 * import { ROOT } from "../support/root.js";
 * const cli = join(ROOT, "bin/rpdvt.js");
 */
import { realpathSync } from "node:fs";
import { dirname, join } from "node:path";

/** The repository root (where package.json is), with a trailing slash. */
export const ROOT = `${dirname(realpathSync(join(import.meta.dirname, "..", "..", "package.json")))}/`;
