/**
 * Default signing threshold for a group of g shares: t = ⌈2g/3⌉, the smallest quorum such that two
 * quorums always overlap in more than the ⌊(g−1)/3⌋ tolerated faulty members (BFT). For g = 3F+1
 * this is 2F+1 (the rpdvt/SSV cluster sizes 4, 7, 10, 13 → 3, 5, 7, 9). Same formula as Obol
 * charon's `Threshold(nodes) = ceil(2·nodes/3)` (github.com/ObolNetwork/charon core/qbft/qbft.go).
 */

/**
 * Default threshold ⌈2g/3⌉ for a group of `groupSize` shares.
 *
 * @example
 * defaultThreshold(4); // 3
 * defaultThreshold(8); // 6
 */
export function defaultThreshold(groupSize: number): number {
  return Math.ceil((2 * groupSize) / 3);
}
