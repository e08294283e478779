/**
 * Reading untrusted input files: a missing, unreadable, empty, corrupt or truncated file becomes an
 * InputError naming the file, worded by the caller ({@link FileWording}); the underlying error is
 * kept as `cause` (its message becomes the details). Decrypted plaintext is parsed without ever
 * quoting it.
 */
import { constants as fsConstants, promises as fsp, type Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { InputError } from "../errors.js";

/**
 * The short messages (and extra lines) of the errors for one kind of file.
 *
 * @example
 * const wording: FileWording = { ...fileWording("Smartnode wallet file"), permissionHints: ["Run as root."] };
 */
export type FileWording = {
  /** The file does not exist. */
  missing: string;
  /** It exists but cannot be read. */
  unreadable: string;
  /** It is empty (JSON expected). */
  empty: string;
  /** It is not JSON: corrupt or truncated. */
  corrupt: string;
  /** Lines added when the file is missing or unreadable. */
  hints?: string[];
  /** Lines added when the OS refuses access (EACCES/EPERM), e.g. who owns the files. */
  permissionHints?: string[];
  /** The message when it is not a regular file (default "<unreadable>: it is a FIFO …"). */
  notRegular?: string;
};

/**
 * Extra checks of {@link readInputFile}: the flag the file came from (put in every error's
 * `field`) and a check of the open file's fstat before anything is read (size, mode), which
 * throws an InputError to refuse it.
 *
 * @example
 * await readInputFile(file, wording, { field: "--token-file", inspect: (st) => assertSmall(st) });
 */
export type ReadInputOptions = {
  field?: string;
  inspect?: (st: Stats) => void;
};

/**
 * The usual wording for a file described as `what`: "<what> not found", "Cannot read <what>",
 * "File is empty", "File is not valid JSON (corrupt or truncated?)"; `extra` adds or overrides.
 *
 * @example
 * await readJsonFile("/data/wallet", fileWording("Smartnode wallet file"));
 */
export function fileWording(what: string, extra: Partial<FileWording> = {}): FileWording {
  return {
    missing: `${what} not found`,
    unreadable: `Cannot read ${what}`,
    empty: "File is empty",
    corrupt: "File is not valid JSON (corrupt or truncated?)",
    ...extra,
  };
}

/**
 * One short message for every failure, e.g. "Cannot read the keyshares file as JSON".
 *
 * @example
 * await readJsonFile(file, sameWording("Cannot read the operators file as JSON"));
 */
export function sameWording(message: string): FileWording {
  return { missing: message, unreadable: message, empty: message, corrupt: message };
}

/**
 * True for the error codes of a refused access (EACCES, EPERM).
 *
 * @example
 * if (isAccessDenied(err)) hints.push("Run as the owner of the data folder.");
 */
export function isAccessDenied(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "EACCES" || code === "EPERM";
}

/** What a non-regular file is, for messages ("a directory", "a FIFO (named pipe)", …). */
function fileKind(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "not a regular file";
}

/**
 * Read a file's bytes; a missing or unreadable file is an InputError naming it. Only regular files
 * are read: the file is opened non-blocking and checked with fstat before any read (no race with a
 * swap between a stat and the open), so a FIFO, a socket, a device or a directory given as a
 * password or keystore is refused at once instead of hanging or reading forever.
 *
 * `opts.inspect` sees the fstat of the open file before the read (refuse by throwing).
 *
 * @example
 * const password = await readInputFile("/data/password", fileWording("wallet password file"));
 */
export async function readInputFile(
  file: string,
  wording: FileWording,
  opts: ReadInputOptions = {},
): Promise<Buffer> {
  const field = opts.field;
  let fh: FileHandle | undefined;
  try {
    fh = await fsp.open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new InputError(`${wording.notRegular ?? wording.unreadable}: it is ${fileKind(st)}`, {
        file,
        field,
        metaMessages: [
          st.isDirectory()
            ? "Give the path of the file inside it."
            : "Give a regular file: rpdvt does not read secrets or keys from pipes, sockets or devices.",
        ],
      });
    }
    opts.inspect?.(st);
    return await fh.readFile();
  } catch (err) {
    if (err instanceof InputError) throw err;
    const missing = (err as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
    const lines = [
      ...(wording.hints ?? []),
      ...(!missing && isAccessDenied(err) ? (wording.permissionHints ?? []) : []),
    ];
    throw new InputError(missing ? wording.missing : wording.unreadable, {
      file,
      field,
      cause: err,
      metaMessages: lines.length ? lines : undefined,
    });
  } finally {
    await fh?.close().catch(() => {});
  }
}

/**
 * Parse JSON read from `file`; an empty, corrupt or truncated text is an InputError naming the
 * file. With `sensitive` (decrypted plaintext) the parser's message, which quotes the input, is
 * left out.
 *
 * @example
 * const json = parseJsonText(await readInputFile(f, wording), f, wording);
 */
export function parseJsonText(
  data: Buffer | string,
  file: string,
  wording: Pick<FileWording, "empty" | "corrupt"> | { sensitive: true },
): unknown {
  const text = typeof data === "string" ? data : data.toString("utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    if ("sensitive" in wording) {
      throw new InputError("Decrypted content is not valid JSON", {
        file,
        details: "JSON syntax error",
      });
    }
    throw new InputError(text.trim() === "" ? wording.empty : wording.corrupt, {
      file,
      cause: err,
    });
  }
}

/**
 * Read and JSON-parse an untrusted file; every failure is an InputError naming the file.
 *
 * @example
 * const json = await readJsonFile("/out/cluster.json", fileWording("cluster definition"));
 */
export async function readJsonFile(file: string, wording: FileWording): Promise<unknown> {
  return parseJsonText(await readInputFile(file, wording), file, wording);
}
