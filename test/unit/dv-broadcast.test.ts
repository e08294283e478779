/** Broadcast: "already known" answers (another operator submitted first) count as success. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isAlreadyKnown } from "../../src/core/broadcast/broadcast.js";

test("already-known beacon errors are recognised, mixed or other errors are not", () => {
  const lodestar = (...lines: string[]) =>
    new Error(
      [
        "Beacon node rejected POST /eth/v1/beacon/pool/attestations (HTTP 500)",
        "",
        "Request: POST /eth/v1/beacon/pool/attestations",
        "  http://127.0.0.1:34389: HTTP 500 — Multiple errors on submitPoolAttestations",
        ...lines,
      ].join("\n"),
    );
  assert.equal(
    isAlreadyKnown(
      lodestar(
        "ATTESTATION_ERROR_ATTESTATION_ALREADY_KNOWN",
        "ATTESTATION_ERROR_ATTESTATION_ALREADY_KNOWN",
      ),
    ),
    true,
  );
  assert.equal(
    isAlreadyKnown(
      lodestar(
        "ATTESTATION_ERROR_ATTESTATION_ALREADY_KNOWN",
        "ATTESTATION_ERROR_INVALID_SIGNATURE",
      ),
    ),
    false,
  );
  assert.equal(isAlreadyKnown(lodestar("ATTESTATION_ERROR_INVALID_SIGNATURE")), false);
  assert.equal(isAlreadyKnown(new Error("BLOCK_ERROR_ALREADY_KNOWN")), true);
  assert.equal(
    isAlreadyKnown(
      new Error(
        "Beacon node rejected POST /eth/v1/beacon/blocks (HTTP 500)\n\nRequest: POST /eth/v1/beacon/blocks\n  http://127.0.0.1:1: HTTP 500 — PublishError.Duplicate",
      ),
    ),
    true,
  );
  assert.equal(isAlreadyKnown(new Error("connect ECONNREFUSED 127.0.0.1:5052")), false);
});
