/**
 * The steps of `rpdvt migrate` after the plan (./migrate.ts lists them and their sources), run in
 * order over one {@link MigrationRun}: each step is journaled begin → done (../journal.ts) with
 * the data it returns, skipped when the journal already has it done (a resume then reuses that
 * data), and a failure is journaled before it is thrown. Every step is idempotent.
 */
import { currentEpoch } from "../../core/beacon.js";
import { BaseError, InputError } from "../../errors.js";
import { type SplitSummary, splitKeys } from "../../keysplit/run.js";
import { readRocketPoolKeys } from "../../rocketpool/datadir.js";
import { describeStaleTemp, pathExists, removeStaleTemps } from "../../util/fs.js";
import { crashPoint, type Journal } from "../journal.js";
import {
  applyQuarantine,
  planQuarantine,
  readManifest,
  snapshotQuarantine,
} from "../quarantine/quarantine.js";
import { type Handover, handOver } from "./handover.js";
import { type ExportedHistory, exportHistory } from "./history.js";
import { type Clock, systemClock, waitUntilNotLive } from "./liveness.js";
import { walletBound } from "./plan.js";
import {
  hexOf,
  type MigrationPlan,
  type MigrationResult,
  type MigrationRuntime,
  type ResumedSplit,
  type Step,
} from "./types.js";

/** Said (and kept in the result) when the liveness wait is skipped. */
const LIVENESS_SKIPPED_WARNING =
  "LIVENESS WAIT SKIPPED: nothing proved that no other machine still signs with these keys. Starting the cluster now risks slashing.";

/** What the `liveness` step records. */
type LivenessRecord = { skipped?: boolean; checkedEpochs?: number[]; indices?: number[] };

/**
 * One run of a migration's steps (a start or a resume): the migration folder, its plan and
 * journal, the caller's runtime, and the result built step by step.
 *
 * @example
 * const result = await new MigrationRun(dir, plan, journal, rt).run();
 */
export class MigrationRun {
  private readonly log: (line: string) => void;
  private readonly clock: Clock;
  private readonly result: MigrationResult;

  constructor(
    private readonly dir: string,
    private readonly plan: MigrationPlan,
    private readonly journal: Journal,
    private readonly rt: MigrationRuntime,
  ) {
    this.log = rt.log ?? (() => {});
    this.clock = rt.clock ?? systemClock;
    this.result = {
      id: plan.id,
      dir,
      out: plan.out,
      split: undefined,
      checkedEpochs: [],
      livenessSkipped: false,
      handover: [],
      imported: [],
      warnings: [...(plan.warnings ?? [])],
      removedTemps: [],
    };
  }

  /**
   * Run every step not done yet, in order.
   *
   * @example
   * const result = await new MigrationRun(dir, plan, journal, rt).run();
   */
  async run(): Promise<MigrationResult> {
    this.result.split = await this.step("split", () => this.split());
    await this.step("snapshot", () => this.snapshot());
    const exported = await this.step("slashing-export", () =>
      exportHistory(this.dir, this.plan, this.journal, { ...this.rt, clock: this.clock }),
    );
    await this.step("quarantine", () => this.quarantine());
    const live = await this.step("liveness", () => this.liveness(exported));
    this.result.livenessSkipped = live?.skipped === true;
    this.result.checkedEpochs = live?.checkedEpochs ?? [];
    const handover = await this.step<Handover>("handover", () => handOver(this.dir, this.plan));
    this.result.handover = handover.files;
    this.result.imported = handover.imported;
    await this.step("complete", async () => ({ warnings: this.result.warnings.length }));
    return this.result;
  }

  /** Run step `name` unless the journal has it done (then return what it recorded). */
  private async step<T>(name: Step, fn: () => Promise<T>): Promise<T> {
    if (this.journal.isDone(name)) {
      this.log(`✓ ${name} (already done)`);
      return this.journal.done(name)?.data as T;
    }
    await this.journal.append(name, "begin");
    this.log(`… ${name}`);
    let data: T;
    try {
      data = await fn();
    } catch (err) {
      await this.journal.append(name, "failed", {
        error: err instanceof BaseError ? err.shortMessage : String(err),
      });
      throw err;
    }
    await this.journal.append(name, "done", data);
    this.log(`✓ ${name}`);
    crashPoint(name);
    return data;
  }

  private pubkeyBytes(): Uint8Array[] {
    return this.plan.validators.map((v) => new Uint8Array(Buffer.from(hexOf(v), "hex")));
  }

