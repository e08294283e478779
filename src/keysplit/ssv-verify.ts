/**
 * Verify an SSV keyshares file (ours, ssv-keys', ssv-dkg's or ssv-sdk's) before it is registered.
 *
 * Checks, in order, each naming the item, validator and field on failure: JSON shape (both the
 * bulk and the older single-item form, ./ssv-format.ts); the version gate of SSV's tools;
 * operators ascending, unique, n ∈ {4,7,10,13}, the same cluster in every item, RSA-2048 keys;
 * payload/data consistency; sharesData length 96+304·n; owner nonces consecutive per owner;
 * validator key and share keys valid G1 subgroup points; the ownership signature (the node's
 * `verifySignature` in ssvlabs/ssv eth/eventhandler); that the share public keys are a sharing of
 * the validator key with threshold EXACTLY t — all on one polynomial of degree t−1 through it
 * (each share after the first t−1 interpolates with them to the key, so every t-subset does), the
 * first t−1 alone do not (so no t−1 operators can sign), and no share is the key itself
 * (./format-io.ts findShareDefect); and, with operator private keys,
 * that every encrypted share decrypts to a secret whose public key is its share public key
 * (the node's check before it accepts a share).
 */
import type { KeyObject } from "node:crypto";
import {
  type PublicKey,
  type Signature,
  verify,
  verifyMultipleAggregateSignatures,
} from "@chainsafe/blst";
import { publicKeyFromBytes, secretKeyFromBytes, signatureFromBytes } from "../crypto/bls.js";
import { parseOperatorPublicKey, publicKeyId, rsaDecrypt } from "../crypto/rsa.js";
import { BaseError, InputError, VerificationError } from "../errors.js";
import { parseAddress } from "../util/address.js";
import { fromHex } from "../util/hex.js";
import { readJsonFile, sameWording } from "../util/json-file.js";
import { describeShareDefect, findPublicShareDefect } from "./format-io.js";
import { assertOperatorIds, thresholdFor } from "./split.js";
import {
  assertSsvVersion,
  BYTES_PER_OPERATOR,
  decodeSharesData,
  OWNER_ADDRESS,
  ownershipMessage,
  parseSsvKeysharesJson,
  type SsvKeysharesItem,
} from "./ssv-format.js";
import { loadOperatorPrivateKeys } from "./ssv-operators.js";
import type { VerifyReport } from "./verify-report.js";

/** Where in the file an item is, for error messages. */
type Ctx = { file: string; prefix: string; label: string; pubkey: string };

function short(pubkey: string): string {
  return pubkey.length > 20 ? `${pubkey.slice(0, 10)}…${pubkey.slice(-6)}` : pubkey;
}

function inputFail(
  ctx: Ctx,
  field: string,
  message: string,
  extra: { details?: string; hint?: string } = {},
): InputError {
  return new InputError(`${ctx.label}: ${message}`, {
    file: ctx.file,
    field: `${ctx.prefix}${field}`,
    details: extra.details,
    metaMessages: [`Validator: ${ctx.pubkey}`, ...(extra.hint ? [extra.hint] : [])],
  });
}

function cryptoFail(
  ctx: Ctx,
  field: string,
  message: string,
  extra: { details?: string; hint?: string } = {},
): VerificationError {
  return new VerificationError(`${ctx.label}: ${message}`, {
    details: extra.details,
    metaMessages: [
      `File: ${ctx.file}`,
      `Field: ${ctx.prefix}${field}`,
      `Validator: ${ctx.pubkey}`,
      extra.hint ??
        "The file is corrupt or was altered: do not register it; build it again from the keys.",
    ],
  });
}

/** Signatures are checked in batches (blst random-linear-combination batch verification, ~3× faster). */
const SIGNATURE_BATCH = 128;
type PendingSignature = {
  ctx: Ctx;
  msg: Uint8Array;
  pk: PublicKey;
  sig: Signature;
  owner: string;
  nonce: number;
};

/** Verify pending ownership signatures; on a batch failure, find and name the first bad one. */
function flushSignatures(pending: PendingSignature[]): void {
  if (pending.length === 0) return;
  const sets = pending.map(({ msg, pk, sig }) => ({ msg, pk, sig }));
  if (!verifyMultipleAggregateSignatures(sets)) {
    for (const s of pending) {
      if (!verify(s.msg, s.pk, s.sig)) {
        throw cryptoFail(
          s.ctx,
          "payload.sharesData (signature, bytes 0–95)",
          `ownership signature is invalid for owner ${s.owner}, nonce ${s.nonce}`,
          {
            hint: 'The signature must be by the validator key over keccak256("<owner>:<nonce>"): wrong owner, wrong nonce, or altered data.',
          },
        );
      }
    }
  }
  pending.length = 0;
}

