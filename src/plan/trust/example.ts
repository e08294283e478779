/**
 * Built-in example trust configuration: the three selection strategies from the planning issue.
 * EVERY NUMBER HERE IS AN ILLUSTRATIVE GUESS (rpdvt authors, 2026-11) to be replaced by your own
 * estimates — there is no public data set of operator hack/collusion rates. Orders of magnitude
 * were chosen so the comparison is non-trivial: home setups lose liveness for a day or more a few
 * times in ten years; a hot key on an internet-facing home server has a percent-level yearly
 * compromise risk.
 */
import type { TrustConfigInput } from "./schema.js";

/**
 * The example configuration (`rpdvt plan trust` without `--config`).
 *
 * @example
 * evaluateTrust(parseTrustConfig(EXAMPLE_TRUST_CONFIG));
 */
export const EXAMPLE_TRUST_CONFIG: TrustConfigInput = {
  horizonYears: 1,
  self: [
    { name: "hack", safety: 0.01, liveness: 0.01 },
    { name: "regulator", safety: 0.002, liveness: 0.002 },
    { name: "own incompetence", safety: 0.003, liveness: 0.02 },
    { name: "hardware/ISP", safety: 0, liveness: 0.1 },
  ],
  retainedKeyRisk: 0.001,
  scenarios: [
    {
      name: "reciprocal large NOs",
      description: "You + 3 large node operators, reciprocal 3-of-4 clusters; two share a cloud",
      clusterSize: 4,
      validators: 10,
      includeSelf: true,
      operators: [
        { name: "largeA", pFail: 0.03, pMalicious: 0.005 },
        { name: "largeB", pFail: 0.03, pMalicious: 0.005 },
        { name: "largeC", pFail: 0.03, pMalicious: 0.005 },
      ],
      commonMode: [
        {
          name: "cloud outage",
          probability: 0.02,
          effect: "fail",
          operators: ["largeA", "largeB"],
        },
      ],
    },
    {
      name: "few trusted friends",
      description: "4 highly trusted people (not you), 3-of-4, same jurisdiction",
      clusterSize: 4,
      validators: 10,
      operators: [{ name: "friend", count: 4, pFail: 0.08, pMalicious: 0.001 }],
      commonMode: [
        { name: "jurisdiction seizure", probability: 0.001, effect: "malicious", operators: "all" },
      ],
    },
    {
      name: "many moderately trusted",
      description:
        "500 minipools over 150 operators in disjoint 3-of-4 clusters (you not included)",
      clusterSize: 4,
      validators: 500,
      operators: [
        { name: "hetzner", count: 45, pFail: 0.05, pMalicious: 0.01 },
        { name: "other", count: 105, pFail: 0.05, pMalicious: 0.01 },
      ],
      commonMode: [
        { name: "hetzner outage", probability: 0.02, effect: "fail", operators: ["hetzner"] },
      ],
    },
  ],
};