  /** Remove (and report) what an interrupted split left next to the output (it may hold keys). */
  private async removeStaleTemps(): Promise<void> {
    const removed = await removeStaleTemps(this.plan.out);
    if (removed.length === 0) return;
    await this.journal.append("split", "info", { removedTemps: removed.map((r) => r.path) });
    for (const r of removed) {
      this.log(`  ${describeStaleTemp(r)}`);
      this.result.removedTemps.push(r.path);
    }
  }

  /** Keys → shares (src/keysplit/run.ts), written atomically at `out`. */
  private async split(): Promise<SplitSummary | ResumedSplit> {
    await this.removeStaleTemps();
    if (await pathExists(this.plan.out)) {
      // The split output is written atomically: if it exists, an earlier run finished it.
      return { format: this.plan.split.format, out: this.plan.out, resumed: true };
    }
    const { keys, warnings } = await readRocketPoolKeys(this.plan.dataDir, {
      validators: this.pubkeyBytes(),
      ...walletBound(this.plan.maxWalletAccounts),
    });
    this.result.warnings.push(...warnings);
    try {
      return await splitKeys(keys, this.plan.out, this.plan.split, {
        quiet: this.rt.quiet ?? true,
      });
    } finally {
      for (const k of keys) k.secret.fill(0);
    }
  }

  /** Byte copies of everything the quarantine will touch (+ manifest). */
  private async snapshot() {
    const { dataDir, validators } = this.plan;
    const items = await planQuarantine(dataDir, validators.map(hexOf));
    const m = await snapshotQuarantine(dataDir, this.dir, items, {
      migrationId: this.plan.id,
      pubkeys: validators.map(hexOf),
    });
    return { items: m.items.length, files: m.files.length };
  }

  /** Keys moved out of every client layout (../quarantine/quarantine.ts). */
  private async quarantine() {
    const manifest = await readManifest(this.dir);
    const report = await applyQuarantine(this.plan.dataDir, this.dir, manifest, this.journal);
    return { actions: report.length };
  }

  /**
   * The epoch to count from: after the removal AND after any epoch seen live (a resume after a
   * doppelganger alarm must not count the epochs before the other signer was stopped).
   */
  private countFrom(chainNow: number, exported: ExportedHistory | undefined): number {
    const lastLive = this.journal.entries
      .filter((e) => e.step === "liveness" && e.status === "info")
      .map((e) => e.data as { epoch: number; live: number[] })
      .filter((d) => d.live.length > 0)
      .reduce((m, d) => Math.max(m, d.epoch), -1);
    return Math.max(exported?.removedEpoch ?? chainNow, lastLive);
  }

  /** Whole epochs with the validators NOT live (./liveness.ts), unless skipped. */
  private async liveness(exported: ExportedHistory | undefined): Promise<LivenessRecord> {
    if (this.plan.skipLiveness) {
      this.result.warnings.push(LIVENESS_SKIPPED_WARNING);
      this.log(`!!! ${LIVENESS_SKIPPED_WARNING}`);
      return { skipped: true };
    }
    const beacon = this.rt.beacon;
    if (!beacon)
      throw new InputError("--beacon-url is needed to watch liveness", { field: "--beacon-url" });
    const chain = await beacon.chainInfo();
    const r = await waitUntilNotLive(beacon, this.pubkeyBytes(), {
      removedEpoch: this.countFrom(currentEpoch(chain, this.clock.now()), exported),
      epochs: this.plan.livenessEpochs,
      clock: this.clock,
      onEpoch: async (epoch, liveIdx) => {
        await this.journal.append("liveness", "info", { epoch, live: liveIdx });
        this.log(
          `  epoch ${epoch}: ${liveIdx.length === 0 ? "not live" : `LIVE ${liveIdx.join(",")}`}`,
        );
      },
    });
    if (r.unknown.length)
      this.result.warnings.push(
        `${r.unknown.length} validator(s) unknown to the beacon chain (not deposited?): ${r.unknown.join(", ")}`,
      );
    return { checkedEpochs: r.checkedEpochs, indices: r.indices };
  }
}

/**
 * Run a migration's remaining steps.
 *
 * @example
 * const result = await runSteps(dir, plan, journal, rt);
 */
export function runSteps(
  dir: string,
  plan: MigrationPlan,
  journal: Journal,
  rt: MigrationRuntime,
): Promise<MigrationResult> {
  return new MigrationRun(dir, plan, journal, rt).run();
}
