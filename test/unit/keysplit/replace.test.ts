/**
 * cluster replace-operator (src/keysplit/replace.ts plan, replace-run.ts writing): fresh shares
 * for the new operator set (properties over random keys and subsets: any t new shares recover the
 * key, no t−1 do, old and new shares mixed never do unless t come from one set), n = 4 → 7, 7 → 4,
 * 4 → 4 with one replaced; the hash chain (previous inside the hash); refusals; resume.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { recoverSecret, type SecretShare } from "../../../src/crypto/shamir.js";
import { InputError, VerificationError } from "../../../src/errors.js";
import {
  type ClusterDefinition,
  loadOperator,
  readClusterDefinition,
  verifyCluster,
  writeCluster,
} from "../../../src/keysplit/cluster.js";
import { clusterDefinitionHash } from "../../../src/keysplit/cluster-hash.js";
import {
  DEFAULT_LEAD_EPOCHS,
  planReplacement,
  type ReplacementRequest,
} from "../../../src/keysplit/replace.js";
import { HANDOVER_FILE, runReplacement } from "../../../src/keysplit/replace-run.js";
import { splitValidatorKey, type ValidatorKey } from "../../../src/keysplit/split.js";
import { Journal } from "../../../src/ops/journal.js";
import { makeTempDir, randomValidatorKey } from "../../helpers.js";

const LIGHT = { n: 2 ** 10 };
const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);
const endpoint = (id: number, port = 9000) => `127.0.0.1:${port + id}`;

let root: string;
before(async () => {
  root = await makeTempDir("replace");
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/** A written old cluster (light KDF) of `count` validators over `opIds`; its keys and definition. */
async function oldCluster(
  name: string,
  opIds: number[],
  count: number,
): Promise<{ def: ClusterDefinition; keys: ValidatorKey[]; out: string }> {
  const keys = Array.from({ length: count }, (_, i) => randomValidatorKey(`m/12381/3600/${i}/0/0`));
  const out = join(root, name);
  await writeCluster(
    out,
    keys.map((k) => splitValidatorKey(k, opIds)),
    {
      operators: opIds.map((id) => ({ id, endpoint: endpoint(id) })),
      feeRecipients: FEE,
      kdfParams: LIGHT,
      quiet: true,
    },
  );
  return { def: await readClusterDefinition(join(out, "cluster.json")), keys, out };
}

/** Subsets of `k` distinct elements of `xs`, as a fast-check arbitrary. */
const subsetOf = <T>(xs: readonly T[], k: number) =>
  fc.shuffledSubarray([...xs], { minLength: k, maxLength: k });

const recovers = (shares: SecretShare[], secret: Uint8Array): boolean => {
  try {
    return Buffer.from(recoverSecret(shares)).equals(Buffer.from(secret));
  } catch {
    return false;
  }
};

