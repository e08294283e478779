/**
 * End-to-end measurements of issue 17 items 5 and 6 on the REAL devnet (Lodestar 1.5.1 `dev`,
 * minimal preset, 4 s slots, 64 validators; a 4-operator squad runs 48..63), the squad's beacon
 * traffic through recording proxies (test/support/beacon-proxy.ts):
 *
 * 1. attest on head: the same squad without and with `--attest-on-head`; per attester slot, when
 *    the attestation data was asked and when the first attestation reached the beacon node (ms
 *    after the slot start; the decided-by time plus signing and aggregation).
 * 2. several beacon nodes, one lagging (its head 2 slots behind, answering at once; the good one
 *    100 ms slower): `--beacon-url lagging --beacon-url good` with `attestation=first` (what a
 *    first-success client does: the first answer) and with the default majority strategy; the
 *    fraction of posted attestations whose head vote is the canonical block of their slot.
 *
 * Prints one JSON line per phase (the numbers of docs/operations.md). Not installed → FAILS
 * naming the install command (bash devnet/lodestar/install.sh).
 *
 * Opt-in (`npm run test:beacon-strategy-devnet`, ~9 min), not part of `npm test`: its last bar —
 * the majority strategy posts at least as many attestations as first-success — was missed by one
 * in the last run (Dec 7 2026, quiet host, after 5b3fb0d made majority decide once settled):
 * majority 26 posted, 26 right head votes (100 %), posting p90 1,499 ms; first-success 27 posted,
 * 0 right (it follows the lagging node), p90 1,477 ms. The run before the change: majority 24
 * posted (p90 4.2 s in 4 s slots), first-success 30. Both phases miss 5–6 of 32 duties for another
 * reason (each phase restarts the squad), so one duty is within the noise of a 2-epoch window;
 * issue 17 item 6 stays open until the bar holds (or a per-duty comparison replaces it). The
 * strategy's correctness is proven by test/unit/beacon/strategy/**.
 */
import "../../src/devnet/preset.js";
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  DEVNET_DV_INDICES,
  type DevnetHandle,
  ensureInstalled,
  interopPublicKey,
  interopSecretKey,
  startDevnet,
} from "../../src/devnet/index.js";
import { startSquad } from "../../src/devnet/squad.js";
import { makeTempDir } from "../helpers.js";
import { type BeaconProxy, type ProxyRecord, startBeaconProxy } from "../support/beacon-proxy.js";

const SPE = 8;
/** Measured epochs per phase, and the slot length: 4 s leaves a loaded 2-core host room (2 s did not). */
const EPOCHS = 2;
const SECONDS_PER_SLOT = 4;
const FEE_RECIPIENT = "0xd4e96ef8eee8678dbff4d535e033ed1a4f7605b7";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number) : null;
};

