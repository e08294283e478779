/**
 * Parse a trust-model configuration from JSON or YAML text (YAML 1.2 is a superset of JSON;
 * parsed with the `yaml` package) and validate it with zod.
 */
import { parse as parseYaml } from "yaml";
import { InputError } from "../../errors.js";
import { zodInputError } from "../../util/schema.js";
import { type TrustConfig, trustConfigSchema } from "./schema.js";

/**
 * Validate a trust configuration object, or parse and validate JSON/YAML text.
 *
 * @example
 * parseTrustConfig(EXAMPLE_TRUST_CONFIG).horizonYears; // 1
 */
export function parseTrustConfig(input: unknown, file?: string): TrustConfig {
  let data = input;
  if (typeof input === "string") {
    try {
      data = parseYaml(input);
    } catch (err) {
      throw new InputError("Trust configuration is not valid JSON or YAML", { file, cause: err });
    }
  }
  const r = trustConfigSchema.safeParse(data);
  if (!r.success) throw zodInputError("Invalid trust configuration", r.error, file);
  return r.data;
}
