import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Journal } from "../../../src/ops/journal.js";
import { makeTempDir } from "../../helpers.js";

describe("ops: migration journal", () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir("ops-journal");
  });
  after(() => fsp.rm(dir, { recursive: true, force: true }));

  it("appends fsync'd lines (0600), drops a torn last line, refuses a corrupt middle line", async () => {
    const file = join(dir, "journal.jsonl");
    const j = await Journal.open(file);
    await j.append("split", "begin");
    await j.append("split", "done", { out: "/x" });
    assert.equal(((await fsp.stat(file)).mode & 0o777).toString(8), "600");
    await fsp.appendFile(file, '{"seq":3,"step":"snap'); // a crash mid-write
    const again = await Journal.open(file, { create: false });
    assert.equal(again.entries.length, 2);
    assert.deepEqual(again.done("split")?.data, { out: "/x" });
    assert.deepEqual(again.lastStep(), { step: "split", done: true });
    await fsp.writeFile(file, 'garbage\n{"seq":2,"step":"x","status":"done"}\n');
    await assert.rejects(Journal.open(file), /line 1 is not JSON/);
    await assert.rejects(Journal.open(join(dir, "none.jsonl"), { create: false }), /not found/);
  });
});
