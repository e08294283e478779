/**
 * The cluster data a DV node needs, as plain types owned by core (Charon core takes its cluster
 * lock through app/app.go, never by reading the file format itself): the threshold, the operator
 * ids (their order is the transport index), and per validator its public key, its fee recipient
 * and each operator's share public key. Only these fields are read, so the file format's own
 * type (src/keysplit/cluster.ts `ClusterDefinition`, with names, identities, endpoints, hash) is
 * assignable as is: the caller (src/cli/node.ts, test/simnet/dv.ts, bench/dv-worker.ts) passes the
 * definition it loaded and core does not depend on the output-format module.
 */
import type { PubkeyHex } from "./types.js";

/**
 * One validator of a cluster: its group public key, its fee recipient (0x-hex address, the one a
 * Rocket Pool validator must pay) and every operator's share public key (0x-hex, 48 bytes).
 *
 * @example
 * const v: DvClusterValidator = { pubkey, feeRecipient: "0x…20 bytes", shares: [{ operatorId: 1, pubkey: share1 }] };
 */
export type DvClusterValidator = {
  readonly pubkey: PubkeyHex;
  readonly feeRecipient: string;
  readonly shares: readonly { readonly operatorId: number; readonly pubkey: PubkeyHex }[];
};

/**
 * A cluster as the DV node sees it. `operators[i].id` is the operator id (Shamir x-coordinate);
 * `i` is the operator's transport index.
 *
 * @example
 * const cluster: DvCluster = { threshold: 3, operators: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }], validators };
 */
export type DvCluster = {
  readonly threshold: number;
  readonly operators: readonly { readonly id: number }[];
  readonly validators: readonly DvClusterValidator[];
};
