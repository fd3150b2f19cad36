/**
 * Regenerates the generated docs (`deno task docs`): docs/configuration.md
 * from the config schema and docs/cli-reference.md from the CLI's own help.
 * A test fails when a committed file is stale.
 *
 * @module
 */

import { renderConfigReference } from "../lib/config/config_docs.ts";
import { renderCliReference } from "../cli.ts";

const root = new URL("../", import.meta.url);
await Deno.writeTextFile(new URL("docs/configuration.md", root), renderConfigReference() + "\n");
await Deno.writeTextFile(new URL("docs/cli-reference.md", root), renderCliReference() + "\n");
