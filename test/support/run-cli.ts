/**
 * The one in-process runner of CLI commands for tests: runs a commander command as if typed after
 * the program name and returns what it printed and the exit code, both for errors `runAction`
 * reports (src/cli/run.ts sets `process.exitCode`) and for commander's own flag errors (a bad
 * choice, a missing required option, an argument parser's InvalidArgumentError), which would
 * otherwise call `process.exit` and end the test process.
 */
import { type Command, CommanderError } from "commander";

/**
 * What an in-process command printed, and its exit code (undefined on success).
 *
 * @example
 * const r: CommandResult = await runCommand(planCommand(), ["trust", "--json"]);
 */
export type CommandResult = { stdout: string; stderr: string; code: number | string | undefined };

/** Make commander throw instead of exiting, on the command and every subcommand. */
function throwOnExit(command: Command, write: { out: string[]; err: string[] }): void {
  command.exitOverride();
  command.configureOutput({
    writeOut: (s) => write.out.push(s),
    writeErr: (s) => write.err.push(s),
  });
  for (const sub of command.commands) throwOnExit(sub, write);
}

/**
 * Run a commander `command` in this process with `args` (as if typed after the program name),
 * capturing the strings written to stdout/stderr and the exit code. Binary chunks (node:test's
 * own reports to its parent) pass through; `process.exitCode` is restored afterwards. `--help`
 * prints to stdout with code 0.
 *
 * @example
 * const r = await runCommand(planCommand(), ["sybil", "--json"]);
 * assert.equal(r.code, undefined, r.stderr);
 */
export async function runCommand(command: Command, args: string[]): Promise<CommandResult> {
  const out: string[] = [];
  const err: string[] = [];
  throwOnExit(command, { out, err });
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) =>
    typeof s === "string"
      ? out.push(s) > 0
      : ow(s, ...(rest as []))) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array, ...rest: unknown[]) =>
    typeof s === "string"
      ? err.push(s) > 0
      : ew(s, ...(rest as []))) as typeof process.stderr.write;
  const prev = process.exitCode;
  process.exitCode = undefined;
  let thrown: number | undefined;
  try {
    await command.parseAsync(["node", command.name(), ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    thrown = e.exitCode;
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
  const code = thrown !== undefined ? thrown : process.exitCode;
  process.exitCode = prev;
  return { stdout: out.join(""), stderr: err.join(""), code };
}
