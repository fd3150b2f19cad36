/**
 * Regenerates the generated docs (`deno task docs`): docs/configuration.md
 * from the config schema. A test fails when the committed file is stale.
 *
 * @module
 */

import { renderConfigReference } from "../lib/config/config_docs.ts";

const root = new URL("../", import.meta.url);
await Deno.writeTextFile(new URL("docs/configuration.md", root), renderConfigReference() + "\n");
