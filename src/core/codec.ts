/**
 * Canonical encoding of an {@link UnsignedDataSet} — the QBFT value of a duty (one value covers
 * every validator of the cluster for that slot and duty type, Charon's `UnsignedDataSet`).
 *
 * Layout (all integers big-endian; SSZ payloads per consensus-specs SSZ):
 *
 *   version u8 (=1) ‖ kind u8 (1 attestation, 2 block, 3 aggregate, 4 sync message,
 *   5 sync contribution, 6 aggregate of Electra or later, 7 builder registration, 8 blinded
 *   block) ‖ count u32 ‖
 *   count × ( pubkey[48] ‖ len u32 ‖ payload[len] ), pubkeys strictly ascending (bytewise)
 *
 *   attestation payload: SSZ(AttestationData)[128] ‖ validatorIndex u64 ‖ committeeIndex u64 ‖
 *                        committeeLength u32 ‖ committeesAtSlot u32 ‖ validatorCommitteeIndex u32
 *   block payload:       forkNameLen u8 ‖ forkName ‖ blockLen u32 ‖ SSZ(BeaconBlock of fork) ‖
 *                        nProofs u16 ‖ nProofs × kzgProof[48] ‖ nBlobs u16 ‖ nBlobs × (len u32 ‖ blob)
 *                        (Fulu+: nProofs and nBlobs are u32 — cell proofs, below)
 *   aggregate payload:   committeeLength u32 ‖ SSZ(phase0 AggregateAndProof)          (kind 3)
 *   Electra+ aggregate:  forkNameLen u8 ‖ forkName ‖ committeeLength u32 ‖
 *                        SSZ(AggregateAndProof of fork: committee_bits, EIP-7549)      (kind 6)
 *   sync message payload: slot u64 ‖ beaconBlockRoot[32] ‖ validatorIndex u64
 *   sync contribution payload: SSZ(ContributionAndProof) (bit vector length of the preset)
 *   registration payload (kind 7): SSZ(ValidatorRegistrationV1)[84] ‖ hasSignature u8 (0|1) ‖
 *                        [signature[96]] (builder-specs bellatrix/builder.md)
 *   blinded block payload (kind 8): forkNameLen u8 ‖ forkName (Bellatrix+) ‖ hasValue u8 (0|1) ‖
 *                        [valueWei u256] ‖ SSZ(BlindedBeaconBlock of fork) (builder-specs)
 *
 * Blob bundles (beacon-APIs BlockContents): Deneb/Electra carry one KZG proof per blob (deneb
 * validator.md "Constructing the BlobSidecars"); Fulu carries the cell proofs, CELLS_PER_EXT_BLOB
 * per blob (fulu validator.md "Block and sidecar proposal", EIP-7594); either way the body commits
 * to one blob_kzg_commitment per blob. Values breaking these counts do not decode.
 *
 * Decoding is strict (every length checked, no trailing bytes) and canonical: a value decodes only
 * if re-encoding it gives the same bytes, so equal sets have equal hashes. Decoding never throws.
 */
import {
  CELLS_PER_EXT_BLOB,
  ForkName,
  isForkPostBellatrix,
  isForkPostDeneb,
  isForkPostElectra,
  isForkPostFulu,
} from "@lodestar/params";
import { type BeaconBlock, type BlindedBeaconBlock, ssz, sszTypesFor } from "@lodestar/types";
import { InputError } from "../errors.js";
import { bytesEqual, fromHex, toHex } from "../util/hex.js";
import { aggregateAndProofType } from "./domain.js";
import type { UnsignedData, UnsignedDataSet } from "./types.js";

/**
 * Encoding version byte.
 *
 * @example
 * value[0] === UNSIGNED_SET_VERSION // true
 */
export const UNSIGNED_SET_VERSION = 1;
/**
 * Kind byte of each payload type.
 *
 * @example
 * value[1] === UNSIGNED_KIND.attestation
 */
export const UNSIGNED_KIND = {
  attestation: 1,
  block: 2,
  aggregate: 3,
  sync_message: 4,
  sync_contribution: 5,
  registration: 7,
  blinded_block: 8,
} as const;
/**
 * Kind byte of an aggregate set of Electra or later (payload names its fork; EIP-7549 container).
 *
 * @example
 * value[1] === UNSIGNED_KIND_AGGREGATE_ELECTRA // an electra/fulu aggregator duty's value
 */
