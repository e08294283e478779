#!/usr/bin/env node
/**
 * Interop harness: parse and validate SSV keyshares files with SSV's own npm package `ssv-keys`
 * (1.1.0, installed next to this file by install.sh), the library SSV's webapp uses.
 *
 *   node validate.cjs FILE...    → one JSON line per file: {file, ok, items, error?}; exit 0 iff all ok
 *
 * What ssv-keys itself checks, all run here:
 * - `KeyShares.fromJson`: the version gate (same major.minor as ssv-keys' own version) and, per
 *   item, `KeySharesItem.fromJson`: data/payload parsing, operators sorted + each operator key
 *   checked (`OperatorData` → operatorPublicKeyValidator), and `validateSingleShares` — the
 *   ownership signature over keccak256("<checksummed owner>:<nonce>") by data.publicKey.
 *   fromJson stores a failure in `item.error` instead of throwing, so that is checked here.
 * - class-validator `validate` (async, so the BLS PublicKeyValidator constraints also run) on
 *   every item, its data, payload and operators; any validation error fails the file.
 * - `KeySharesItem.buildSharesFromBytes` to split sharesData into share public keys, each then
 *   deserialized with ssv-keys' BLS library (bls-eth-wasm, as its PublicKeyValidator does).
 * Added here (ssv-keys has no such check): sharesData must be 96 + 304·n bytes and
 * payload.operatorIds / payload.publicKey must equal data's — the rules the SSV node applies.
 */
"use strict";
const { readFileSync } = require("node:fs");
const { KeyShares } = require("ssv-keys");
const { validate } = require("class-validator");
const bls = require("bls-eth-wasm");

const SIGNATURE_BYTES = 96;
const BYTES_PER_OPERATOR = 48 + 256;

function describe(err) {
  if (!err) return String(err);
  if (Array.isArray(err)) return err.map(describe).join("; ");
  if (err.constraints || err.children) {
    const own = err.constraints ? Object.values(err.constraints).join(", ") : "";
    const kids = (err.children || []).map(describe).filter(Boolean).join("; ");
    return `${err.property}: ${[own, kids].filter(Boolean).join(" / ")}`;
  }
  return err.message ? `${err.name || "Error"}: ${err.message}` : String(err);
}

async function classValidate(obj, label) {
  const errors = await validate(obj);
  if (errors.length > 0) throw new Error(`${label}: class-validator: ${describe(errors)}`);
}

async function checkFile(file) {
  const content = readFileSync(file, "utf8");
  const keyShares = await KeyShares.fromJson(content);
  const items = keyShares.list();
  if (items.length === 0) throw new Error("no keyshares items");
  if (!bls.deserializeHexStrToPublicKey) await bls.init(bls.BLS12_381);
  for (const [i, item] of items.entries()) {
    const label = `shares[${i}]`;
    if (item.error) throw new Error(`${label}: ${describe(item.error)}`);
    await classValidate(item, label);
    await classValidate(item.data, `${label}.data`);
    await classValidate(item.payload, `${label}.payload`);
    for (const op of item.data.operators)
      await classValidate(op, `${label}.data.operators[${op.id}]`);
    const ids = item.data.operatorIds;
    const n = ids.length;
    if (JSON.stringify(item.payload.operatorIds) !== JSON.stringify(ids)) {
      throw new Error(
        `${label}: payload.operatorIds ${item.payload.operatorIds} != data operators ${ids}`,
      );
    }
    if (
      String(item.payload.publicKey).toLowerCase() !== String(item.data.publicKey).toLowerCase()
    ) {
      throw new Error(`${label}: payload.publicKey != data.publicKey`);
    }
    const hexLen = item.payload.sharesData.length - 2;
    if (hexLen !== 2 * (SIGNATURE_BYTES + BYTES_PER_OPERATOR * n)) {
      throw new Error(
        `${label}: sharesData is ${hexLen / 2} bytes, expected ${SIGNATURE_BYTES + BYTES_PER_OPERATOR * n}`,
      );
    }
    const { sharesPublicKeys } = item.buildSharesFromBytes(item.payload.sharesData, n);
    for (const [j, pk] of sharesPublicKeys.entries()) {
      try {
        bls.deserializeHexStrToPublicKey(pk.replace("0x", ""));
      } catch (e) {
        throw new Error(
          `${label}: share public key ${j} (operator ${ids[j]}) does not deserialize: ${describe(e)}`,
        );
      }
    }
  }
  return items.length;
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write("usage: node validate.cjs KEYSHARES.json...\n");
    process.exit(2);
  }
  let failed = 0;
  for (const file of files) {
    try {
      const items = await checkFile(file);
      process.stdout.write(`${JSON.stringify({ file, ok: true, items })}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`${JSON.stringify({ file, ok: false, error: describe(err) })}\n`);
    }
  }
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`harness crashed: ${err?.stack ?? err}\n`);
  process.exit(3);
});
