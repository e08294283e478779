/**
 * The registry of duty handlers: one line per duty module (src/core/duties/*.ts). wire.ts indexes
 * it by duty type (src/core/duty-handler.ts `indexHandlers`, which refuses a duty type with no
 * handler or two); a new duty type is a new module and one line here.
 */
import type { DutyHandler } from "../duty-handler.js";
import { aggregatorHandlers } from "./aggregator.js";
import { attesterHandlers } from "./attester.js";
import {
  type BuilderRegistrationOptions,
  builderRegistrationHandlers,
} from "./builder-registration.js";
import { exitHandlers } from "./exit.js";
import { type ProposerBuilderOptions, proposerHandlers } from "./proposer.js";
import { syncContributionHandlers } from "./sync-contribution.js";
import { syncMessageHandlers } from "./sync-message.js";

/**
 * Options of {@link createDutyHandlers}: the builder (MEV-Boost) settings; absent = builder off.
 *
 * @example
 * const o: DutyHandlerOptions = { builderRegistration: { chain, gasLimit, feeRecipients } };
 */
export type DutyHandlerOptions = {
  builderRegistration?: BuilderRegistrationOptions | undefined;
  /** Blinded (builder) proposals; absent = local blocks only. */
  proposer?: ProposerBuilderOptions | undefined;
};

/**
 * Fresh handlers of every duty type (per DV node: handlers keep per-slot state between phases).
 *
 * @example
 * const handlers = indexHandlers(createDutyHandlers());
 */
export function createDutyHandlers(o: DutyHandlerOptions = {}): DutyHandler[] {
  return [
    ...attesterHandlers(),
    ...proposerHandlers({ builder: o.proposer }),
    ...aggregatorHandlers(),
    ...syncMessageHandlers(),
    ...syncContributionHandlers(),
    ...exitHandlers(),
    ...builderRegistrationHandlers(o.builderRegistration),
  ];
}
