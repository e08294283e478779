/**
 * Added duty latency (what a DV costs over one signer). Each node's Prometheus histogram
 * rpdvt_duty_fetch_to_broadcast_seconds{type="attester"} (per validator: unsigned data fetched →
 * aggregate signature handed to the beacon node) is scraped at the start and the end of the
 * all-operators-up phase; the difference, pooled over the nodes, gives median and p99
 * (interpolated inside the histogram's buckets, like Prometheus histogram_quantile: within half a
 * bucket width). A single signer's own time on that path — one slashing-protection
 * check-and-insert plus one BLS signature, the same src/core/signer code on a SQLite file — is
 * measured in this process on this host (median of {@link BASELINE_ROUNDS}) and subtracted.
 */
import { type HistogramBucket, histogramQuantile } from "../../core/metrics.js";
import { createProtectionView } from "../../core/protection.js";
import { createSigner } from "../../core/signer/signer.js";
import { DutyType } from "../../core/types.js";
import { BaseError } from "../../errors.js";
import type { ValidatorKey } from "../../keysplit/split.js";
import { SlashingProtectionDb } from "../../slashing/db.js";
import { toHex } from "../../util/hex.js";

/** Single-signer timing: warm-up rounds, then measured rounds (median taken). */
const BASELINE_WARMUP = 10;
const BASELINE_ROUNDS = 200;

/**
 * The added latency in the demo's summary (ms; null when not measured).
 *
 * @example
 * const a: AddedLatency = { median: 41.2, p99: 180.5, baselineSignMs: 1.3, samples: 256 };
 */
export type AddedLatency = {
  median: number | null;
  p99: number | null;
  baselineSignMs: number | null;
  samples: number;
};

/**
 * A single signer's time (ms, median) for one attestation on this host: the slashing-protection
 * check-and-insert (SQLite file in `dataDir`) plus one BLS signature with the full key — the same
 * src/core/signer code a DV node runs for its share.
 *
 * @example
 * const ms = singleSignerMs("/tmp/demo/single-signer", chain.genesisValidatorsRoot, keys[0]);
 */
export function singleSignerMs(
  dataDir: string,
  genesisValidatorsRoot: Uint8Array,
  key: ValidatorKey | undefined,
): number {
  if (!key) throw new BaseError("No squad key to time a single signer with");
  const db = SlashingProtectionDb.open(dataDir, { genesisValidatorsRoot });
  const pubkey = toHex(key.pubkey);
  const signer = createSigner({
    shares: new Map([[pubkey, key.secret]]),
    shareIdx: 0,
    slashingDb: db,
    view: createProtectionView(db),
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < BASELINE_WARMUP + BASELINE_ROUNDS; i++) {
      const signingRoot = crypto.getRandomValues(new Uint8Array(32));
      const protect = { kind: "attestation" as const, source: BigInt(i), target: BigInt(i + 1) };
      const t0 = performance.now();
      const r = signer.sign([{ pubkey, signingRoot, protect }], {
        slot: i + 1,
        type: DutyType.Attester,
      });
      const t = performance.now() - t0;
      if (r.signed.length !== 1) throw new BaseError("The single-signer baseline was refused");
      if (i >= BASELINE_WARMUP) times.push(t);
    }
  } finally {
    signer.close();
    db.close();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/**
 * Median / p99 (ms) of the histogram's growth between two scrapes, minus the baseline.
 *
 * @example
 * addedLatency(startBuckets, endBuckets, 1.3) // { median: 41.2, p99: 180.5, baselineSignMs: 1.3, samples: 256 }
 */
export function addedLatency(
  start: HistogramBucket[] | undefined,
  end: HistogramBucket[] | undefined,
  baselineSignMs: number | undefined,
): AddedLatency {
  const before = new Map((start ?? []).map((b) => [b.le, b.count]));
  const buckets = (end ?? []).map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) }));
  const round = (x: number) => Math.round(x * 10) / 10;
  const q = (p: number): number | null => {
    const v = histogramQuantile(buckets, p);
    return v === null || baselineSignMs === undefined ? null : round(v * 1000 - baselineSignMs);
  };
  return {
    median: q(0.5),
    p99: q(0.99),
    baselineSignMs: baselineSignMs === undefined ? null : round(baselineSignMs),
    samples: buckets.at(-1)?.count ?? 0,
  };
}

/**
 * What {@link createLatencyWindow} needs: the window's slots, how to scrape the nodes, and how to
 * time the single signer (run once, at the window's end: same host, same load).
 *
 * @example
 * const o: LatencyWindowOptions = { fromSlot: 24, toSlot: 39, scrape, timeSingleSigner };
 */
export type LatencyWindowOptions = {
  fromSlot: number;
  toSlot: number;
  scrape: () => Promise<HistogramBucket[]>;
  timeSingleSigner: () => number;
};

/**
 * The added-latency benchmark over a slot window: call `tick(slot)` each loop turn; it scrapes
 * once when the window opens and once (plus the single-signer timing) when it closes.
 *
 * @example
 * const w = createLatencyWindow({ fromSlot: 24, toSlot: 39, scrape, timeSingleSigner });
 * await w.tick(slot); // every loop turn
 * w.result(); // { median, p99, baselineSignMs, samples }
 */
export function createLatencyWindow(o: LatencyWindowOptions) {
  let start: HistogramBucket[] | undefined;
  let end: HistogramBucket[] | undefined;
  let baselineSignMs: number | undefined;
  return {
    async tick(slot: number): Promise<void> {
      if (!start && slot >= o.fromSlot) start = await o.scrape();
      if (start && !end && slot >= o.toSlot) {
        end = await o.scrape();
        baselineSignMs = o.timeSingleSigner();
      }
    },
    result: (): AddedLatency => addedLatency(start, end, baselineSignMs),
  };
}

/** What {@link createLatencyWindow} returns. */
export type LatencyWindow = ReturnType<typeof createLatencyWindow>;