describe("fresh shares for the new operator set (properties)", () => {
  for (const [from, to] of [
    [ids(4), [1, 2, 3, 5]],
    [ids(4), ids(7)],
    [ids(7), [1, 2, 3, 8]],
    [ids(7), [1, 2, 3, 4, 5, 6, 9]],
  ] as const) {
    test(`n = ${from.length} → ${to.length} (${to.join(",")}): any t new recover, t−1 do not, mixes do not`, () => {
      const key = randomValidatorKey("m/12381/3600/0/0/0");
      const old = splitValidatorKey(key, from);
      const fresh = splitValidatorKey(key, to);
      const tOld = old.threshold;
      const tNew = fresh.threshold;
      const newShares = fresh.shares.map((s) => ({ id: s.id, secret: s.secret }));
      const oldShares = old.shares.map((s) => ({ id: s.id, secret: s.secret }));
      fc.assert(
        fc.property(subsetOf(newShares, tNew), (set) => recovers(set, key.secret)),
        { numRuns: 40 },
      );
      fc.assert(
        fc.property(subsetOf(newShares, tNew - 1), (set) => !recovers(set, key.secret)),
        { numRuns: 40 },
      );
      // Mixed: at least one of each set, distinct x (operator ids), up to max(t) shares in all.
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: tOld - 1 }),
          fc.integer({ min: 1, max: Math.max(tOld, tNew) }),
          fc.integer({ min: 0, max: 2 ** 30 }),
          (nOld, total, seed) => {
            const pickOld = [...oldShares]
              .sort((a, b) => ((a.id * 7919 + seed) % 101) - ((b.id * 7919 + seed) % 101))
              .slice(0, nOld);
            const used = new Set(pickOld.map((s) => s.id));
            const pickNew = newShares
              .filter((s) => !used.has(s.id))
              .slice(0, Math.max(1, total - nOld));
            if (pickNew.length >= tNew) return true; // t of ONE set: recovers by design
            return !recovers([...pickOld, ...pickNew], key.secret);
          },
        ),
        { numRuns: 60 },
      );
      // The fresh polynomial is independent: a staying operator's share changed.
      const staying = to.filter((id) => (from as readonly number[]).includes(id));
      for (const id of staying) {
        const a = oldShares.find((s) => s.id === id)?.secret as Uint8Array;
        const b = newShares.find((s) => s.id === id)?.secret as Uint8Array;
        assert.notDeepEqual(a, b, `operator ${id}'s share must be fresh`);
      }
      assert.equal(
        recovers(oldShares.slice(0, tOld), key.secret),
        true,
        "t OLD shares still rebuild the key (documented)",
      );
    });
  }
});

describe("planReplacement refusals (before any key is read)", () => {
  let def: ClusterDefinition;
  before(async () => {
    def = (await oldCluster("refusals", ids(4), 1)).def;
  });
  const moved = new Map([1, 2, 3].map((id) => [id, endpoint(id, 9100)]));
  const base: ReplacementRequest = {
    replace: new Map([[4, 5]]),
    endpoints: moved,
    currentEpoch: 100,
  };
  const refuses = (req: Partial<ReplacementRequest>, re: RegExp, field: string) =>
    assert.throws(
      () => planReplacement(def, { ...base, ...req }),
      (e: unknown) => e instanceof InputError && re.test(e.shortMessage) && e.field === field,
    );
  test("activation epoch in the past, now, or too close", () => {
    refuses({ activationEpoch: 99 }, /not in the future/, "--activation-epoch");
    refuses({ activationEpoch: 100 }, /not in the future/, "--activation-epoch");
    refuses({ activationEpoch: 101 }, /only 1 epoch/, "--activation-epoch");
    assert.equal(planReplacement(def, { ...base, activationEpoch: 102 }).activationEpoch, 102);
    assert.equal(planReplacement(def, base).activationEpoch, 100 + DEFAULT_LEAD_EPOCHS);
  });
  test("unknown operator, n not in {4,7,10,13}, nothing changed, both or neither flag", () => {
    refuses({ replace: new Map([[9, 5]]) }, /Operator 9 is not in the cluster/, "--replace");
    refuses({ replace: new Map([[4, 3]]) }, /appears twice/, "--replace");
    refuses({ replace: undefined, operatorIds: ids(5) }, /Cluster size 5/, "--operator-ids");
    refuses({ replace: undefined, operatorIds: ids(6) }, /Cluster size 6/, "--operator-ids");
    refuses({ replace: new Map([[4, 4]]) }, /nothing to replace/, "--replace");
    refuses({ operatorIds: ids(4) }, /either --replace/, "--replace/--operator-ids");
    refuses({ replace: undefined }, /either --replace/, "--replace/--operator-ids");
    refuses({ endpoints: new Map([...moved, [9, "h:1"]]) }, /operator\(s\) 9/, "--endpoints");
  });
  test("a staying operator must move to a new endpoint (both clusters run side by side)", () => {
    refuses({ endpoints: new Map() }, /Operator 1 stays/, "--endpoints");
  });
  test("the plan: who stays, leaves, joins; thresholds", () => {
    const p = planReplacement(def, {
      ...base,
      replace: undefined,
      operatorIds: ids(7),
      endpoints: new Map(ids(7).map((id) => [id, endpoint(id, 9100)])),
    });
    assert.deepEqual([p.staying, p.removed, p.added], [[1, 2, 3, 4], [], [5, 6, 7]]);
    assert.deepEqual(p.threshold, { old: 3, new: 5 });
    const q = planReplacement(def, base);
    assert.deepEqual([q.staying, q.removed, q.added], [[1, 2, 3], [4], [5]]);
    assert.equal(q.operators.find((o) => o.id === 1)?.endpoint, endpoint(1, 9100));
  });
});

