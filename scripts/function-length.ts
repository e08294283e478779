/**
 * Function length lint (issue 14 item 8: "no function over ~80 lines without a reason stated in
 * its header"). Walks the TypeScript AST of every `.ts` file under the given folders (the
 * TypeScript compiler API, https://github.com/microsoft/TypeScript/wiki/Using-the-Compiler-API)
 * and lists each function, method, arrow function or function expression longer than the limit,
 * counted from its first to its last line.
 *
 * A function may stay long when its header says why: a JSDoc or line comment directly above it
 * (or above the statement that declares it) containing `long-function:` followed by the reason.
 * Functions that other engineers still own may be listed with a reason in
 * `scripts/function-length-allow.json` (`{"path:name": "reason"}`); an entry that no longer
 * matches a long function is reported as stale (a warning: remove it, so the list only shrinks).
 *
 * Exit status 1 when a long function has no reason. `npm run lint:length` runs it on src/ and
 * `npm run check` runs that.
 *
 * @example
 * // npx tsx scripts/function-length.ts src            (default limit 80 lines)
 * // npx tsx scripts/function-length.ts --max 60 --json src/cli
 */
import { readFileSync, statSync } from "node:fs";
import { relative } from "node:path";
import ts from "typescript";
import { listFiles } from "./files.js";

/** One function over the limit. */
export interface LongFunction {
  file: string;
  name: string;
  line: number;
  lines: number;
  reason?: string;
}

/** Marker a header comment uses to state why a function may stay long. */
export const REASON_MARKER = "long-function:";

/**
 * Lists the `.ts` files under a folder (sorted, skipping `node_modules` and declaration files).
 *
 * @example
 * listTsFiles("src").length > 0;
 */
export function listTsFiles(root: string): string[] {
  if (statSync(root).isFile()) return root.endsWith(".ts") ? [root] : [];
  return listFiles(root).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
}

function functionName(node: ts.Node, source: ts.SourceFile): string {
  const named = node as ts.FunctionLikeDeclaration;
  if (named.name) {
    const owner =
      ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : "";
    return owner + named.name.getText(source);
  }
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) {
    return parent.name.getText(source);
  }
  if (ts.isCallExpression(parent)) {
    return `(callback of ${parent.expression.getText(source).slice(0, 40)})`;
  }
  return "(anonymous)";
}

/** The header comment text of a function: its own leading comments and its statement's. */
function headerText(node: ts.Node, source: ts.SourceFile): string {
  const text = source.getFullText();
  const parts: string[] = [];
  let current: ts.Node | undefined = node;
  for (let depth = 0; current && depth < 4; depth++) {
    for (const range of ts.getLeadingCommentRanges(text, current.getFullStart()) ?? []) {
      parts.push(text.slice(range.pos, range.end));
    }
    if (ts.isStatement(current) || ts.isClassElement(current)) break;
    current = current.parent;
  }
  return parts.join("\n");
}

/**
 * Finds the functions longer than `max` lines in one file's text.
 *
 * @example
 * const long = findLongFunctions("a.ts", "function f() {\n}\n", 80); // []
 */
export function findLongFunctions(file: string, text: string, max: number): LongFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > max) {
        const header = headerText(node, source);
        const at = header.indexOf(REASON_MARKER);
        const reason =
          at >= 0
            ? header
                .slice(at + REASON_MARKER.length)
                .split("\n")[0]
                ?.replace(/\*\/.*$/, "")
                .trim()
            : undefined;
        out.push({ file, name: functionName(node, source), line: start + 1, lines, reason });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function main(argv: string[]): number {
  let max = 80;
  let json = false;
  const roots: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--max") {
      max = Number(argv[++i]);
      if (!Number.isInteger(max) || max < 1) {
        process.stderr.write("--max takes a whole number of lines (e.g. --max 80)\n");
        return 2;
      }
    } else if (arg === "--json") json = true;
    else if (arg === "--help" || arg === "-h") {
      process.stdout.write(
        "usage: tsx scripts/function-length.ts [--max N] [--json] [--allow FILE] <folder|file>...\n" +
          "Lists functions longer than N lines (default 80) without a `long-function: <reason>`\n" +
          "header comment or an entry in the allow-list (default scripts/function-length-allow.json).\n",
      );
      return 0;
    } else roots.push(arg);
  }
  if (roots.length === 0) roots.push("src");
  const allowPath = "scripts/function-length-allow.json";
  let allow: Record<string, string> = {};
  try {
    allow = JSON.parse(readFileSync(allowPath, "utf8")) as Record<string, string>;
  } catch {
    allow = {};
  }
  const found: LongFunction[] = [];
  for (const root of roots) {
    for (const file of listTsFiles(root)) {
      found.push(...findLongFunctions(relative(".", file), readFileSync(file, "utf8"), max));
    }
  }
  const used = new Set<string>();
  for (const fn of found) {
    const key = `${fn.file}:${fn.name}`;
    if (!fn.reason && allow[key]) {
      fn.reason = `allow-list: ${allow[key]}`;
      used.add(key);
    }
  }
  const unexplained = found.filter((fn) => !fn.reason);
  const stale = Object.keys(allow).filter(
    (key) => !used.has(key) && roots.some((root) => key.startsWith(root)),
  );
  if (json) {
    process.stdout.write(`${JSON.stringify({ max, found, unexplained, stale }, null, 2)}\n`);
  } else {
    for (const fn of found.sort((a, b) => b.lines - a.lines)) {
      const why = fn.reason ? `  (${fn.reason})` : "  NO REASON";
      process.stdout.write(`${fn.lines}\t${fn.file}:${fn.line} ${fn.name}${why}\n`);
    }
    for (const key of stale) {
      process.stdout.write(`stale allow-list entry (remove it from ${allowPath}): ${key}\n`);
    }
    process.stdout.write(
      `${found.length} function(s) over ${max} lines, ${unexplained.length} without a reason\n`,
    );
    if (unexplained.length > 0) {
      process.stdout.write(
        `Split them into named functions, or state why in a header comment: // ${REASON_MARKER} <reason>\n`,
      );
    }
  }
  return unexplained.length > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
