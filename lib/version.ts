/**
 * The tool version, from `deno.json`.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** kraftover's version (recorded in journals and evidence bundles). */
export const VERSION: string = denoJson.version;
