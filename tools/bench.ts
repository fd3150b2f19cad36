// deno-lint-ignore-file no-console
/**
 * `deno task bench`: not there yet (the data plane's issue fills it in).
 *
 * @module
 */
console.error("deno task bench: the benchmarks are not there yet (they come with the data plane)");
Deno.exit(1);
