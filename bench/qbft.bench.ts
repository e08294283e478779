/**
 * QBFT cost per decided instance on the simulated network with zero latency (so the time is pure
 * CPU: encoding, decoding, hashing, signing, verification, state machine, simnet bookkeeping).
 * For n = 4, 7, 10, 13: wall time per instance (median/p99) and process CPU ms per instance, with
 * real secp256k1 identity signatures vs a no-op signer baseline measured in the same run, and the
 * ratio. All n nodes run in this one process, so "per instance" is the whole cluster's work; a real
 * node does ≈ 1/n of it. Run: npx tsx bench/qbft.bench.ts [--quick]
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import {
  secp256k1Signer,
  secp256k1TestKeys,
  secp256k1Verifier,
} from "../src/core/consensus/signer.js";
import { SECP256K1_BACKEND, type Secp256k1Backend } from "../src/crypto/secp256k1.js";
import { createSimCluster, type SigningScheme } from "../test/simnet/cluster.js";
import { measure, ms, type Stats, summarize, table } from "./util.js";

const quick = process.argv.includes("--quick");

async function perInstance(
  n: number,
  signing: SigningScheme,
  runs: number,
): Promise<{ wall: Stats; cpuMs: number; msgs: number }> {
  const c = createSimCluster({ n, seed: 1, signing, flushAsync: false });
  const times: number[] = [];
  let slot = 1;
  const one = async (): Promise<void> => {
    const instance = { slot: slot++, dutyType: 2 };
    c.start(instance);
    await c.net.run(c.net.now()); // zero latency: drains every message of the instance
    if (c.decidedBy(instance).size !== n) throw new Error(`n=${n}: instance ${slot} undecided`);
  };
  for (let i = 0; i < Math.min(5, runs); i++) await one(); // warm-up (JIT, caches)
  const sent0 = c.net.stats.sent;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await one();
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  if (c.violations().length) throw new Error(c.violations().join("\n"));
  return {
    wall: summarize(times),
    cpuMs: (cpu.user + cpu.system) / 1000 / runs,
    msgs: (c.net.stats.sent - sent0) / runs,
  };
}

const keys = secp256k1TestKeys(1, 1);
const msg = new Uint8Array(97).fill(7);
const sk = keys.secretKeys[0] as Uint8Array;
const pk = secp256k1.getPublicKey(sk, true);
const runs = { runs: quick ? 50 : 300 };
const backendCost = async (b: Secp256k1Backend) => {
  const signer = secp256k1Signer(sk, b);
  const verifier = secp256k1Verifier([pk], b);
  const sig = signer.sign(msg);
  return {
    sign: await measure(() => signer.sign(msg), runs),
    verify: await measure(() => verifier.verify(0, msg, sig), runs),
  };
};
const native = await backendCost("libsecp256k1");
const openssl = await backendCost("openssl");
const nobleSig = secp256k1.sign(msg, sk);
const nobleSign = await measure(() => secp256k1.sign(msg, sk), runs);
const nobleVerify = await measure(() => secp256k1.verify(nobleSig, msg, pk), runs);
console.log(
  `secp256k1 median (used: ${SECP256K1_BACKEND}): libsecp256k1 sign ${ms(native.sign.median)}, ` +
    `verify ${ms(native.verify.median)}; OpenSSL (node:crypto) sign ${ms(openssl.sign.median)}, ` +
    `verify ${ms(openssl.verify.median)}; @noble/curves sign ${ms(nobleSign.median)}, verify ` +
    `${ms(nobleVerify.median)} (verify: OpenSSL ${(openssl.verify.median / native.verify.median).toFixed(1)}×, ` +
    `noble ${(nobleVerify.median / native.verify.median).toFixed(1)}× libsecp256k1's)\n`,
);

const rows: (string | number)[][] = [
  [
    "n",
    "msgs/inst",
    "noop median",
    "noop p99",
    "noop CPU",
    "secp median",
    "secp p99",
    "secp CPU",
    "secp/noop (CPU)",
  ],
];
for (const n of [4, 7, 10, 13]) {
  const noopRuns = quick ? 20 : ({ 4: 300, 7: 200, 10: 120, 13: 80 } as Record<number, number>)[n];
  const secpRuns = quick ? 3 : ({ 4: 40, 7: 20, 10: 12, 13: 8 } as Record<number, number>)[n];
  const noop = await perInstance(n, "noop", noopRuns ?? 20);
  const secp = await perInstance(n, "secp256k1", secpRuns ?? 3);
  rows.push([
    n,
    noop.msgs.toFixed(0),
    ms(noop.wall.median),
    ms(noop.wall.p99),
    ms(noop.cpuMs),
    ms(secp.wall.median),
    ms(secp.wall.p99),
    ms(secp.cpuMs),
    `${(secp.cpuMs / noop.cpuMs).toFixed(1)}×`,
  ]);
}
table(rows);
console.log(
  "\nPer decided instance, whole cluster in one process, zero network latency. A node's own share " +
    "is ≈ 1/n of the CPU column.",
);
