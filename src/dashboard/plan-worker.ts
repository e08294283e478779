/**
 * Runs the dashboard's planner ({@link planDashboard}, ./plan.ts) in a worker thread
 * (nodejs.org/api/worker_threads.html), off the DV node's event loop: an exact query can take
 * seconds of CPU (big-integer hypergeometric sums), and on the node's own thread it delayed
 * consensus messages and beacon answers (issue 12: 6.7 s). One worker, started on the first query
 * and kept; one query at a time, at most {@link MAX_PLAN_QUEUE} waiting (more: busy, 503); a query
 * running longer than `timeoutMs` terminates the worker (the next query starts a fresh one); the
 * worker's heap is capped ({@link PLAN_WORKER_HEAP_MB}).
 *
 * Under tsx (no build step) the worker registers tsx's loader before importing ./plan.ts.
 */
import { Worker } from "node:worker_threads";
import { BaseError, errorDocsPath, InputError } from "../errors.js";
import type { PlanQuery, PlanResult } from "./plan.js";

/**
 * Default time limit of one planner query, worker start included. Within the input bounds most
 * queries take well under 1 s; the slowest found (n = 10, 500 + 10,000 shares, group 128: exact
 * big-integer sums for P(any group controlled)) took ~16 s and is stopped here.
 */
export const PLAN_TIMEOUT_MS = 15_000;
/**
 * Queries allowed to wait while one runs.
 *
 * @example
 * MAX_PLAN_QUEUE; // 2
 */
export const MAX_PLAN_QUEUE = 2;
/**
 * Heap limit of the planner worker (MiB).
 *
 * @example
 * PLAN_WORKER_HEAP_MB; // 512
 */
export const PLAN_WORKER_HEAP_MB = 512;

/**
 * The planner could not answer now (busy, too slow, worker died): HTTP 503, try again or ask less.
 *
 * @example
 * if (e instanceof PlanUnavailableError) res.writeHead(503);
 */
export class PlanUnavailableError extends BaseError {
  static override docsPath = errorDocsPath("planunavailableerror");
  override name = "PlanUnavailableError";
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  const { planDashboard } = await import(workerData.planModule);
  parentPort.on("message", ({ id, query }) => {
    try {
      parentPort.postMessage({ id, ok: true, result: planDashboard(query) });
    } catch (e) {
      parentPort.postMessage({
        id, ok: false, input: e && e.name === "InputError",
        message: e && e.shortMessage ? e.shortMessage : String(e && e.message ? e.message : e),
        field: e && e.field, details: e && e.details,
      });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((e) => parentPort.postMessage({ fatal: String(e && e.message ? e.message : e) }));
`;

type Reply =
  | { id: number; ok: true; result: PlanResult }
  | { id: number; ok: false; input: boolean; message: string; field?: string; details?: string }
  | { ready: true }
  | { fatal: string };

type Job = {
  id: number;
  query: PlanQuery;
  ok: (r: PlanResult) => void;
  fail: (e: unknown) => void;
  timer?: NodeJS.Timeout;
};

/**
 * A planner that answers in a worker thread.
 *
 * @example
 * const planner = createPlanRunner();
 * const r = await planner.run(parsePlanQuery({ n: 4, attacker: 10, honest: 90 }));
 * await planner.close();
 */
export type PlanRunner = {
  run(query: PlanQuery): Promise<PlanResult>;
  close(): Promise<void>;
};

function workerData(): { planModule: string; tsxApi: string | undefined } {
  const planModule = new URL("./plan.js", import.meta.url).href;
  const tsxApi = import.meta.url.endsWith(".ts") ? import.meta.resolve("tsx/esm/api") : undefined;
  return { planModule, tsxApi };
}

/**
 * Create a worker-thread planner (see the module header).
 *
 * @example
 * const planner = createPlanRunner({ timeoutMs: 5_000 });
 */
export function createPlanRunner(opts: { timeoutMs?: number } = {}): PlanRunner {
  return new PlanWorkerRunner(opts.timeoutMs ?? PLAN_TIMEOUT_MS);
}

/** One worker thread, one query at a time, a bounded queue; a stuck or dead worker is replaced. */
class PlanWorkerRunner implements PlanRunner {
  private worker: Worker | undefined;
  private current: Job | undefined;
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly timeoutMs: number) {}

  run(query: PlanQuery): Promise<PlanResult> {
    if (this.closed) return Promise.reject(new PlanUnavailableError("The planner is closed"));
    if (this.current && this.queue.length >= MAX_PLAN_QUEUE)
      return Promise.reject(
        new PlanUnavailableError("The planner is busy with other queries; try again shortly"),
      );
    return new Promise<PlanResult>((ok, fail) => {
      this.queue.push({ id: this.nextId++, query, ok, fail });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.fail(new PlanUnavailableError("The planner closed"));
    const w = this.worker;
    if (this.current) this.kill("The planner closed");
    this.worker = undefined;
    await w?.terminate();
  }

  private finish(job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    if (this.current === job) this.current = undefined;
  }

  /** Stop the worker; the query it was running fails with `reason`. */
  private kill(reason: string): void {
    const w = this.worker;
    this.worker = undefined;
    if (this.current) {
      const job = this.current;
      this.finish(job);
      job.fail(new PlanUnavailableError(reason));
    }
    void w?.terminate();
  }

  private spawn(): Worker {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: workerData(),
      resourceLimits: { maxOldGenerationSizeMb: PLAN_WORKER_HEAP_MB },
    });
    w.unref();
    w.on("message", (m: Reply) => this.onReply(m));
    w.on("error", (e) => {
      if (this.worker === w) this.kill(`The planner stopped: ${e.message}`);
      this.pump();
    });
    w.on("exit", () => {
      if (this.worker === w) this.kill("The planner stopped");
      this.pump();
    });
    return w;
  }

  /** A worker's message: start failure, ready, or the current query's answer. */
  private onReply(m: Reply): void {
    if ("fatal" in m) {
      this.kill(`The planner could not start: ${m.fatal}`);
      return;
    }
    if ("ready" in m) return;
    const job = this.current;
    if (!job || job.id !== m.id) return;
    this.finish(job);
    if (m.ok) job.ok(m.result);
    else
      job.fail(
        m.input
          ? new InputError(m.message, { field: m.field, details: m.details })
          : new PlanUnavailableError("The planner failed", { details: m.message }),
      );
    this.pump();
  }

  /** Start the next queued query when none runs, with its time limit. */
  private pump(): void {
    if (this.current || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    this.current = job;
    this.worker ??= this.spawn();
    job.timer = setTimeout(
      () =>
        this.kill(
          `The planner query took longer than ${this.timeoutMs / 1000} s and was stopped (ask for fewer shares or a smaller group)`,
        ),
      this.timeoutMs,
    );
    this.worker.postMessage({ id: job.id, query: job.query });
  }
}