/** Re-throw an error from a helper with the item's context in front. */
function withCtx(ctx: Ctx, field: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof BaseError)
      throw inputFail(ctx, field, err.shortMessage, { details: err.details });
    throw err;
  }
}

type ItemShape = { ids: number[]; keys: string[]; n: number; t: number };

function checkItemShape(item: SsvKeysharesItem, ctx: Ctx, first: ItemShape | undefined): ItemShape {
  const { data, payload } = item;
  if (payload.publicKey.toLowerCase() !== data.publicKey.toLowerCase()) {
    throw inputFail(ctx, "payload.publicKey", "payload.publicKey differs from data.publicKey");
  }
  const ids = data.operators.map((o) => o.id);
  withCtx(ctx, "data.operators", () => assertOperatorIds(ids));
  if (
    payload.operatorIds.length !== ids.length ||
    payload.operatorIds.some((id, i) => id !== ids[i])
  ) {
    throw inputFail(
      ctx,
      "payload.operatorIds",
      `payload.operatorIds [${payload.operatorIds}] differ from data.operators ids [${ids}]`,
      {
        hint: "Operators must be listed once, ascending by id, in the same order in both places.",
      },
    );
  }
  const keys = data.operators.map((o) => o.operatorKey);
  if (first && (first.ids.join() !== ids.join() || first.keys.some((k, i) => k !== keys[i]))) {
    throw inputFail(
      ctx,
      "data.operators",
      `operators [${ids}] differ from the first item's [${first.ids}]`,
      {
        hint: "A keyshares file registers validators to one cluster: every item must have the same operators.",
      },
    );
  }
  const n = ids.length;
  return { ids, keys, n, t: thresholdFor(n) };
}

function checkOperatorKeys(item: SsvKeysharesItem, ctx: Ctx): KeyObject[] {
  const seen = new Map<string, number>();
  return item.data.operators.map((o, i) => {
    let key: KeyObject | undefined;
    withCtx(ctx, `data.operators[${i}].operatorKey`, () => {
      key = parseOperatorPublicKey(o.operatorKey, { operatorId: o.id });
    });
    const id = publicKeyId(key as KeyObject);
    const other = seen.get(id);
    if (other !== undefined) {
      throw inputFail(
        ctx,
        `data.operators[${i}].operatorKey`,
        `operators ${other} and ${o.id} have the same public key`,
      );
    }
    seen.set(id, o.id);
    return key as KeyObject;
  });
}

/**
 * Check that the share keys are a sharing of the validator key with threshold exactly t: all on
 * one polynomial of degree t−1 through it (every t-subset interpolates to it), no t−1 of them
 * giving it, none equal to it (format-io.ts findShareDefect). Keys were subgroup-checked before.
 */
function checkInterpolation(
  ctx: Ctx,
  pubkey: Uint8Array,
  ids: number[],
  sharePubkeys: Uint8Array[],
  t: number,
): void {
  const shares = ids.map((id, i) => ({ id, pubkey: sharePubkeys[i] as Uint8Array }));
  const defect = findPublicShareDefect(pubkey, shares, t);
  if (!defect) return;
  const { message, hint } = describeShareDefect(defect, t, "the validator");
  const field =
    defect.kind === "share-is-key" || defect.ids.length === 1
      ? `payload.sharesData (share public key of operator ${defect.kind === "share-is-key" ? defect.id : defect.ids[0]})`
      : "payload.sharesData";
  throw cryptoFail(ctx, field, message, {
    hint: `${hint} Do not register this file.`,
  });
}

function checkDecryption(
  ctx: Ctx,
  ids: number[],
  sharePubkeys: Uint8Array[],
  encrypted: Uint8Array[],
  privateKeys: (KeyObject | undefined)[],
): number {
  let count = 0;
  privateKeys.forEach((priv, i) => {
    if (!priv) return;
    const id = ids[i] as number;
    const field = `payload.sharesData (encrypted share of operator ${id})`;
    let plain: string;
    try {
      plain = Buffer.from(
        rsaDecrypt(priv, encrypted[i] as Uint8Array, { operatorId: id }),
      ).toString("latin1");
    } catch (err) {
      throw cryptoFail(
        ctx,
        field,
        `encrypted share of operator ${id} does not decrypt with its private key`,
        {
          details: err instanceof BaseError ? err.details : undefined,
        },
      );
    }
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(plain)) {
      throw cryptoFail(ctx, field, `encrypted share of operator ${id} is not a 32-byte hex secret`);
    }
    let pk: Uint8Array;
    try {
      pk = secretKeyFromBytes(fromHex(plain)).toPublicKey().toBytes();
    } catch {
      throw cryptoFail(
        ctx,
        field,
        `encrypted share of operator ${id} is not a valid BLS secret key`,
      );
    }
    if (!Buffer.from(pk).equals(Buffer.from(sharePubkeys[i] as Uint8Array))) {
      throw cryptoFail(
        ctx,
        field,
        `decrypted share of operator ${id} does not match its share public key`,
      );
    }
    count++;
  });
  return count;
}

