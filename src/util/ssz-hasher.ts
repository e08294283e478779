/**
 * SSZ hashing backend (a side-effect module: import it before hashing). @chainsafe/ssz hashes
 * through @chainsafe/persistent-merkle-tree, whose default hasher is pure-JS @noble/hashes;
 * Lodestar's own nodes switch to the native SIMD `hashtree` (persistent-merkle-tree
 * `setHasher`, "hasher/hashtree"). Measured here, one phase0 AttestationData hash_tree_root:
 * noble 20 µs, as-sha256 (wasm) 9.3 µs, hashtree 4.3 µs — signing roots and validity checks run
 * on every duty. hashtree ships prebuilt binaries for the common platforms; where none loads,
 * as-sha256 is used. All three are SHA-256: roots are identical whichever is active.
 */
import { setHasher } from "@chainsafe/persistent-merkle-tree";

try {
  setHasher((await import("@chainsafe/persistent-merkle-tree/hasher/hashtree")).hasher);
} catch {
  setHasher((await import("@chainsafe/persistent-merkle-tree/hasher/as-sha256")).hasher);
}