export const UNSIGNED_KIND_AGGREGATE_ELECTRA = 6;
const KIND_BY_BYTE: Record<number, UnsignedData["kind"]> = {
  1: "attestation",
  2: "block",
  3: "aggregate",
  4: "sync_message",
  5: "sync_contribution",
  [UNSIGNED_KIND_AGGREGATE_ELECTRA]: "aggregate",
  7: "registration",
  8: "blinded_block",
};
/** Kind byte of an entry (aggregates of Electra or later have their own). */
const kindByte = (u: UnsignedData): number =>
  u.kind === "aggregate" && u.fork !== undefined && isForkPostElectra(u.fork)
    ? UNSIGNED_KIND_AGGREGATE_ELECTRA
    : UNSIGNED_KIND[u.kind];
/**
 * Bound on entries in one set: 100 000 validators (far above any DV cluster; bounds decoding).
 *
 * @example
 * if (set.size > MAX_SET_ENTRIES) throw new InputError("too many validators");
 */
export const MAX_SET_ENTRIES = 100_000;
const ATT_DATA_LEN = 128; // SSZ fixed size of AttestationData (8+8+32+40+40)
const KZG_PROOF_LEN = 48;
const REGISTRATION_LEN = 84; // SSZ fixed size of ValidatorRegistrationV1 (20+8+8+48)
const SIGNATURE_LEN = 96;
const FORKS = new Set<string>(Object.values(ForkName));

type BlockSsz = { serialize(v: BeaconBlock): Uint8Array; deserialize(b: Uint8Array): BeaconBlock };
const blockType = (fork: ForkName): BlockSsz =>
  sszTypesFor(fork).BeaconBlock as unknown as BlockSsz;
type BlindedSsz = {
  serialize(v: BlindedBeaconBlock): Uint8Array;
  deserialize(b: Uint8Array): BlindedBeaconBlock;
};
const blindedType = (fork: ForkName): BlindedSsz => {
  if (!isForkPostBellatrix(fork))
    throw new RangeError(`no blinded block before Bellatrix (${fork})`);
  return sszTypesFor(fork).BlindedBeaconBlock as unknown as BlindedSsz;
};
const U256_MAX = (1n << 256n) - 1n;

class Writer {
  parts: Uint8Array[] = [];
  u8(v: number): void {
    this.parts.push(Uint8Array.of(v));
  }
  u16(v: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    this.parts.push(b);
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    this.parts.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(v));
    this.parts.push(b);
  }
  bytes(b: Uint8Array): void {
    this.parts.push(b);
  }
  done(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

class Reader {
  off = 0;
  readonly buf: Buffer;
  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): void {
    if (n < 0 || this.off + n > this.buf.length) throw new RangeError("truncated");
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.off++);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.off);
    this.off += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("u64 too large");
    return Number(v);
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(this.buf.subarray(this.off, this.off + n));
    this.off += n;
    return out;
  }
}

function encodePayload(w: Writer, u: UnsignedData): void {
  switch (u.kind) {
    case "attestation": {
      w.bytes(ssz.phase0.AttestationData.serialize(u.data));
      w.u64(u.duty.validatorIndex);
      w.u64(u.duty.committeeIndex);
      w.u32(u.duty.committeeLength);
      w.u32(u.duty.committeesAtSlot);
      w.u32(u.duty.validatorCommitteeIndex);
      return;
    }
    case "block": {
      const name = new TextEncoder().encode(u.block.fork);
      w.u8(name.length);
      w.bytes(name);
      const b = blockType(u.block.fork).serialize(u.block.block);
      w.u32(b.length);
      w.bytes(b);
      const proofs = u.block.kzgProofs ?? [];
      const blobs = u.block.blobs ?? [];
      checkBlobCounts(u.block.fork, u.block.block, proofs.length, blobs.length);
      const count = isForkPostFulu(u.block.fork) ? w.u32.bind(w) : w.u16.bind(w);
      count(proofs.length);
      for (const p of proofs) w.bytes(p);
      count(blobs.length);
      for (const blob of blobs) {
        w.u32(blob.length);
        w.bytes(blob);
      }
      return;
    }
    case "aggregate": {
      if (u.fork !== undefined && isForkPostElectra(u.fork)) {
        const name = new TextEncoder().encode(u.fork);
        w.u8(name.length);
        w.bytes(name);
        w.u32(u.committeeLength);
        w.bytes(aggregateAndProofType(u.fork).serialize(u.aggregateAndProof));
        return;
      }
      w.u32(u.committeeLength);
      w.bytes(ssz.phase0.AggregateAndProof.serialize(u.aggregateAndProof));
      return;
    }
    case "sync_message": {
      if (u.beaconBlockRoot.length !== 32) throw new InputError("Block root must be 32 bytes");
      w.u64(u.slot);
      w.bytes(u.beaconBlockRoot);
      w.u64(u.validatorIndex);
      return;
    }
    case "sync_contribution": {
      w.bytes(ssz.altair.ContributionAndProof.serialize(u.contributionAndProof));
      return;
    }
    case "blinded_block": {
      const name = new TextEncoder().encode(u.block.fork);
      const b = blindedType(u.block.fork).serialize(u.block.block);
      w.u8(name.length);
      w.bytes(name);
      const v = u.block.valueWei;
      if (v !== undefined && (v < 0n || v > U256_MAX)) throw new InputError("Bad blinded value");
      w.u8(v === undefined ? 0 : 1);
      if (v !== undefined) w.bytes(fromHex(v.toString(16).padStart(64, "0")));
      w.bytes(b);
      return;
    }
    case "registration": {
      w.bytes(ssz.bellatrix.ValidatorRegistrationV1.serialize(u.registration));
      if (u.signature && u.signature.length !== SIGNATURE_LEN) {
        throw new InputError("Registration signature must be 96 bytes");
      }
      w.u8(u.signature ? 1 : 0);
      if (u.signature) w.bytes(u.signature);
    }
  }
}

