/**
 * The migration journal: one JSON object per line (JSON Lines), appended and fsync'd before the
 * step it describes is considered to have happened, so a crash at any point leaves a journal that
 * says exactly how far the migration got. A last line cut short by a crash (no trailing newline,
 * or not JSON) is ignored on reading — it was never acknowledged.
 *
 * Entry: `{ seq, time (ISO 8601 UTC), step, status: "begin" | "done" | "info" | "failed", data? }`.
 * Secrets never go into the journal.
 */
import { promises as fsp } from "node:fs";
import { dirname } from "node:path";
import { InputError } from "../errors.js";
import { SECRET_FILE_MODE } from "../util/fs.js";

/** One journal line. */
export type JournalEntry = {
  seq: number;
  time: string;
  step: string;
  status: "begin" | "done" | "info" | "failed";
  data?: unknown;
};

/** fsync a directory so a newly created or renamed entry in it survives a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, "r");
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories: the rename is still atomic.
  } finally {
    await fh?.close();
  }
}

/**
 * An append-only, fsync'd JSON-lines journal.
 *
 * @example
 * const j = await Journal.open("/data/rpdvt-quarantine/mig-1/journal.jsonl");
 * await j.append("split", "begin");
 * if (!j.isDone("split")) await split();
 * await j.append("split", "done", { out: "/out/cluster" });
 */
export class Journal {
  readonly file: string;
  #entries: JournalEntry[];

  private constructor(file: string, entries: JournalEntry[]) {
    this.file = file;
    this.#entries = entries;
  }

  /**
   * Open (creating when absent, mode 0600) and read a journal.
   *
   * @example
   * const j = await Journal.open(file);
   */
  static async open(file: string, opts: { create?: boolean } = {}): Promise<Journal> {
    let text = "";
    try {
      text = await fsp.readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException)?.code !== "ENOENT") {
        throw new InputError("Cannot read the migration journal", { file, cause: err });
      }
      if (opts.create === false) {
        throw new InputError("Migration journal not found", {
          file,
          metaMessages: ["List migrations with `rpdvt migrate --list`."],
        });
      }
      const fh = await fsp.open(file, "a", SECRET_FILE_MODE);
      await fh.sync();
      await fh.close();
      await fsyncDir(dirname(file));
    }
    return new Journal(file, Journal.parse(text, file));
  }

  /**
   * Parse journal text; a torn last line is dropped, a corrupt line elsewhere is an error.
   *
   * @example
   * Journal.parse('{"seq":1,"time":"…","step":"plan","status":"done"}\n', "j.jsonl").length // 1
   */
  static parse(text: string, file: string): JournalEntry[] {
    // Whatever follows the last newline was never acknowledged (torn by a crash): dropped.
    const complete = text.split("\n").slice(0, -1);
    const out: JournalEntry[] = [];
    complete.forEach((line, i) => {
      if (line.trim() === "") return;
      try {
        out.push(JSON.parse(line) as JournalEntry);
      } catch {
        throw new InputError(`Migration journal line ${i + 1} is not JSON`, {
          file,
          metaMessages: ["The journal is append-only: do not edit it by hand."],
        });
      }
    });
    return out;
  }

  /** Every acknowledged entry, oldest first. */
  get entries(): readonly JournalEntry[] {
    return this.#entries;
  }

  /**
   * Append one entry and fsync it before returning.
   *
   * @example
   * await journal.append("quarantine", "info", { moved: "validators/teku/keys/0xab.json" });
   */
  async append(
    step: string,
    status: JournalEntry["status"],
    data?: unknown,
  ): Promise<JournalEntry> {
    const entry: JournalEntry = {
      seq: (this.#entries.at(-1)?.seq ?? 0) + 1,
      time: new Date().toISOString(),
      step,
      status,
      ...(data === undefined ? {} : { data }),
    };
    const fh = await fsp.open(this.file, "a", SECRET_FILE_MODE);
    try {
      await fh.write(`${JSON.stringify(entry)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.#entries.push(entry);
    return entry;
  }

  /**
   * The `done` entry of `step`, if the step completed.
   *
   * @example
   * const split = journal.done("split")?.data as { out: string } | undefined;
   */
  done(step: string): JournalEntry | undefined {
    return this.#entries.findLast((e) => e.step === step && e.status === "done");
  }

  /**
   * True when `step` completed.
   *
   * @example
   * if (!journal.isDone("snapshot")) await snapshot();
   */
  isDone(step: string): boolean {
    return this.done(step) !== undefined;
  }

  /**
   * The last step that began, and whether it also finished.
   *
   * @example
   * journal.lastStep() // { step: "quarantine", done: false }
   */
  lastStep(): { step: string; done: boolean } | undefined {
    const last = this.#entries.findLast((e) => e.status === "begin" || e.status === "done");
    return last ? { step: last.step, done: last.status === "done" } : undefined;
  }
}

/**
 * Test hook: when `RPDVT_TEST_CRASH_AFTER` equals `point`, the process kills itself with SIGKILL
 * right here (no cleanup, no flush) — used by tests to prove every step resumes.
 *
 * @example
 * await journal.append("split", "done");
 * crashPoint("split");
 */
export function crashPoint(point: string): void {
  if (process.env.RPDVT_TEST_CRASH_AFTER === point) process.kill(process.pid, "SIGKILL");
}
