/**
 * Secret tokens read from files (`node run --dashboard-token-file`, `exit --token-file`): a token
 * on argv shows in `ps` (proc(5) /proc/PID/cmdline is world-readable), a file with mode 0600 does
 * not. One reader for every such flag.
 */
import { constants as fsConstants, promises as fsp } from "node:fs";
import { InputError } from "../errors.js";

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
  let handle: fsp.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    handle = await fsp.open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === "ENOENT" ? "Token file not found" : "Cannot read token file", {
      file,
      field: flag,
      cause: err,
      metaMessages: [`Write the token to a file only you can read: chmod 600 ${file}.`],
    });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile())
      throw new InputError("The token file is not a regular file", {
        file,
        field: flag,
        metaMessages: ["Give a plain file holding the token (not a folder, FIFO or device)."],
      });
    if ((st.mode & 0o077) !== 0)
      throw new InputError(
        `The token file is readable by other users (mode ${(st.mode & 0o777).toString(8)})`,
        {
          file,
          field: flag,
          metaMessages: [`Run: chmod 600 ${file}`],
        },
      );
    if (st.size > MAX_TOKEN_FILE_BYTES)
      throw new InputError(`The token file is larger than ${MAX_TOKEN_FILE_BYTES} bytes`, {
        file,
        field: flag,
        metaMessages: ["It must hold the token only, on one line."],
      });
    const text = (await handle.readFile("utf8")).replace(/\r?\n$/, "");
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
  } finally {
    await handle.close();
  }
}