/**
 * Blob bundle counts of a block (module header): Deneb+ one commitment per blob; proofs per blob 1
 * (Deneb, Electra) or CELLS_PER_EXT_BLOB (Fulu+); no bundle before Deneb.
 */
function checkBlobCounts(fork: ForkName, block: BeaconBlock, proofs: number, blobs: number): void {
  if (!isForkPostDeneb(fork)) {
    if (proofs || blobs) throw new InputError(`A ${fork} block has no blob bundle`);
    return;
  }
  const commitments = (block.body as { blobKzgCommitments?: unknown[] }).blobKzgCommitments;
  const perBlob = isForkPostFulu(fork) ? CELLS_PER_EXT_BLOB : 1;
  if ((commitments?.length ?? 0) !== blobs || proofs !== blobs * perBlob) {
    throw new InputError(
      `Blob bundle of a ${fork} block: ${blobs} blobs, ${proofs} proofs, ${commitments?.length ?? 0} commitments`,
      { metaMessages: [`Expected one commitment and ${perBlob} KZG proof(s) per blob.`] },
    );
  }
}

/** Block payload (module header): fork, SSZ block, blob bundle. */
function decodeBlock(r: Reader, p: Uint8Array): UnsignedData {
  const fork = new TextDecoder().decode(r.bytes(r.u8()));
  if (!FORKS.has(fork)) throw new RangeError("unknown fork");
  const block = blockType(fork as ForkName).deserialize(r.bytes(r.u32()));
  const count = isForkPostFulu(fork as ForkName) ? () => r.u32() : () => r.u16();
  const nProofs = count();
  r.need(nProofs * KZG_PROOF_LEN);
  const kzgProofs = Array.from({ length: nProofs }, () => r.bytes(KZG_PROOF_LEN));
  const blobs = Array.from({ length: count() }, () => r.bytes(r.u32()));
  if (r.off !== p.length) throw new RangeError("trailing bytes");
  checkBlobCounts(fork as ForkName, block, kzgProofs.length, blobs.length);
  return { kind: "block", block: { fork: fork as ForkName, block, kzgProofs, blobs } };
}

/** Blinded block payload (module header): fork, optional value, SSZ blinded block. */
function decodeBlinded(r: Reader, p: Uint8Array): UnsignedData {
  const fork = new TextDecoder().decode(r.bytes(r.u8()));
  if (!FORKS.has(fork)) throw new RangeError("unknown fork");
  const flag = r.u8();
  if (flag > 1) throw new RangeError("bad value flag");
  const valueWei = flag ? BigInt(toHex(r.bytes(32))) : undefined;
  const block = blindedType(fork as ForkName).deserialize(r.bytes(p.length - r.off));
  const produced = { fork: fork as ForkName, block, blinded: true as const };
  return {
    kind: "blinded_block",
    block: valueWei === undefined ? produced : { ...produced, valueWei },
  };
}

