/**
 * Obol output with one withdrawal address per validator (issue 12 item 7): charon pairs
 * keystore-N.json with the N-th address of --withdrawal-addresses when it has more than one
 * (ObolNetwork/charon cmd/createcluster.go: `useSequencedKeys` → `SequencedKeys()`), so the README
 * command line lists them in keystore order; a validator without an address, or an address for a
 * validator not written, is refused before writing. 22 validators.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseWithdrawalAddresses } from "../../../src/cli/args.js";
import { parseKeystore } from "../../../src/crypto/eip2335.js";
import { InputError } from "../../../src/errors.js";
import { writeObol } from "../../../src/keysplit/obol.js";
import { checksumAddress } from "../../../src/util/address.js";
import { toHex } from "../../../src/util/hex.js";
import { exists, makeTempDir, randomValidatorKey } from "../../helpers.js";

const LIGHT = { n: 2 ** 10 };

let root: string;
before(async () => {
  root = await makeTempDir("obol-wd");
});
after(() => fsp.rm(root, { recursive: true, force: true }));

/** A distinct address per validator (as each Rocket Pool minipool has its own contract). */
const addressOf = (i: number) => checksumAddress(`0x${(i + 1).toString(16).padStart(40, "c")}`);

describe("obol --withdrawal-addresses", () => {
  test("22 validators: README lists each validator's address in keystore order", async () => {
    const keys = Array.from({ length: 22 }, (_, i) => randomValidatorKey(`m/12381/3600/${i}/0/0`));
    // The map's order differs from the keys' order: the README must follow the keystores.
    const map = new Map(
      [...keys.entries()].reverse().map(([i, k]) => [toHex(k.pubkey), addressOf(i)]),
    );
    const out = join(root, "obol22");
    await writeObol(out, keys, { kdfParams: LIGHT, quiet: true, withdrawalAddresses: map });
    const readme = await fsp.readFile(join(out, "README.txt"), "utf8");
    const line = /--withdrawal-addresses=(\S+) \\/.exec(readme)?.[1];
    const listed = line?.split(",") ?? [];
    assert.equal(listed.length, 22);
    for (let i = 0; i < 22; i++) {
      const ks = parseKeystore(
        JSON.parse(await fsp.readFile(join(out, `keystore-${i}.json`), "utf8")),
      );
      const idx = keys.findIndex((k) => toHex(k.pubkey) === `0x${ks.pubkey}`);
      assert.equal(listed[i], addressOf(idx), `keystore-${i}.json`);
      assert.match(
        readme,
        new RegExp(`keystore-${i}\\.json  0x${ks.pubkey}  withdrawal ${addressOf(idx)}`),
      );
    }
    assert.doesNotMatch(readme, /no fixed order/);
    assert.match(readme, /pairs keystore-N with the\s+N-th address/);
  });

  test("a missing or an extra validator is refused, nothing written", async () => {
    const keys = Array.from({ length: 3 }, () => randomValidatorKey());
    const partial = new Map(keys.slice(0, 2).map((k, i) => [toHex(k.pubkey), addressOf(i)]));
    const out = join(root, "obol-missing");
    await assert.rejects(
      writeObol(out, keys, { kdfParams: LIGHT, quiet: true, withdrawalAddresses: partial }),
      (e: unknown) => e instanceof InputError && /No withdrawal address for 1/.test(e.shortMessage),
    );
    const extra = new Map([
      ...keys.map((k, i) => [toHex(k.pubkey), addressOf(i)] as const),
      [toHex(randomValidatorKey().pubkey), addressOf(9)],
    ]);
    await assert.rejects(
      writeObol(out, keys, { kdfParams: LIGHT, quiet: true, withdrawalAddresses: extra }),
      (e: unknown) => e instanceof InputError && /not being split/.test(e.shortMessage),
    );
    assert.equal(await exists(out), false);
  });

  test("the flag parser: inline pairs, a file of lines, a JSON file; errors name the flag", async () => {
    const a = toHex(randomValidatorKey().pubkey);
    const b = toHex(randomValidatorKey().pubkey);
    const inline = await parseWithdrawalAddresses(
      `${a}=${addressOf(0)},${b}=${addressOf(1).toLowerCase()}`,
    );
    assert.deepEqual(
      [...inline],
      [
        [a, addressOf(0)],
        [b, addressOf(1)],
      ],
    );
    const lines = join(root, "wd.txt");
    await fsp.writeFile(lines, `# minipools\n${a} = ${addressOf(0)}\n${b}=${addressOf(1)}\n`);
    assert.deepEqual([...(await parseWithdrawalAddresses(lines))], [...inline]);
    const json = join(root, "wd.json");
    await fsp.writeFile(json, JSON.stringify({ [a]: addressOf(0), [b]: addressOf(1) }));
    assert.deepEqual([...(await parseWithdrawalAddresses(json))], [...inline]);
    await assert.rejects(
      parseWithdrawalAddresses(`${a}=0x1234`),
      (e: unknown) => e instanceof InputError && /--withdrawal-addresses/.test(String(e.message)),
    );
    await assert.rejects(
      parseWithdrawalAddresses(`${a}=${addressOf(0)},${a}=${addressOf(1)}`),
      (e: unknown) => e instanceof InputError && /given twice/.test(e.shortMessage),
    );
    await assert.rejects(
      parseWithdrawalAddresses(join(root, "nope.txt")),
      (e: unknown) => e instanceof InputError && /cannot read the file/.test(e.shortMessage),
    );
  });
});