/** Every validator key and the ownership signature of an item, decoded (G1 / G2 points). */
function decodeItemPoints(
  ctx: Ctx,
  pubkeyBytes: Uint8Array,
  signature: Uint8Array,
): { pk: PublicKey; sig: Signature } {
  let pk: PublicKey;
  let sig: Signature;
  try {
    pk = publicKeyFromBytes(pubkeyBytes);
  } catch {
    throw cryptoFail(
      ctx,
      "data.publicKey",
      "validator public key is not a valid BLS12-381 G1 point",
    );
  }
  try {
    sig = signatureFromBytes(signature);
  } catch {
    throw cryptoFail(
      ctx,
      "payload.sharesData (signature, bytes 0–95)",
      "ownership signature is not a valid BLS12-381 G2 point",
    );
  }
  return { pk, sig };
}

/** Every share public key is a valid G1 point. */
function checkSharePubkeys(ctx: Ctx, ids: number[], sharePubkeys: Uint8Array[]): void {
  sharePubkeys.forEach((pk, i) => {
    try {
      publicKeyFromBytes(pk);
    } catch {
      throw cryptoFail(
        ctx,
        `payload.sharesData (share public key of operator ${ids[i]})`,
        `share public key of operator ${ids[i]} is not a valid BLS12-381 G1 point`,
      );
    }
  });
}

/** sharesData split into its parts; a wrong length or layout names the item. */
function decodeParts(ctx: Ctx, item: SsvKeysharesItem, n: number) {
  try {
    return decodeSharesData(item.payload.sharesData, n);
  } catch (err) {
    throw inputFail(ctx, "payload.sharesData", (err as BaseError).shortMessage, {
      hint: `Layout: signature(96) ‖ share public key(48)×${n} ‖ encrypted share(256)×${n}.`,
    });
  }
}

/**
 * One pass over a keyshares file: the cluster shape (from the first item), the operator private
 * keys found, per-owner nonces, validators seen, ownership signatures batched for verification.
 */
class KeysharesCheck {
  private shape: ItemShape | undefined;
  private privateKeys: (KeyObject | undefined)[] = [];
  private decrypted = 0;
  private readonly seenValidators = new Map<string, number>();
  private readonly lastNonce = new Map<string, { nonce: number; first: number }>();
  private readonly pending: PendingSignature[] = [];

  constructor(
    private readonly file: string,
    private readonly ks: ReturnType<typeof parseSsvKeysharesJson>,
    private readonly privByKeyId: Map<string, KeyObject>,
    private readonly operatorKeysDir: string | undefined,
  ) {}

  /** Check every item in file order; the first failure in file order is thrown. */
  run(): VerifyReport {
    this.ks.shares.forEach((item, index) => {
      try {
        this.checkItem(item, index);
      } catch (err) {
        // an earlier item's bad signature (still in the batch) is the first error in file order
        flushSignatures(this.pending);
        throw err;
      }
    });
    flushSignatures(this.pending);
    return this.report();
  }

  private context(item: SsvKeysharesItem, index: number): Ctx {
    const pubkey = item.data.publicKey.toLowerCase();
    return {
      file: this.file,
      prefix: this.ks.singleItem ? "" : `shares[${index}].`,
      label: `${this.ks.singleItem ? "Keyshares" : `shares[${index}]`} (validator ${short(pubkey)})`,
      pubkey,
    };
  }

  /** The cluster shape, taken from the first item (with its operator keys) and held to after. */
  private itemShape(item: SsvKeysharesItem, ctx: Ctx): ItemShape {
    const thisShape = checkItemShape(item, ctx, this.shape);
    if (this.shape) return this.shape;
    this.shape = thisShape;
    const keys = checkOperatorKeys(item, ctx);
    this.privateKeys = keys.map((k) => this.privByKeyId.get(publicKeyId(k)));
    if (this.operatorKeysDir !== undefined && this.privateKeys.every((k) => k === undefined)) {
      throw new InputError(
        "None of the operator private keys belongs to an operator of this file",
        {
          file: this.operatorKeysDir,
          metaMessages: [
            `The file's operators are ${thisShape.ids.join(", ")}: give their private keys.`,
          ],
        },
      );
    }
    return thisShape;
  }

