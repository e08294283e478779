/**
 * Deletion statements (src/keysplit/replace-statement.ts): signed with the removed operator's
 * identity key, verified against the OLD definition (its hash, the operator's peer id, the
 * signature), stored in the new output; any edit, another identity or another cluster is refused.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { InputError, VerificationError } from "../../../src/errors.js";
import type { ClusterDefinition } from "../../../src/keysplit/cluster.js";
import { clusterDefinitionHash } from "../../../src/keysplit/cluster-hash.js";
import {
  readDeletionStatement,
  recordDeletionStatement,
  signDeletionStatement,
} from "../../../src/keysplit/replace-statement.js";
import { generateIdentity } from "../../../src/p2p/identity.js";
import { makeTempDir } from "../../helpers.js";

const identities = [1, 2, 3, 4].map(() => generateIdentity());

function definition(name: string): ClusterDefinition {
  const plain = {
    version: "rpdvt-cluster/v1",
    name,
    createdAt: "2026-01-01T00:00:00.000Z",
    threshold: 3,
    operators: identities.map((id, i) => ({ id: i + 1, identity: id.peerId })),
    validators: [],
  };
  return { ...plain, hash: clusterDefinitionHash(plain) } as unknown as ClusterDefinition;
}

let root: string;
before(async () => {
  root = await makeTempDir("deletion");
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe("deletion statements", () => {
  const def = definition("old");
  const me = identities[3] as (typeof identities)[number];
  test("signed by operator 4, verified against the old definition, recorded", async () => {
    const st = signDeletionStatement(def, 4, me.secretKey, me.peerId);
    const file = join(root, "st.json");
    await fsp.writeFile(file, JSON.stringify(st));
    const back = await readDeletionStatement(file, def);
    assert.equal(back.operatorId, 4);
    assert.match(back.statement, /states that it has deleted/);
    const path = await recordDeletionStatement(join(root, "new"), back);
    assert.deepEqual(JSON.parse(await fsp.readFile(path, "utf8")), st);
  });
  test("refused: edited, another cluster, another operator's identity, unknown operator", async () => {
    const st = signDeletionStatement(def, 4, me.secretKey, me.peerId);
    const write = async (name: string, v: unknown) => {
      const f = join(root, name);
      await fsp.writeFile(f, JSON.stringify(v));
      return f;
    };
    const edited = await write("edited.json", { ...st, signedAt: "2020-01-01T00:00:00.000Z" });
    await assert.rejects(
      readDeletionStatement(edited, def),
      (e) => e instanceof VerificationError && /signature/.test(e.shortMessage),
    );
    const other = definition("other");
    await assert.rejects(
      readDeletionStatement(await write("ok.json", st), other),
      (e) => e instanceof VerificationError && /about cluster/.test(e.shortMessage),
    );
    const moved = await write("moved.json", { ...st, operatorId: 3 });
    await assert.rejects(
      readDeletionStatement(moved, def),
      (e) => e instanceof VerificationError && /peerId/.test(e.shortMessage),
    );
    assert.throws(
      () => signDeletionStatement(def, 3, me.secretKey, me.peerId),
      (e) => e instanceof InputError && e.field === "--identity",
    );
    assert.throws(
      () => signDeletionStatement(def, 9, me.secretKey, me.peerId),
      (e) => e instanceof InputError && e.field === "--operator-id",
    );
  });
});
