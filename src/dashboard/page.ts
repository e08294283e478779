/**
 * The dashboard page: ./page.html, one self-contained document (inline CSS and JS, no external
 * origin, no front-end build step), read once next to this module.
 */
import { readFileSync } from "node:fs";

let cached: string | undefined;

/**
 * The dashboard HTML (read once, then cached).
 *
 * @example
 * res.end(dashboardHtml());
 */
export function dashboardHtml(): string {
  cached ??= readFileSync(new URL("./page.html", import.meta.url), "utf8");
  return cached;
}
