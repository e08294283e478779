/**
 * The operator node's assembly (src/app): its place in the cluster (src/app/peers.ts: every
 * operator's key from its peer id, the identity file checked against the one registered for this
 * operator, the listen address), the undo stack (src/app/undo.ts: newest first, a failing undo
 * logged and the rest still run, each once) and the HTTP server (src/app/http.ts: bound on
 * 127.0.0.1 first, 503 until the node serves its routes, a port in use an InputError on
 * --metrics-port). n = 4 and n = 7 clusters.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { bindNodeHttp } from "../../../src/app/http.js";
import { clusterPeers, selfInCluster } from "../../../src/app/peers.js";
import { createUndoStack } from "../../../src/app/undo.js";
import { freePort } from "../../../src/devnet/start.js";
import { InputError } from "../../../src/errors.js";
import type { ClusterDefinition } from "../../../src/keysplit/cluster.js";
import { generateIdentity, identityString } from "../../../src/p2p/identity.js";

function cluster(n: number) {
  const ids = Array.from({ length: n }, () => generateIdentity());
  const def = {
    operators: ids.map((id, i) => ({
      id: 10 + i,
      identity: identityString(id),
      endpoint: `127.0.0.1:${9000 + i}`,
    })),
  } as unknown as ClusterDefinition;
  return { ids, def };
}

for (const n of [4, 7]) {
  test(`n = ${n}: every operator's key from its peer id; this operator's index and endpoint`, () => {
    const { ids, def } = cluster(n);
    const peers = clusterPeers(def);
    assert.equal(peers.length, n);
    peers.forEach((p, i) => {
      assert.deepEqual(p.publicKey, (ids[i] as (typeof ids)[number]).publicKey);
      assert.equal(p.address, `127.0.0.1:${9000 + i}`);
    });
    const last = n - 1;
    const self = selfInCluster(
      def,
      peers,
      10 + last,
      (ids[last] as (typeof ids)[number]).publicKey,
      "id.json",
      undefined,
    );
    assert.deepEqual(self, { index: last, listen: `127.0.0.1:${9000 + last}` });
    // --listen wins over the endpoint
    assert.equal(
      selfInCluster(
        def,
        peers,
        10,
        (ids[0] as (typeof ids)[number]).publicKey,
        "id.json",
        "0.0.0.0:1",
      ).listen,
      "0.0.0.0:1",
    );
  });
}

test("another operator's identity file, an unknown operator, no identity, no listen address: InputErrors that say where", () => {
  const { ids, def } = cluster(4);
  const peers = clusterPeers(def);
  const other = (ids[1] as (typeof ids)[number]).publicKey;
  assert.throws(
    () => selfInCluster(def, peers, 10, other, "/keys/id.json", undefined),
    (e: unknown) =>
      e instanceof InputError &&
      /not operator 10's identity/.test(e.message) &&
      e.metaMessages.some((m) => m.includes("/keys/id.json")),
  );
  assert.throws(() => selfInCluster(def, peers, 99, other, "id.json", undefined), InputError);
  const noEndpoint = {
    operators: def.operators.map((o) => ({ ...o, endpoint: undefined })),
  } as unknown as ClusterDefinition;
  assert.throws(
    () =>
      selfInCluster(
        noEndpoint,
        clusterPeers(noEndpoint),
        10,
        (ids[0] as (typeof ids)[number]).publicKey,
        "id.json",
        undefined,
      ),
    (e: unknown) => e instanceof InputError && /--listen/.test(e.message),
  );
  const noIdentity = {
    operators: def.operators.map((o, i) => (i === 2 ? { ...o, identity: null } : o)),
  } as unknown as ClusterDefinition;
  assert.throws(
    () => clusterPeers(noIdentity),
    (e: unknown) =>
      e instanceof InputError &&
      /Operator 12 has no p2p identity/.test(e.message) &&
      e.metaMessages.some((m) => m.includes("cluster set-identities")),
  );
});

test("undo stack: newest first, a failing undo is logged and the others still run, each once", async () => {
  const order: string[] = [];
  const logged: unknown[] = [];
  const s = createUndoStack((event, fields) => logged.push({ event, ...fields }));
  s.push("http server", () => {
    order.push("http");
  });
  s.push("slashing-protection DB", () => {
    throw new Error("busy");
  });
  s.push("p2p transport", async () => {
    order.push("p2p");
  });
  await s.undoAll();
  await s.undoAll();
  assert.deepEqual(order, ["p2p", "http"]);
  assert.deepEqual(logged, [
    { event: "error", what: "stop slashing-protection DB", message: "busy" },
  ]);
});

test("HTTP server: 503 until the node serves its routes; a port in use is an InputError on --metrics-port", async () => {
  const log = () => {};
  const first = await bindNodeHttp(await freePort(), log);
  try {
    const url = `http://127.0.0.1:${first.port}/status`;
    assert.equal((await fetch(url)).status, 503);
    first.serve((_req, res) => {
      res.writeHead(200).end("ok");
    });
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "ok");
    await assert.rejects(
      bindNodeHttp(first.port, log),
      (e: unknown) =>
        e instanceof InputError &&
        /--metrics-port/.test(`${e.message} ${e.metaMessages.join(" ")}`),
    );
  } finally {
    await first.close();
  }
});