describe("e2e: attest on head and beacon strategies on the devnet (Lodestar 1.5.1)", () => {
  let dir = "";
  let devnet: DevnetHandle | undefined;
  const proxies: BeaconProxy[] = [];
  before(async () => {
    try {
      await ensureInstalled();
    } catch (err) {
      assert.fail(
        `Lodestar devnet not installed: run bash devnet/lodestar/install.sh (${(err as Error).message})`,
      );
    }
    dir = await makeTempDir("beacon-strategy");
    devnet = await startDevnet({
      validators: 64,
      lodestarValidators: "0..47",
      workDir: join(dir, "devnet"),
      genesisDelay: 20,
      secondsPerSlot: SECONDS_PER_SLOT,
    });
  });
  after(async () => {
    for (const p of proxies) await p.close();
    await devnet?.stop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  const slotMs = () => (devnet as DevnetHandle).secondsPerSlot * 1000;
  const slotStart = (slot: number) => (devnet as DevnetHandle).genesisTime * 1000 + slot * slotMs();
  const nowSlot = () => Math.floor((Date.now() - slotStart(0)) / slotMs());

  /** Run the squad with `urls` (first the squad's own flag) and `args` for EPOCHS full epochs. */
  async function phase(name: string, urls: BeaconProxy[], args: string[]) {
    const squad = await startSquad({
      workDir: join(dir, name),
      keys: DEVNET_DV_INDICES.map((i) => ({
        pubkey: interopPublicKey(i),
        secret: interopSecretKey(i),
      })),
      operatorIds: [1, 2, 3, 4],
      beaconUrl: (urls[0] as BeaconProxy).url,
      feeRecipient: FEE_RECIPIENT,
      doppelgangerEpochs: 0,
      nodeArgs: [...urls.slice(1).flatMap((u) => ["--beacon-url", u.url]), ...args],
    });
    try {
      const from = (Math.floor(nowSlot() / SPE) + 1) * SPE;
      const to = from + EPOCHS * SPE;
      while (nowSlot() < to + 1) await sleep(500);
      return { from, to };
    } finally {
      await squad.stopAll();
      // A fresh slashing DB per phase: the next phase signs from a later epoch only.
      await sleep(slotMs() * SPE);
    }
  }

  const inWindow = (
    w: { from: number; to: number },
    rs: ProxyRecord[],
    kind: ProxyRecord["kind"],
  ) => rs.filter((r) => r.kind === kind && r.slot >= w.from && r.slot < w.to);

  /** Per slot, the first time (ms after the slot start) of `kind`. */
  const firstPerSlot = (rs: ProxyRecord[]) => {
    const first = new Map<number, number>();
    for (const r of rs) {
      const t = r.atMs - slotStart(r.slot);
      first.set(r.slot, Math.min(first.get(r.slot) ?? Infinity, t));
    }
    return [...first.values()];
  };

  const canonicalRoot = async (slot: number): Promise<string> => {
    const url = (devnet as DevnetHandle).restUrl;
    for (let s = slot; s >= 0; s--) {
      const r = await fetch(`${url}/eth/v1/beacon/blocks/${s}/root`);
      if (r.status === 200) return ((await r.json()) as { data: { root: string } }).data.root;
      await r.body?.cancel();
    }
    return "";
  };

  const timing = (w: { from: number; to: number }, p: BeaconProxy) => {
    const fetched = firstPerSlot(inWindow(w, p.records, "attestation-data"));
    const posted = firstPerSlot(inWindow(w, p.records, "attestation"));
    return {
      slots: posted.length,
      fetchMs: { median: quantile(fetched, 0.5), p90: quantile(fetched, 0.9) },
      postedMs: { median: quantile(posted, 0.5), p90: quantile(posted, 0.9) },
    };
  };

  const headVotes = async (w: { from: number; to: number }, ps: BeaconProxy[]) => {
    const seen = new Map<string, { slot: number; root: string }>();
    for (const p of ps)
      for (const r of inWindow(w, p.records, "attestation"))
        if (r.kind === "attestation") seen.set(`${r.slot}/${r.bits}/${r.root}`, r);
    const roots = new Map<number, string>();
    let right = 0;
    for (const a of seen.values()) {
      if (!roots.has(a.slot)) roots.set(a.slot, await canonicalRoot(a.slot));
      if (roots.get(a.slot) === a.root) right++;
    }
    return {
      attestations: seen.size,
      rightHead: right,
      fraction: seen.size ? right / seen.size : null,
    };
  };

  test("attest on head: earlier attestations; majority over a lagging node: right head votes", {
    timeout: 1_800_000,
  }, async () => {
    const d = devnet as DevnetHandle;
    const good = await startBeaconProxy({ upstream: d.restUrl });
    proxies.push(good);
    const off = await phase("at-third", [good], []);
    const tOff = timing(off, good);
    console.log(JSON.stringify({ phase: "attest at 1/3", ...tOff }));
    const on = await phase("on-head", [good], ["--attest-on-head"]);
    const tOn = timing(on, good);
    console.log(JSON.stringify({ phase: "attest on head", ...tOn }));

    const lagging = await startBeaconProxy({
      upstream: d.restUrl,
      lagSlots: 2,
      secondsPerSlot: SECONDS_PER_SLOT,
    });
    const slowGood = await startBeaconProxy({ upstream: d.restUrl, delayMs: 100 });
    proxies.push(lagging, slowGood);
    const first = await phase(
      "first",
      [lagging, slowGood],
      ["--beacon-strategy", "attestation=first"],
    );
    const vFirst = await headVotes(first, [lagging, slowGood]);
    console.log(
      JSON.stringify({
        phase: "lagging + good, attestation=first",
        ...vFirst,
        ...timing(first, lagging),
      }),
    );
    const majority = await phase("majority", [lagging, slowGood], []);
    const vMaj = await headVotes(majority, [lagging, slowGood]);
    console.log(
      JSON.stringify({
        phase: "lagging + good, attestation=majority",
        ...vMaj,
        ...timing(majority, lagging),
      }),
    );

    assert.ok(tOff.slots >= EPOCHS * 4 && tOn.slots >= EPOCHS * 4, "the squad attested");
    assert.ok(
      (tOn.fetchMs.median ?? Infinity) < (tOff.fetchMs.median ?? 0),
      "fetched earlier on head",
    );
    assert.ok(
      (tOn.postedMs.median ?? Infinity) < (tOff.postedMs.median ?? 0),
      "posted earlier on head",
    );
    assert.ok(vFirst.attestations > 0 && vMaj.attestations > 0);
    assert.ok(
      (vMaj.fraction ?? 0) > (vFirst.fraction ?? 1) && vMaj.rightHead > vFirst.rightHead,
      "majority votes the right head more often, and more right head votes in all",
    );
    // A strategy must never cost duties against first-success.
    assert.ok(
      vMaj.attestations >= vFirst.attestations,
      `majority posted ${vMaj.attestations} attestations, first-success ${vFirst.attestations}`,
    );
  });
});
