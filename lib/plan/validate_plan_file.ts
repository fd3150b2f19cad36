/**
 * Schemas of the plan's JSON files — `plan.json`, `cost-estimate.json`,
 * `iam-policy-concrete.json`, `iam-policy-templated.json` — and
 * {@linkcode validatePlanFile}, which checks a file against its schema.
 *
 * @module
 */

import { z } from "zod";
import { KraftoverError } from "../errors.ts";
import { planDocumentSchema } from "./plan_document.ts";

const money = z.number().nonnegative();
const count = z.int().nonnegative();

const costEstimateFileSchema = z.strictObject({
  schema_version: z.literal(1),
  kind: z.literal("kraftover-cost-estimate"),
  migration_id: z.string().nullable(),
  currency: z.literal("USD"),
  price_table: z.strictObject({
    date: z.string().min(1),
    source: z.string().min(1),
    note: z.string(),
    prices: z.strictObject({
      s3_put_per_1000: money,
      s3_get_per_1000: money,
      s3_storage_gb_month: money,
      transfer_inter_az_per_gb: money,
      transfer_inter_region_per_gb: money,
    }),
    overridden: z.array(z.string()),
  }),
  inputs: z.strictObject({
    bytes: count.nullable(),
    bytes_basis: z.enum(["describe_log_dirs", "estimated", "unknown"]),
    records: count.nullable(),
    partitions: count.nullable(),
    seed_via: z.enum(["staged", "direct"]),
    segment_max_bytes: z.int().positive(),
    compression: z.enum(["zstd", "gzip", "none"]),
    source_region: z.string().nullable(),
    target_region: z.string().nullable(),
    backup_region: z.string().nullable(),
    source_azs: z.int().positive(),
    target_azs: z.int().positive(),
    seed_bytes_per_second: z.number().positive(),
  }),
  quantities: z.strictObject({
    segments: count,
    s3_put_requests: count,
    s3_get_requests: count,
    s3_stored_gb: z.number().nonnegative(),
    inter_az_gb: z.number().nonnegative(),
    inter_region_gb: z.number().nonnegative(),
    seed_seconds: count,
  }),
  cost: z.strictObject({
    s3_requests: money,
    s3_storage: money,
    inter_az_transfer: money,
    inter_region_transfer: money,
    total: money,
  }),
  assumptions: z.array(z.string()),
});

const iamPolicySchema = z.strictObject({
  Version: z.literal("2012-10-17"),
  Statement: z.array(z.strictObject({
    Sid: z.string().regex(/^[A-Za-z0-9]+$/, { error: "Sid must be alphanumeric" }),
    Effect: z.literal("Allow"),
    Action: z.array(z.string().regex(/^(kafka|kafka-cluster|s3|kms):[A-Za-z0-9*]+$/)).min(1),
    Resource: z.array(z.string().regex(/^(arn:aws[\w-]*:|\$\{)/)).min(1),
  })).min(1),
});

/** The JSON files of a plan that have a schema. */
export type PlanJsonFile =
  | "plan.json"
  | "cost-estimate.json"
  | "iam-policy-concrete.json"
  | "iam-policy-templated.json";

const SCHEMAS: Readonly<Record<PlanJsonFile, z.ZodType>> = {
  "plan.json": planDocumentSchema as z.ZodType,
  "cost-estimate.json": costEstimateFileSchema,
  "iam-policy-concrete.json": iamPolicySchema,
  "iam-policy-templated.json": iamPolicySchema,
};

/**
 * The JSON Schema of one of the plan's JSON files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planFileJsonSchema } from "./validate_plan_file.ts";
 * const s = planFileJsonSchema("cost-estimate.json") as { required: string[] };
 * assert.ok(s.required.includes("price_table"));
 * ```
 */
export function planFileJsonSchema(name: PlanJsonFile): Record<string, unknown> {
  return z.toJSONSchema(SCHEMAS[name], { io: "output" }) as Record<string, unknown>;
}

/**
 * Parses a plan file's text and checks it against the file's schema; throws
 * `CONFIG_INVALID` naming the field paths that do not fit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validatePlanFile } from "./validate_plan_file.ts";
 * const policy = validatePlanFile("iam-policy-concrete.json", JSON.stringify({
 *   Version: "2012-10-17",
 *   Statement: [{ Sid: "A", Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/*"] }],
 * }));
 * assert.ok((policy as { Version: string }).Version === "2012-10-17");
 * ```
 */
export function validatePlanFile(name: PlanJsonFile, text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new KraftoverError(
      "CONFIG_INVALID",
      `Cannot read ${name}: not JSON: ${(error as Error).message}`,
    );
  }
  const result = SCHEMAS[name].safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((i) =>
      `${i.path.join(".") || "(root)"}: ${i.message}`
    );
    throw new KraftoverError(
      "CONFIG_INVALID",
      `${name} does not fit its schema: ${issues.join("; ")}`,
      {
        detail: {
          issues: result.error.issues.map((i) => ({
            path: i.path.map(String),
            message: i.message,
          })),
        },
      },
    );
  }
  return result.data;
}
