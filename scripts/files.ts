/**
 * Every file under a folder, for the repository's scripts (scripts/test.ts, scripts/function-length.ts).
 *
 * @example
 * listFiles("src").filter((f) => f.endsWith(".ts"));
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Every file under `root` (paths joined onto it), sorted, skipping `node_modules` folders.
 *
 * @example
 * listFiles("test/spec"); // ["test/spec/eip2335.test.ts", …, "test/spec/vectors/README.md", …]
 */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}
