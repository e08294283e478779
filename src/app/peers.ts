/**
 * This operator's place in its cluster, from the cluster definition (src/keysplit/cluster.ts) and
 * its p2p identity (src/p2p/identity.ts): every operator's secp256k1 public key (from its libp2p
 * peer id) and endpoint, this operator's index, a check that the identity file is the one the
 * cluster registered for it, and the p2p listen address (`--listen`, else its endpoint); the
 * member's p2p transport (src/p2p/transport.ts), started and pushed on the undo stack.
 */
import { publicKeyFromIdentity } from "../crypto/secp256k1.js";
import { InputError } from "../errors.js";
import type { ClusterDefinition } from "../keysplit/cluster.js";
import { loadIdentity, type NodeIdentity } from "../p2p/identity.js";
import { createP2PTransport, type P2PTransport } from "../p2p/transport.js";
import type { UndoStack } from "./undo.js";

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

/**
 * One operator's place in a cluster: its p2p identity, every peer, its index and listen address.
 *
 * @example
 * const m: ClusterMember = await clusterMember(def, 1, "identity.json", undefined);
 */
export type ClusterMember = {
  identity: NodeIdentity;
  peers: ClusterPeer[];
  index: number;
  listen: string;
};

/**
 * Load `identityFile` and place operator `operatorId` in `def` ({@link clusterPeers},
 * {@link selfInCluster}: the identity must be the one the cluster registered).
 *
 * @example
 * const { identity, peers, index, listen } = await clusterMember(def, 1, "id.json", "0.0.0.0:9000");
 */
export async function clusterMember(
  def: ClusterDefinition,
  operatorId: number,
  identityFile: string,
  listenFlag: string | undefined,
): Promise<ClusterMember> {
  const identity = await loadIdentity(identityFile);
  const peers = clusterPeers(def);
  const self = selfInCluster(def, peers, operatorId, identity.publicKey, identityFile, listenFlag);
  return { identity, peers, ...self };
}

/**
 * The member's p2p transport (messages up to `maxMessageSize` bytes), pushed on `started` as
 * `what` (stopped on undo) and started.
 *
 * @example
 * const transport = await startMemberTransport(m, MAX_MESSAGE_SIZE, started, "p2p transport");
 */
export async function startMemberTransport(
  m: ClusterMember,
  maxMessageSize: number,
  started: UndoStack,
  what: string,
): Promise<P2PTransport> {
  const transport = await createP2PTransport({
    identity: m.identity,
    self: m.index,
    peers: m.peers,
    listen: m.listen,
    maxMessageSize,
  });
  started.push(what, () => transport.stop());
  await transport.start();
  return transport;
}
