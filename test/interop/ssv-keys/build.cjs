#!/usr/bin/env node
/**
 * Interop harness, other direction: build a keyshares file with SSV's own ssv-keys@1.1.0, the way
 * its examples/console/example-complex.ts does (SSVKeys.buildShares → KeySharesItem.buildPayload
 * → KeyShares.toJson), so rpdvt's verifier can be tested on ssv-keys output.
 *
 *   echo '{"validators":[{"privateKey":"0x…"}],"operators":[{"id":1,"operatorKey":"LS0t…"}],
 *          "owner":"0x…","nonce":0}' | node build.cjs   → keyshares JSON on stdout
 */
"use strict";
const { SSVKeys, KeyShares, KeySharesItem } = require("ssv-keys");

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const ssvKeys = new SSVKeys();
  const keyShares = new KeyShares();
  for (const [i, v] of input.validators.entries()) {
    const threshold = await ssvKeys.createThreshold(v.privateKey, input.operators);
    const encryptedShares = await ssvKeys.encryptShares(input.operators, threshold.shares);
    const item = new KeySharesItem();
    await item.update({ operators: input.operators });
    await item.update({
      ownerAddress: input.owner,
      ownerNonce: input.nonce + i,
      publicKey: threshold.publicKey,
    });
    await item.buildPayload(
      { publicKey: threshold.publicKey, operators: input.operators, encryptedShares },
      { ownerAddress: input.owner, ownerNonce: input.nonce + i, privateKey: v.privateKey },
    );
    keyShares.add(item);
  }
  process.stdout.write(`${keyShares.toJson()}\n`);
}

main().catch((err) => {
  process.stderr.write(`ssv-keys build failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
