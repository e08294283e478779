/**
 * Secret tokens read from files (`node run --dashboard-token-file`, `exit --token-file`): a token
 * on argv shows in `ps` (proc(5) /proc/PID/cmdline is world-readable), a file with mode 0600 does
 * not. One reader for every such flag, built on ./json-file.ts readInputFile (non-blocking open,
 * fstat: only a regular file is read) with the token's own checks on that fstat (mode, size).
 */
import type { Stats } from "node:fs";
import { InputError } from "../errors.js";
import { fileWording, readInputFile } from "./json-file.js";

/**
 * Largest token file read (a token is a line of text).
 *
 * @example
 * MAX_TOKEN_FILE_BYTES; // 4_096
 */
export const MAX_TOKEN_FILE_BYTES = 4_096;

/**
 * Read a secret token from a file (`--dashboard-token-file`, `exit --token-file`): a regular file
 * (a FIFO or device would hang or never end), at most {@link MAX_TOKEN_FILE_BYTES} bytes, one
 * trailing newline stripped, not empty. A file readable by group or others is refused (the token
 * grants exits): `chmod 600 FILE`. Errors name the file and the flag, never the content.
 *
 * @example
 * const token = await readTokenFile("/etc/rpdvt/token", "--dashboard-token-file");
 */
export async function readTokenFile(file: string, flag: string): Promise<string> {
  const wording = fileWording("token file", {
    missing: "Token file not found",
    unreadable: "Cannot read token file",
    notRegular: "The token file is not a regular file",
    hints: [`Write the token to a file only you can read: chmod 600 ${file}.`],
  });
  const data = await readInputFile(file, wording, {
    field: flag,
    inspect: (st) => checkTokenStat(st, file, flag),
  });
  const text = data.toString("utf8").replace(/\r?\n$/, "");
  if (text.trim() === "")
    throw new InputError("The token file is empty", {
      file,
      field: flag,
      metaMessages: ["Write the token into it, e.g. `openssl rand -hex 32 > FILE`."],
    });
  if (/[\r\n]/.test(text) || text !== text.trim())
    throw new InputError("The token file must hold one line without leading or trailing spaces", {
      file,
      field: flag,
    });
  return text;
}

/** Refuse a token file readable by others or too large, before it is read. */
function checkTokenStat(st: Stats, file: string, flag: string): void {
  if ((st.mode & 0o077) !== 0)
    throw new InputError(
      `The token file is readable by other users (mode ${(st.mode & 0o777).toString(8)})`,
      { file, field: flag, metaMessages: [`Run: chmod 600 ${file}`] },
    );
  if (st.size > MAX_TOKEN_FILE_BYTES)
    throw new InputError(`The token file is larger than ${MAX_TOKEN_FILE_BYTES} bytes`, {
      file,
      field: flag,
      metaMessages: ["It must hold the token only, on one line."],
    });
}
