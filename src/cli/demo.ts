/**
 * `rpdvt demo`: the main job on an embedded default. Generates a realistic Rocket Pool node, splits
 * its validator keys for a 4-operator squad into every supported format, verifies every output
 * independently (decryption, share ↔ pubkey interpolation, signatures), then shows the squad
 * signing with one operator down: 3 of 4 partial signatures recombine into a signature that
 * verifies under the validator's own public key, and 2 of 4 do not.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { signMessage, verifySignature } from "../crypto/bls.js";
import { recoverSignature } from "../crypto/interpolate.js";
import { encodeOperatorPublicKey } from "../crypto/rsa.js";
import { InputError } from "../errors.js";
import { loadOperatorShares } from "../keysplit/cluster.js";
import { type SplitPlan, splitKeys } from "../keysplit/run.js";
import { verifyOutput } from "../keysplit/verify.js";
import { readRocketPoolKeys } from "../rocketpool/datadir.js";
import { writeRocketPoolFixture } from "../rocketpool/fixture.js";
import { SECRET_DIR_MODE, SECRET_FILE_MODE } from "../util/fs.js";
import { toHex } from "../util/hex.js";
import { printJson, runAction } from "./run.js";

/** The demo squad: 4 operators (F = 1, threshold 3). */
const OPERATOR_IDS = [1, 2, 3, 4];
/** Any address works on a local demo; a real Rocket Pool validator uses its fee distributor. */
const DEMO_FEE_RECIPIENT = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const DEMO_OWNER = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";

type DemoFlags = { validators: string; dir?: string; json?: boolean };

function log(json: boolean | undefined, line: string): void {
  if (!json) process.stdout.write(`${line}\n`);
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await f();
  return [r, Math.round(performance.now() - t)];
}

/**
 * The `demo` command.
 *
 * @example
 * await demoCommand().parseAsync(["node", "demo", "--validators", "2", "--json"]);
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "Run the main job on an embedded default: a generated Rocket Pool node split for a 4-operator squad, every output verified, threshold signing with an operator down",
    )
    .option("--validators <n>", "validators in the generated Rocket Pool node", "4")
    .option("--dir <dir>", "working folder (default: ./.rpdvt-demo/run-<time>)")
    .option("--json", "print one JSON summary as the last line")
    .action(
      runAction(async (flags: DemoFlags) => {
        const n = Number(flags.validators);
        if (!Number.isInteger(n) || n < 1 || n > 1000) {
          throw new InputError(`--validators ${flags.validators} must be an integer in 1..1000`, {
            field: "--validators",
          });
        }
        const dir = resolve(
          flags.dir ?? join(".rpdvt-demo", `run-${new Date().toISOString().replace(/[:.]/g, "-")}`),
        );
        await mkdir(dir, { recursive: true, mode: SECRET_DIR_MODE });
        const quiet = flags.json;
        const timings: Record<string, number> = {};
        log(flags.json, `rpdvt demo — working in ${dir}\n`);

        const [fixture, tFixture] = await timed(() =>
          writeRocketPoolFixture(join(dir, "rocketpool"), { validators: n, onProgress: undefined }),
        );
        timings.fixture = tFixture;
        log(
          flags.json,
          `1. Generated a Rocket Pool node with ${fixture.pubkeys.length} validators (${tFixture} ms): ${fixture.dataDir}`,
        );

        const [read, tRead] = await timed(() => readRocketPoolKeys(fixture.dataDir));
        timings.readKeys = tRead;
        const keys = read.keys;
        log(
          flags.json,
          `2. Derived ${keys.length} validator keys from the wallet seed (${tRead} ms)`,
        );

        // The squad's SSV operator keys (RSA-2048); private keys kept so verify can decrypt shares.
        const opKeysDir = join(dir, "ssv-operator-keys");
        await mkdir(opKeysDir, { mode: SECRET_DIR_MODE });
        const operators = await Promise.all(
          OPERATOR_IDS.map(async (id) => {
            const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
            await writeFile(
              join(opKeysDir, `operator-${id}.pem`),
              privateKey.export({ type: "pkcs8", format: "pem" }),
              {
                mode: SECRET_FILE_MODE,
              },
            );
            return { id, publicKey: encodeOperatorPublicKey(publicKey) };
          }),
        );

        const plans: [string, SplitPlan][] = [
          ["ssv-keyshares.json", { format: "ssv", operators, owner: DEMO_OWNER, nonce: 0 }],
          [
            "cluster",
            {
              format: "cluster",
              operators: OPERATOR_IDS.map((id) => ({ id, endpoint: `127.0.0.1:${9000 + id}` })),
              feeRecipients: DEMO_FEE_RECIPIENT,
              name: "demo squad",
            },
          ],
          ["dirk", { format: "dirk", operatorIds: OPERATOR_IDS }],
          [
            "obol-split-keys",
            { format: "obol", nodes: OPERATOR_IDS.length, feeRecipient: DEMO_FEE_RECIPIENT },
          ],
        ];
        const outputs = [];
        log(flags.json, "3. Split for a 4-operator squad (threshold 3) and verified each output:");
        for (const [name, plan] of plans) {
          const out = join(dir, name);
          const [summary, tSplit] = await timed(() => splitKeys(keys, out, plan, { quiet }));
          const [report, tVerify] = await timed(() =>
            verifyOutput(out, { operatorKeysDir: opKeysDir, quiet: true }),
          );
          outputs.push({
            ...summary,
            verified: true,
            checks: report.checks.length,
            splitMs: tSplit,
            verifyMs: tVerify,
          });
          log(
            flags.json,
            `   ✓ ${plan.format.padEnd(7)} ${report.format} → ${out} (split ${tSplit} ms, verify ${tVerify} ms, ${report.checks.length} checks passed)`,
          );
        }

        // Threshold signing with operator 4 down.
        const shares = await Promise.all(
          OPERATOR_IDS.map((id) => loadOperatorShares(join(dir, "cluster", `operator-${id}`))),
        );
        const message = new Uint8Array(32).fill(0xab);
        let good = 0;
        let refusedBelowThreshold = 0;
        for (const k of keys) {
          const pk = toHex(k.pubkey);
          const partials = OPERATOR_IDS.map((id, i) => ({
            id,
            signature: signMessage(shares[i]?.get(pk) as Uint8Array, message),
          }));
          const up = partials.slice(0, 3);
          if (verifySignature(k.pubkey, message, recoverSignature(up))) good++;
          if (!verifySignature(k.pubkey, message, recoverSignature(up.slice(0, 2))))
            refusedBelowThreshold++;
        }
        log(
          flags.json,
          `4. Operator 4 down: 3-of-4 partial signatures recombined into a valid validator signature for ${good}/${keys.length} validators; 2-of-4 gave none (${refusedBelowThreshold}/${keys.length} invalid, as they must be)`,
        );
        const summary = {
          dir,
          validators: keys.length,
          operators: OPERATOR_IDS.length,
          threshold: 3,
          outputs,
          thresholdSigning: {
            stoppedOperators: 1,
            validSignatures: good,
            belowThresholdInvalid: refusedBelowThreshold,
          },
          timings,
          ok: good === keys.length && refusedBelowThreshold === keys.length,
        };
        if (!summary.ok) process.exitCode = 1;
        if (flags.json) printJson(summary);
        else log(false, `\n${summary.ok ? "Demo passed" : "Demo FAILED"}: see ${dir}`);
      }),
    );
}
