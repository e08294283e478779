/**
 * This operator's place in its cluster, from the cluster definition (src/keysplit/cluster.ts) and
 * its p2p identity (src/p2p/identity.ts): every operator's secp256k1 public key (from its libp2p
 * peer id) and endpoint, this operator's index, a check that the identity file is the one the
 * cluster registered for it, and the p2p listen address (`--listen`, else its endpoint).
 */
import { publicKeyFromIdentity } from "../crypto/secp256k1.js";
import { InputError } from "../errors.js";
import type { ClusterDefinition } from "../keysplit/cluster.js";

/**
 * One cluster member as the p2p transport and the consensus verifier take it.
 *
 * @example
 * const p: ClusterPeer = { index: 0, publicKey, address: "127.0.0.1:9000" };
 */
export type ClusterPeer = { index: number; publicKey: Uint8Array; address: string | undefined };

/**
 * Every operator of `def` as a peer; an InputError naming the operator without an identity.
 *
 * @example
 * const peers = clusterPeers(op.definition);
 */
export function clusterPeers(def: ClusterDefinition): ClusterPeer[] {
  return def.operators.map((o, i) => {
    if (o.identity === null) {
      throw new InputError(`Operator ${o.id} has no p2p identity in the cluster definition`, {
        field: `operators[${i}].identity`,
        metaMessages: [
          "Each operator runs `rpdvt node identity --out FILE --json` (field peerId); then `rpdvt keys split --format cluster --peer-ids …` or, for an existing cluster output, `rpdvt cluster set-identities --cluster DIR --peer-ids …`.",
        ],
      });
    }
    return {
      index: i,
      publicKey: publicKeyFromIdentity(o.identity, `operators[${i}].identity`),
      address: o.endpoint,
    };
  });
}

/**
 * This operator's index and listen address, after checking that `identityPublicKey` (from
 * `identityFile`) is the one the cluster registered for operator `operatorId`.
 *
 * @example
 * const { index, listen } = selfInCluster(def, peers, 1, identity.publicKey, "id.json", undefined);
 */
export function selfInCluster(
  def: ClusterDefinition,
  peers: readonly ClusterPeer[],
  operatorId: number,
  identityPublicKey: Uint8Array,
  identityFile: string,
  listenFlag: string | undefined,
): { index: number; listen: string } {
  const index = def.operators.findIndex((o) => o.id === operatorId);
  const self = peers[index];
  if (!self || Buffer.compare(self.publicKey, identityPublicKey) !== 0) {
    throw new InputError(
      `The identity key is not operator ${operatorId}'s identity in the cluster definition`,
      {
        file: identityFile,
        metaMessages: [
          "Use the identity file this operator registered when the cluster was created.",
        ],
      },
    );
  }
  const listen = listenFlag ?? self.address;
  if (!listen) {
    throw new InputError(
      "No listen address: give --listen host:port or an endpoint in the cluster definition",
      { field: "--listen" },
    );
  }
  return { index, listen };
}
