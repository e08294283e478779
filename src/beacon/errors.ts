/**
 * Errors of the Beacon API client. A beacon node answers errors as JSON
 * `{ code, message, failures?: [{ index, message }] }` (ethereum/beacon-APIs
 * types/http.yaml ErrorMessage / IndexedErrorMessage); Lodestar ≤ 1.5 answers fastify's
 * `{ statusCode, error, message }`. Both are read into {@link BeaconApiError}.
 */
import { BaseError, errorDocsPath } from "../errors.js";

/**
 * Why one attempt against one beacon node failed.
 *
 * @example
 * err.attempts.map((a) => `${a.url}: ${a.kind}`);
 */
export type BeaconAttemptFailure = {
  url: string;
  /** "http": the node answered with a non-success status; the others: no usable answer. */
  kind: "http" | "timeout" | "network" | "bad-response";
  status?: number | undefined;
  message: string;
};

/**
 * One rejected item of a batch submission (beacon-APIs IndexedErrorMessage.failures).
 *
 * @example
 * for (const f of err.failures) console.log(f.index, f.message);
 */
export type BeaconItemFailure = { index: number; message: string };

/**
 * A Beacon API request failed on every beacon node tried. `status` is the HTTP status of the last
 * node that answered (undefined when none answered: timeouts, connection refused), `failures`
 * the per-item rejections of a batch submission, `attempts` every node tried, in order.
 *
 * @example
 * try { await beacon.submitAttestations([att]); }
 * catch (err) { if (err instanceof BeaconApiError && err.status === 400) console.log(err.failures); }
 */
export class BeaconApiError extends BaseError {
  static override docsPath = errorDocsPath("beaconapierror");
  override name = "BeaconApiError";
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly failures: BeaconItemFailure[];
  readonly attempts: BeaconAttemptFailure[];

  constructor(
    shortMessage: string,
    params: {
      method: string;
      path: string;
      attempts: BeaconAttemptFailure[];
      failures?: BeaconItemFailure[] | undefined;
      details?: string | undefined;
      metaMessages?: string[] | undefined;
      cause?: unknown;
    },
  ) {
    const last = params.attempts[params.attempts.length - 1];
    const answered = [...params.attempts].reverse().find((a) => a.kind === "http");
    super(shortMessage, {
      details: params.details ?? last?.message,
      cause: params.cause,
      metaMessages: [
        `Request: ${params.method} ${params.path}`,
        ...params.attempts.map(
          (a) =>
            `  ${a.url}: ${a.kind === "http" ? `HTTP ${a.status}` : a.kind} — ${a.message.slice(0, 300)}`,
        ),
        ...(params.failures ?? [])
          .slice(0, 10)
          .map((f) => `  item ${f.index}: ${f.message.slice(0, 200)}`),
        ...(params.metaMessages ?? []),
      ],
    });
    this.method = params.method;
    this.path = params.path;
    this.status = answered?.status;
    this.failures = params.failures ?? [];
    this.attempts = params.attempts;
  }
}