function decodePayload(
  kind: UnsignedData["kind"],
  byte: number,
  pk: Uint8Array,
  p: Uint8Array,
): UnsignedData {
  const r = new Reader(p);
  switch (kind) {
    case "attestation": {
      const data = ssz.phase0.AttestationData.deserialize(r.bytes(ATT_DATA_LEN));
      const validatorIndex = r.u64();
      const committeeIndex = r.u64();
      const committeeLength = r.u32();
      const committeesAtSlot = r.u32();
      const validatorCommitteeIndex = r.u32();
      if (r.off !== p.length) throw new RangeError("trailing bytes");
      return {
        kind,
        data,
        duty: {
          pubkey: pk,
          validatorIndex,
          committeeIndex,
          committeeLength,
          committeesAtSlot,
          validatorCommitteeIndex,
          slot: data.slot,
        },
      };
    }
    case "block":
      return decodeBlock(r, p);
    case "aggregate": {
      if (byte === UNSIGNED_KIND_AGGREGATE_ELECTRA) {
        const fork = new TextDecoder().decode(r.bytes(r.u8()));
        if (!FORKS.has(fork) || !isForkPostElectra(fork as ForkName)) {
          throw new RangeError("not an Electra+ fork");
        }
        const committeeLength = r.u32();
        const type = aggregateAndProofType(fork as ForkName);
        const aggregateAndProof = type.deserialize(r.bytes(p.length - r.off));
        return { kind, committeeLength, aggregateAndProof, fork: fork as ForkName };
      }
      const committeeLength = r.u32();
      const aggregateAndProof = ssz.phase0.AggregateAndProof.deserialize(r.bytes(p.length - r.off));
      return { kind, committeeLength, aggregateAndProof };
    }
    case "sync_message": {
      const slot = r.u64();
      const beaconBlockRoot = r.bytes(32);
      const validatorIndex = r.u64();
      if (r.off !== p.length) throw new RangeError("trailing bytes");
      return { kind, slot, beaconBlockRoot, validatorIndex };
    }
    case "sync_contribution": {
      return { kind, contributionAndProof: ssz.altair.ContributionAndProof.deserialize(p) };
    }
    case "blinded_block":
      return decodeBlinded(r, p);
    case "registration": {
      const registration = ssz.bellatrix.ValidatorRegistrationV1.deserialize(
        r.bytes(REGISTRATION_LEN),
      );
      const flag = r.u8();
      if (flag > 1) throw new RangeError("bad signature flag");
      const signature = flag ? r.bytes(SIGNATURE_LEN) : undefined;
      if (r.off !== p.length) throw new RangeError("trailing bytes");
      return signature ? { kind, registration, signature } : { kind, registration };
    }
  }
}

/**
 * Encode a set (all entries must be of one kind; the set must not be empty).
 *
 * @example
 * const value = encodeUnsignedSet(set);
 * await qbft.propose({ slot, dutyType: DutyType.Attester }, value);
 */
export function encodeUnsignedSet(set: UnsignedDataSet): Uint8Array {
  const entries = [...set.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const first = entries[0];
  if (!first) throw new InputError("Cannot encode an empty unsigned data set");
  const kind = first[1].kind;
  const byte = kindByte(first[1]);
  const w = new Writer();
  w.u8(UNSIGNED_SET_VERSION);
  w.u8(byte);
  w.u32(entries.length);
  for (const [pk, u] of entries) {
    if (u.kind !== kind || kindByte(u) !== byte) {
      throw new InputError("Unsigned data set mixes kinds (or aggregate forks)");
    }
    const pkb = fromHex(pk);
    if (pkb.length !== 48) throw new InputError(`Bad validator pubkey ${pk}`);
    w.bytes(pkb);
    const pw = new Writer();
    encodePayload(pw, u);
    const payload = pw.done();
    w.u32(payload.length);
    w.bytes(payload);
  }
  return w.done();
}

/**
 * Decode a set; `undefined` for anything malformed or non-canonical (never throws).
 *
 * @example
 * const set = decodeUnsignedSet(decided.value);
 * if (!set) return false;
 */
export function decodeUnsignedSet(
  bytes: Uint8Array,
): { kind: UnsignedData["kind"]; set: UnsignedDataSet } | undefined {
  try {
    const r = new Reader(bytes);
    if (r.u8() !== UNSIGNED_SET_VERSION) return undefined;
    const byte = r.u8();
    const kind = KIND_BY_BYTE[byte];
    if (!kind) return undefined;
    const count = r.u32();
    if (count < 1 || count > MAX_SET_ENTRIES) return undefined;
    const set: UnsignedDataSet = new Map();
    let prev = "";
    for (let i = 0; i < count; i++) {
      const pk = r.bytes(48);
      const pkHex = toHex(pk);
      if (pkHex <= prev) return undefined;
      prev = pkHex;
      set.set(pkHex, decodePayload(kind, byte, pk, r.bytes(r.u32())));
    }
    if (r.off !== bytes.length) return undefined;
    if (!bytesEqual(encodeUnsignedSet(set), bytes)) return undefined;
    return { kind, set };
  } catch {
    return undefined;
  }
}
