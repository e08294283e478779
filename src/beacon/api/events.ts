/**
 * The Beacon API event stream (ethereum/beacon-APIs apis/eventstream/index.yaml,
 * `GET /eth/v1/events?topics=head`), read as Server-Sent Events (WHATWG HTML "Server-sent events",
 * §9.2.6 "Interpreting an event stream": lines end in CRLF, LF or CR; `event:`, `data:` (several
 * joined by LF), `id:`, `retry:`; `:` starts a comment; a blank line dispatches).
 *
 * Robust by construction: a line or an event longer than its bound is dropped (the parser skips to
 * the next blank line; memory stays bounded whatever the node sends), an event whose data is not
 * what the spec documents is reported and skipped, a connection that fails, ends or stays silent
 * for `idleTimeoutMs` is re-opened with exponential backoff (reset once a connection delivered an
 * event), and `stop()` aborts the request and every timer. Used by the scheduler to start the
 * attester duty on the `head` event (Charon's alpha feature `fetch_att_on_block`).
 */
import { z } from "zod";
import { type Clock, systemClock } from "../../util/clock.js";
import { hexBytes, uintNum } from "../json.js";

/**
 * One dispatched server-sent event (`event` defaults to "message").
 *
 * @example
 * const e: SseEvent = { event: "head", data: '{"slot":"10",…}', id: "" };
 */
export type SseEvent = { event: string; data: string; id: string };

/** Default bound of one line and of one event's data (a head event is ~400 bytes). */
const DEFAULT_MAX_EVENT_CHARS = 64 * 1024;

/**
 * Incremental event-stream parser: feed it text chunks as they arrive (split anywhere, even inside
 * a CRLF), it calls `onEvent` per dispatched event. A line or an event's data longer than
 * `maxEventChars` is dropped with the rest of its event (reported through `onOversize`).
 *
 * @example
 * const p = new SseParser((e) => console.log(e.event, e.data));
 * p.feed("event: head\ndata: {\"slot\":\"1\"}\n\n");
 */
export class SseParser {
  private line = "";
  private event = "";
  private data: string[] = [];
  private dataChars = 0;
  private id = "";
  /** Drop the rest of the current line (it went over the bound). */
  private skipLine = false;
  /** Drop the lines of the current event up to the blank line ending it. */
  private skipEvent = false;
  private lastWasCr = false;

  constructor(
    private readonly onEvent: (e: SseEvent) => void,
    private readonly maxEventChars = DEFAULT_MAX_EVENT_CHARS,
    private readonly onOversize: (chars: number) => void = () => {},
  ) {}

  /**
   * Parse the next chunk of the stream.
   *
   * @example
   * parser.feed("data: a\r\n\r\n");
   */
  feed(chunk: string): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (c === 10 && this.lastWasCr && i === start) {
        // The LF of a CRLF split across chunks (or right after the CR): not a new line.
        this.lastWasCr = false;
        start = i + 1;
        continue;
      }
      this.append(chunk.slice(start, i));
      this.endLine();
      this.lastWasCr = c === 13;
      if (c === 13 && chunk.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    if (start < chunk.length) {
      this.lastWasCr = false;
      this.append(chunk.slice(start));
    }
  }

  /**
   * Forget a partial line and event (a new connection starts clean).
   *
   * @example
   * parser.reset();
   */
  reset(): void {
    this.line = "";
    this.clearEvent();
    this.skipLine = false;
    this.skipEvent = false;
    this.lastWasCr = false;
  }

  private append(text: string): void {
    if (this.skipLine || text.length === 0) return;
    if (this.line.length + text.length > this.maxEventChars) {
      this.skipLine = true;
      this.oversize(this.line.length + text.length);
      return;
    }
    this.line += text;
  }

  private oversize(chars: number): void {
    this.skipEvent = true;
    this.line = "";
    this.clearEvent();
    this.onOversize(chars);
  }

  private clearEvent(): void {
    this.event = "";
    this.data = [];
    this.dataChars = 0;
  }

  private endLine(): void {
    const line = this.line;
    this.line = "";
    if (this.skipLine) {
      this.skipLine = false; // the end of the oversized line, not a blank line
      return;
    }
    if (line === "") {
      if (this.skipEvent) this.skipEvent = false;
      else this.dispatch();
      return;
    }
    if (this.skipEvent || line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") {
      this.dataChars += value.length + 1;
      if (this.dataChars > this.maxEventChars) this.oversize(this.dataChars);
      else this.data.push(value);
    } else if (field === "id" && !value.includes("\0")) this.id = value;
    // `retry` and unknown fields are ignored (the reconnect backoff is ours).
  }

  private dispatch(): void {
    if (this.data.length === 0) {
      this.event = "";
      return;
    }
    const e: SseEvent = { event: this.event || "message", data: this.data.join("\n"), id: this.id };
    this.clearEvent();
    this.onEvent(e);
  }
}

/**
 * A `head` event (beacon-APIs eventstream `head`): the node's new head block and its slot.
 *
 * @example
 * const h: HeadEvent = { slot: 10, block: root, epochTransition: false };
 */
export type HeadEvent = { slot: number; block: Uint8Array; epochTransition: boolean };

const headEventJson = z.object({
  slot: uintNum,
  block: hexBytes(32),
  epoch_transition: z.boolean().optional(),
});

/**
 * Read a `head` event's data; undefined (with the reason) when it is not what the spec documents.
 *
 * @example
 * parseHeadEvent('{"slot":"10","block":"0x…","state":"0x…","epoch_transition":false}');
 */