  /** The owner address, its nonce consecutive to the owner's previous item. */
  private ownerOf(item: SsvKeysharesItem, ctx: Ctx): string {
    let owner = "";
    withCtx(ctx, "data.ownerAddress", () => {
      owner = parseAddress(item.data.ownerAddress, {}, OWNER_ADDRESS);
    });
    const prev = this.lastNonce.get(owner);
    if (prev && item.data.ownerNonce !== prev.nonce + 1) {
      throw inputFail(
        ctx,
        "data.ownerNonce",
        `owner nonce ${item.data.ownerNonce} should be ${prev.nonce + 1}`,
        {
          hint: "Validators of one owner carry consecutive nonces in file order (each registration increments it).",
        },
      );
    }
    this.lastNonce.set(owner, {
      nonce: item.data.ownerNonce,
      first: prev?.first ?? item.data.ownerNonce,
    });
    return owner;
  }

  private checkItem(item: SsvKeysharesItem, index: number): void {
    const ctx = this.context(item, index);
    const { ids, n, t } = this.itemShape(item, ctx);
    const dupe = this.seenValidators.get(ctx.pubkey);
    if (dupe !== undefined)
      throw inputFail(ctx, "data.publicKey", `validator also appears in shares[${dupe}]`);
    this.seenValidators.set(ctx.pubkey, index);
    const owner = this.ownerOf(item, ctx);
    const parts = decodeParts(ctx, item, n);
    const pubkeyBytes = fromHex(ctx.pubkey);
    const { pk, sig } = decodeItemPoints(ctx, pubkeyBytes, parts.signature);
    const nonce = item.data.ownerNonce;
    this.pending.push({ ctx, msg: ownershipMessage(owner, nonce), pk, sig, owner, nonce });
    if (this.pending.length >= SIGNATURE_BATCH) flushSignatures(this.pending);
    checkSharePubkeys(ctx, ids, parts.sharePubkeys);
    checkInterpolation(ctx, pubkeyBytes, ids, parts.sharePubkeys, t);
    this.decrypted += checkDecryption(
      ctx,
      ids,
      parts.sharePubkeys,
      parts.encryptedShares,
      this.privateKeys,
    );
  }

  private report(): VerifyReport {
    const ks = this.ks;
    const { ids, n, t } = this.shape as ItemShape;
    const count = ks.shares.length;
    const nonces = [...this.lastNonce.entries()].map(([owner, { nonce, first }]) =>
      first === nonce ? `${owner} nonce ${nonce}` : `${owner} nonces ${first}..${nonce}`,
    );
    const withKeys = ids.filter((_, i) => this.privateKeys[i] !== undefined);
    return {
      format: `ssv-keyshares ${ks.version}`,
      file: this.file,
      validators: count,
      operators: ids,
      threshold: t,
      checks: [
        `JSON shape${ks.singleItem ? " (single-item form)" : ""} and version ${ks.version} (SSV tools accept v1.1.x, v1.2.x)`,
        `operators ${ids.join(",")}: ascending, unique, n=${n}, threshold ${t}, RSA-2048 keys, same cluster in every item`,
        `payload.publicKey and payload.operatorIds match data (${count} validators, no duplicates)`,
        `sharesData length 96+304·${n} = ${96 + BYTES_PER_OPERATOR * n} bytes`,
        `owner nonces consecutive: ${nonces.join("; ")}`,
        `ownership signatures valid (${count})`,
        `share public keys are G1 subgroup points on one polynomial of degree exactly ${t - 1} through the validator key: every ${t}-of-${n} subset interpolates to it, no ${t - 1} shares do, no share is the key (${count})`,
        withKeys.length > 0
          ? `encrypted shares of operators ${withKeys.join(",")} decrypt to secrets matching their share public keys (${this.decrypted})`
          : "encrypted shares: not decrypted (no operator private keys given)",
      ],
    };
  }
}

/**
 * Verify an SSV keyshares file. With `operatorKeysDir` (PEM or ssv-dkg encrypted RSA keys, see
 * {@link loadOperatorPrivateKeys}), also decrypts every share whose operator key is present.
 * Throws InputError / VerificationError naming the item, validator and field on the first failure.
 *
 * @example
 * const report = await verifySsvKeyshares("/out/keyshares.json", { operatorKeysDir: "/keys/ops" });
 * console.log(report.checks.join("\n"));
 */
export async function verifySsvKeyshares(
  file: string,
  opts: { operatorKeysDir?: string } = {},
): Promise<VerifyReport> {
  const json = await readJsonFile(file, {
    ...sameWording("Cannot read the keyshares file"),
    empty: "The keyshares file is empty",
    corrupt:
      "The keyshares file is not valid JSON (truncated or altered?): export it again from the tool that made it and verify that copy",
  });
  const ks = parseSsvKeysharesJson(json, file);
  assertSsvVersion(ks.version, file);
  const privByKeyId = new Map<string, KeyObject>();
  if (opts.operatorKeysDir !== undefined) {
    for (const k of await loadOperatorPrivateKeys(opts.operatorKeysDir))
      privByKeyId.set(k.keyId, k.key);
  }
  return new KeysharesCheck(file, ks, privByKeyId, opts.operatorKeysDir).run();
}
