/**
 * src/errors.ts: viem's walk() over the cause chain, and a docs/errors.md section per error class
 * (printed by the CLI as the last "Docs:" line; `message` unchanged).
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { formatError } from "../../src/cli/run.js";
import {
  BaseError,
  errorDocsPath,
  InputError,
  OutputError,
  VerificationError,
  walk,
} from "../../src/errors.js";
import { SlashingProtectionError } from "../../src/slashing/errors.js";
import { ROOT } from "../support/root.js";

const repo = ROOT;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** GitHub heading anchors of docs/errors.md ("## InputError" → "inputerror"). */
async function anchors(): Promise<Set<string>> {
  const text = await readFile(join(repo, "docs/errors.md"), "utf8");
  return new Set(
    [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      (m[1] as string)
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, "")
        .replace(/ /g, "-"),
    ),
  );
}

describe("walk", () => {
  const root = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5052"), {
    code: "ECONNREFUSED",
  });
  const input = new InputError("Bad beacon URL", { field: "--beacon-url", cause: root });
  const top = new BaseError("Cannot reach the beacon node", { cause: input });

  it("without a predicate returns the innermost cause", () => {
    assert.equal(top.walk(), root);
    assert.equal(walk(top), root);
    assert.equal(new OutputError("x").walk() instanceof OutputError, true, "no cause → itself");
  });

  it("with a predicate returns the first match (itself included) or null", () => {
    assert.equal(
      top.walk((e) => e instanceof InputError),
      input,
    );
    assert.equal(
      top.walk((e) => e instanceof BaseError),
      top,
    );
    assert.equal(
      top.walk((e) => (e as { code?: string }).code === "ECONNREFUSED"),
      root,
    );
    assert.equal(
      top.walk((e) => e instanceof VerificationError),
      null,
    );
  });

  it("works on any value and stops on a cyclic chain", () => {
    assert.equal(walk("plain"), "plain");
    assert.equal(walk(undefined), undefined);
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    assert.ok(walk(a) === a || walk(a) === b);
    assert.equal(
      walk(a, (e) => e === null),
      null,
    );
  });
});

describe("docsPath", () => {
  it("each class names its own docs/errors.md section, and the section exists", async () => {
    const have = await anchors();
    const cases: [BaseError, string][] = [
      [new BaseError("x"), "baseerror"],
      [new InputError("x"), "inputerror"],
      [new VerificationError("x"), "verificationerror"],
      [new OutputError("x"), "outputerror"],
      [new SlashingProtectionError("DOUBLE_VOTE"), "slashingprotectionerror"],
    ];
    for (const [err, anchor] of cases) {
      assert.equal(err.docsPath, errorDocsPath(anchor));
      assert.ok(have.has(anchor), `docs/errors.md has a "${anchor}" section`);
    }
    assert.equal(
      new InputError("x", { docsPath: "docs/errors.md#x" }).docsPath,
      "docs/errors.md#x",
    );
  });

  it("every exported error class in src/ that derives from BaseError directly has its own section", async () => {
    const have = await anchors();
    const missing: string[] = [];
    let checked = 0;
    for (const file of await sources(join(repo, "src"))) {
      const text = await readFile(file, "utf8");
      const names = [...text.matchAll(/^export class (\w+) extends (\w+)/gm)];
      if (!names.length) continue;
      // Read the source from the repository, import the module the way this file's own imports
      // resolve (the compiled mirror under scripts/test.ts, the .ts file under tsx).
      const rel = relative(join(repo, "src"), file).replace(/\.ts$/, ".js");
      const mod = (await import(new URL(`../../src/${rel}`, import.meta.url).href)) as Record<
        string,
        unknown
      >;
      for (const [, name] of names) {
        const cls = mod[name as string] as typeof BaseError | undefined;
        if (typeof cls !== "function" || !(cls.prototype instanceof BaseError)) continue;
        checked++;
        const direct = Object.getPrototypeOf(cls) === BaseError;
        const anchor = cls.docsPath.split("#")[1] ?? "";
        if ((direct && !Object.hasOwn(cls, "docsPath")) || !have.has(anchor))
          missing.push(`${name} (${cls.docsPath})`);
      }
    }
    assert.ok(checked >= 6, `found ${checked} error classes`);
    assert.deepEqual(missing, []);
  });

  it("message is unchanged; only the CLI's human output ends with the Docs line", () => {
    const err = new InputError("Keystore checksum mismatch (wrong password?)", {
      file: "/k/keystore-0.json",
      field: "crypto.checksum",
    });
    assert.equal(
      err.message,
      "Keystore checksum mismatch (wrong password?)\n\nFile: /k/keystore-0.json\nField: crypto.checksum",
    );
    assert.doesNotMatch(err.message, /Docs:/);
    assert.equal(
      formatError(err),
      [
        "Error: Keystore checksum mismatch (wrong password?)",
        "  File: /k/keystore-0.json",
        "  Field: crypto.checksum",
        "  Docs: docs/errors.md#inputerror",
      ].join("\n"),
    );
    assert.equal(formatError(new Error("boom")), "Error: boom", "non-rpdvt errors: no Docs line");
  });
});