export function parseHeadEvent(
  data: string,
): { ok: true; head: HeadEvent } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, reason: `not JSON (${data.length} characters)` };
  }
  const r = headEventJson.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, reason: `${issue?.path.join(".") || "(root)"}: ${issue?.message}` };
  }
  if (!Number.isSafeInteger(r.data.slot)) return { ok: false, reason: "slot: out of range" };
  return {
    ok: true,
    head: {
      slot: r.data.slot,
      block: r.data.block,
      epochTransition: r.data.epoch_transition ?? false,
    },
  };
}

/**
 * Options of {@link subscribeHeadEvents}.
 *
 * @example
 * const o: HeadEventOptions = { onHead: (h) => console.log(h.slot), idleTimeoutMs: 96_000 };
 */
export type HeadEventOptions = {
  onHead: (head: HeadEvent, url: string) => void;
  /** A connection failed, ended, or an event was unreadable (the stream goes on). */
  onError?: ((url: string, message: string) => void) | undefined;
  clock?: Clock | undefined;
  /** First reconnect delay (ms, default 250), doubled per failure up to `maxBackoffMs` (10 s). */
  initialBackoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
  /** Headers must arrive within this (ms, default 5000). */
  connectTimeoutMs?: number | undefined;
  /** Re-open a connection silent this long (ms; 0 = never, the default). */
  idleTimeoutMs?: number | undefined;
  /** Bound of one line / event (characters, default 64 KiB). */
  maxEventChars?: number | undefined;
};

/**
 * An open subscription: `stop()` closes every stream and timer.
 *
 * @example
 * const sub: EventSubscription = subscribeHeadEvents(urls, { onHead });
 * await sub.stop();
 */
export type EventSubscription = { stop(): Promise<void> };

/**
 * Follow the `head` events of every beacon node in `urls` (one stream each, independent
 * reconnects). Each event is passed on with the URL that sent it; deduplicate by slot if needed.
 *
 * @example
 * const sub = subscribeHeadEvents(["http://127.0.0.1:5052"], { onHead: (h) => early(h.slot) });
 * await sub.stop();
 */
export function subscribeHeadEvents(
  urls: readonly string[],
  opts: HeadEventOptions,
): EventSubscription {
  const streams = urls.map((url) => new HeadStream(url.replace(/\/+$/, ""), opts));
  for (const s of streams) s.open();
  return { stop: async () => void (await Promise.all(streams.map((s) => s.stop()))) };
}

/** One node's stream with its reconnect loop. */
class HeadStream {
  private readonly clock: Clock;
  private abort: AbortController | undefined;
  private cancelTimer: (() => void) | undefined;
  private backoffMs: number;
  private stopped = false;
  private running: Promise<void> | undefined;
  private lastActivity = 0;

  constructor(
    private readonly url: string,
    private readonly opts: HeadEventOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.backoffMs = opts.initialBackoffMs ?? 250;
  }

  open(): void {
    if (this.stopped) return;
    this.running = this.connect().then(
      () => this.retry("the stream ended"),
      (err: unknown) => this.retry(err instanceof Error ? err.message : String(err)),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.abort?.abort();
    await this.running;
  }

  private retry(message: string): void {
    this.abort = undefined;
    if (this.stopped) return;
    this.opts.onError?.(this.url, `${message}; reconnecting in ${this.backoffMs} ms`);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 10_000);
    this.cancelTimer = this.clock.setTimeout(() => this.open(), delay);
  }

  /** Open the stream and read it until it ends (resolves) or fails (rejects). */
  private async connect(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    const connectTimer = this.clock.setTimeout(
      () => abort.abort(new Error("no answer in time")),
      this.opts.connectTimeoutMs ?? 5000,
    );
    let res: Response;
    try {
      res = await fetch(`${this.url}/eth/v1/events?topics=head`, {
        headers: { accept: "text/event-stream" },
        signal: abort.signal,
      });
    } catch (err) {
      throw new Error(`GET /eth/v1/events failed: ${reason(err, abort)}`);
    } finally {
      connectTimer();
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`GET /eth/v1/events answered HTTP ${res.status}`);
    }
    await this.read(res.body, abort);
  }

  private async read(body: ReadableStream<Uint8Array>, abort: AbortController): Promise<void> {
    let delivered = false;
    const parser = new SseParser(
      (e) => {
        if (e.event !== "head") return;
        const r = parseHeadEvent(e.data);
        if (!r.ok) {
          this.opts.onError?.(this.url, `unreadable head event skipped: ${r.reason}`);
          return;
        }
        if (!delivered) this.backoffMs = this.opts.initialBackoffMs ?? 250;
        delivered = true;
        this.opts.onHead(r.head, this.url);
      },
      this.opts.maxEventChars,
      (chars) => this.opts.onError?.(this.url, `event over ${chars} characters dropped`),
    );
    const decoder = new TextDecoder();
    const reader = body.getReader();
    const idleMs = this.opts.idleTimeoutMs ?? 0;
    this.lastActivity = this.clock.now();
    const cancelIdle = idleMs > 0 ? this.watchIdle(idleMs, abort) : () => {};
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        this.lastActivity = this.clock.now();
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch (err) {
      if (this.stopped) return;
      throw new Error(`the stream broke: ${reason(err, abort)}`);
    } finally {
      cancelIdle();
      reader.releaseLock();
    }
  }

  private watchIdle(idleMs: number, abort: AbortController): () => void {
    let cancel = (): void => {};
    const check = (): void => {
      const silent = this.clock.now() - this.lastActivity;
      if (silent >= idleMs) abort.abort(new Error(`no event for ${Math.round(silent)} ms`));
      else cancel = this.clock.setTimeout(check, idleMs - silent);
    };
    cancel = this.clock.setTimeout(check, idleMs);
    return () => cancel();
  }
}

function reason(err: unknown, abort: AbortController): string {
  const r: unknown = abort.signal.aborted ? abort.signal.reason : err;
  return r instanceof Error ? r.message : String(r);
}