describe("runReplacement: written output, hash chain, resume", () => {
  test("4 → 4 (operator 4 replaced by 5), 24 validators: previous inside the hash, shares of the new set", async () => {
    const old = await oldCluster("old-24", ids(4), 24);
    const plan = planReplacement(old.def, {
      replace: new Map([[4, 5]]),
      endpoints: new Map([1, 2, 3, 5].map((id) => [id, endpoint(id, 9100)])),
      activationEpoch: 120,
      currentEpoch: 100,
    });
    const out = join(root, "new-24");
    const journal = await Journal.open(`${out}.journal.jsonl`);
    const r = await runReplacement({
      previous: old.def,
      plan,
      keys: old.keys,
      out,
      journal,
      kdfParams: LIGHT,
      quiet: true,
    });
    const def = await readClusterDefinition(join(out, "cluster.json"));
    assert.deepEqual(def.previous, { hash: old.def.hash, activationEpoch: 120 });
    assert.equal(r.hash, def.hash);
    assert.notEqual(def.hash, old.def.hash);
    assert.deepEqual(
      def.operators.map((o) => o.id),
      [1, 2, 3, 5],
    );
    assert.deepEqual(
      def.validators.map((v) => [v.pubkey, v.feeRecipient]),
      old.def.validators.map((v) => [v.pubkey, v.feeRecipient]),
    );
    const report = await verifyCluster(out, { quiet: true });
    assert.deepEqual(report.operators, [1, 2, 3, 5]);
    // Operators 1, 2, 5 of the NEW set recover every key; old operator 4's share with new 1, 2 does not.
    const load = (id: number) =>
      loadOperator(join(out, `operator-${id}`), undefined, { quiet: true });
    const [n1, n2, n5] = [await load(1), await load(2), await load(5)];
    const o4 = await loadOperator(join(old.out, "operator-4"), undefined, { quiet: true });
    for (const k of old.keys) {
      const pk = Buffer.from(k.pubkey).toString("hex");
      const share = (op: typeof o4, id: number) => ({
        id,
        secret: op.shares.get(`0x${pk}`) as Uint8Array,
      });
      assert.equal(recovers([share(n1, 1), share(n2, 2), share(n5, 5)], k.secret), true);
      assert.equal(recovers([share(n1, 1), share(n2, 2), share(o4, 4)], k.secret), false);
    }
    const handover = await fsp.readFile(join(out, HANDOVER_FILE), "utf8");
    assert.match(handover, /slashing-protection export/);
    assert.match(handover, /--previous-cluster/);
    assert.match(handover, /3 old shares together still rebuild/);
    // The hash covers previous: an edited activation epoch is refused.
    const json = JSON.parse(await fsp.readFile(join(out, "cluster.json"), "utf8"));
    json.previous.activationEpoch = 119;
    const forged = join(root, "forged.json");
    await fsp.writeFile(forged, JSON.stringify(json));
    await assert.rejects(readClusterDefinition(forged), VerificationError);
    json.hash = clusterDefinitionHash(json);
    await fsp.writeFile(forged, JSON.stringify(json));
    assert.notEqual(
      (await readClusterDefinition(forged)).hash,
      def.hash,
      "a re-hashed forgery has another hash",
    );
    // Rerun: everything resumed, nothing rewritten.
    const again = await runReplacement({
      previous: old.def,
      plan,
      keys: old.keys,
      out,
      journal: await Journal.open(`${out}.journal.jsonl`),
      kdfParams: LIGHT,
      quiet: true,
    });
    assert.deepEqual(again.resumed, ["plan", "write", "handover"]);
    assert.equal(again.hash, def.hash);
  });

  test("7 → 4 and 4 → 7: thresholds follow n", async () => {
    const seven = await oldCluster("old-7", ids(7), 2);
    const down = planReplacement(seven.def, {
      operatorIds: [1, 2, 3, 8],
      endpoints: new Map([1, 2, 3, 8].map((id) => [id, endpoint(id, 9100)])),
      activationEpoch: 10,
      currentEpoch: 0,
    });
    const outDown = join(root, "new-4-from-7");
    const r = await runReplacement({
      previous: seven.def,
      plan: down,
      keys: seven.keys,
      out: outDown,
      journal: await Journal.open(`${outDown}.j`),
      kdfParams: LIGHT,
      quiet: true,
    });
    assert.deepEqual([r.threshold, r.removed, r.added], [3, [4, 5, 6, 7], [8]]);
    const four = await oldCluster("old-4", ids(4), 2);
    const up = planReplacement(four.def, {
      operatorIds: ids(7),
      endpoints: new Map(ids(7).map((id) => [id, endpoint(id, 9100)])),
      activationEpoch: 10,
      currentEpoch: 0,
    });
    const outUp = join(root, "new-7-from-4");
    const u = await runReplacement({
      previous: four.def,
      plan: up,
      keys: four.keys,
      out: outUp,
      journal: await Journal.open(`${outUp}.j`),
      kdfParams: LIGHT,
      quiet: true,
    });
    assert.deepEqual([u.threshold, u.operators], [5, ids(7)]);
  });

  test("crash after the journal's write/begin: rerun completes; a different plan into the same --out is refused", async () => {
    const old = await oldCluster("old-crash", ids(4), 3);
    const mk = (epoch: number) =>
      planReplacement(old.def, {
        replace: new Map([[4, 5]]),
        endpoints: new Map([1, 2, 3, 5].map((id) => [id, endpoint(id, 9100)])),
        activationEpoch: epoch,
        currentEpoch: 0,
      });
    const out = join(root, "new-crash");
    const jf = `${out}.journal.jsonl`;
    const crash = new Error("simulated crash");
    await assert.rejects(
      runReplacement({
        previous: old.def,
        plan: mk(20),
        keys: old.keys,
        out,
        journal: await Journal.open(jf),
        kdfParams: LIGHT,
        quiet: true,
        afterStep: (s) => {
          if (s === "split") throw crash;
        },
      }),
      (e) => e === crash,
    );
    await assert.rejects(fsp.stat(out), "nothing at --out after the crash");
    await assert.rejects(
      runReplacement({
        previous: old.def,
        plan: mk(21),
        keys: old.keys,
        out,
        journal: await Journal.open(jf),
        kdfParams: LIGHT,
        quiet: true,
      }),
      (e) => e instanceof InputError && /different replacement/.test(e.shortMessage),
    );
    const r = await runReplacement({
      previous: old.def,
      plan: mk(20),
      keys: old.keys,
      out,
      journal: await Journal.open(jf),
      kdfParams: LIGHT,
      quiet: true,
    });
    assert.deepEqual(r.resumed, ["plan"]);
    assert.equal((await verifyCluster(out, { quiet: true })).validators, 3);
  });

  test("a wallet without one of the cluster's validators is refused, naming --rocketpool-dir", async () => {
    const old = await oldCluster("old-missing", ids(4), 2);
    const plan = planReplacement(old.def, {
      replace: new Map([[4, 5]]),
      endpoints: new Map([1, 2, 3, 5].map((id) => [id, endpoint(id, 9100)])),
      currentEpoch: 0,
    });
    const out = join(root, "new-missing");
    await assert.rejects(
      runReplacement({
        previous: old.def,
        plan,
        keys: old.keys.slice(1),
        out,
        journal: await Journal.open(`${out}.j`),
        kdfParams: LIGHT,
        quiet: true,
      }),
      (e) =>
        e instanceof InputError &&
        e.field === "--rocketpool-dir" &&
        /1 of the cluster's 2/.test(e.shortMessage),
    );
  });
});
