/**
 * plan() on the sandbox and on the example configs: every file written and
 * valid against its schema, aws-cli.sh clean under `bash -n` and
 * `shellcheck` (and run for real against the sandbox's S3 and IAM, moto),
 * byte-identical reruns, --force, pinned ids, and planning from the config
 * alone when the clusters cannot be reached.
 */

import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { stringify } from "yaml";
import { loadConfig, parseConfigText } from "../lib/config/load_config.ts";
import { createMigrationContext } from "../lib/context.ts";
import { isKraftoverError } from "../lib/errors.ts";
import { silentLogger } from "../lib/logger.ts";
import { plan } from "../lib/plan/plan.ts";
import type { PlanOptions, PlanReport } from "../lib/plan/plan.ts";
import type { PlanDocument } from "../lib/plan/plan_document.ts";
import type { IamPolicyDocument } from "../lib/plan/iam_policy.ts";
import { validatePlanFile } from "../lib/plan/validate_plan_file.ts";
import type { PlanJsonFile } from "../lib/plan/validate_plan_file.ts";
import { sandboxConfigs } from "../lib/sandbox/sandbox_configs.ts";
import type { SandboxInfo } from "../lib/sandbox/sandbox_info.ts";
import {
  adminConnection,
  deleteTopics,
  hasProgram,
  runPrecheck,
  sandboxTest,
  topicWithRecords,
  uniquePrefix,
} from "./precheck_env.ts";

const ALL_FILES = [
  "aws-cli.sh",
  "cost-estimate.json",
  "iam-policy-concrete.json",
  "iam-policy-templated.json",
  "plan.json",
  "runbook.md",
];
const JSON_FILES: PlanJsonFile[] = [
  "cost-estimate.json",
  "iam-policy-concrete.json",
  "iam-policy-templated.json",
  "plan.json",
];

/** Writes a config file and plans it. */
async function planFile(
  configPath: string,
  options: PlanOptions,
  env: Record<string, string> = {},
): Promise<PlanReport> {
  const loaded = await loadConfig(configPath, { env: { ...Deno.env.toObject(), ...env } });
  const ctx = createMigrationContext(loaded.config, {
    configFile: loaded.file,
    baseDir: loaded.baseDir,
    logger: silentLogger,
  });
  try {
    return await plan(ctx, options);
  } finally {
    await ctx.close();
  }
}

async function readFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile) out[e.name] = await Deno.readTextFile(join(dir, e.name));
  }
  return out;
}

/** bash -n and shellcheck on a script; shellcheck is skipped with a printed reason when absent. */
async function checkShell(path: string): Promise<void> {
  const syntax = await new Deno.Command("bash", { args: ["-n", path], stderr: "piped" }).output();
  assert.ok(syntax.success, `bash -n ${path}: ${new TextDecoder().decode(syntax.stderr)}`);
  if (!(await hasProgram("shellcheck"))) {
    // deno-lint-ignore no-console
    console.log("shellcheck is not installed: only bash -n checked the script");
    return;
  }
  const lint = await new Deno.Command("shellcheck", { args: [path], stdout: "piped" }).output();
  assert.ok(lint.success, `shellcheck ${path}:\n${new TextDecoder().decode(lint.stdout)}`);
}

async function sandboxConfigFile(info: SandboxInfo, dir: string, prefix: string): Promise<string> {
  const migration = structuredClone(
    sandboxConfigs(info, { addressing: "arn" })["iam-iam"].object.migration,
  ) as
    & Record<string, unknown>
    & { backup: Record<string, unknown> };
  migration.topics = { include: [`${prefix}\\..*`] };
  migration.backup.kms_key_arn =
    "arn:aws:kms:eu-west-1:000000000000:key/11111111-2222-3333-4444-555555555555";
  migration.hooks = [
    {
      builtin: "webhook-notify",
      url: "https://chat.example.com/hooks/secret-path?token=abc",
      kinds: ["failure"],
    },
    { builtin: "log-notify" },
  ];
  const path = join(dir, "migration.yaml");
  await Deno.writeTextFile(path, stringify({ migration }));
  return path;
}

sandboxTest(
  "plan() writes the whole plan for a sandbox migration, every file valid",
  async (t, info) => {
    const p = uniquePrefix();
    const source = await adminConnection(info, "source");
    const topic = `${p}.orders`;
    const group = `${p}-billing`;
    const dir = await Deno.makeTempDir({ prefix: "kraftover-plan-" });
    try {
      await topicWithRecords(source, topic, {
        partitions: 4,
        count: 40,
        configs: { "retention.ms": "172800000" },
      });
      await (await source.admin()).setOffsets({
        groupId: group,
        topic,
        partitions: [{ partition: 0, offset: "3" }],
      });
      const configPath = await sandboxConfigFile(info, dir, p);
      const out = join(dir, "plan");
      const report = await planFile(configPath, { outDir: out });
      const files = await readFiles(out);

      await t.step("all six files are written", () => {
        assert.deepEqual(report.files.map((f) => f.name), ALL_FILES);
        assert.deepEqual(Object.keys(files).sort(), ALL_FILES);
        assert.equal(report.inventory.source.read, true);
        assert.equal(report.inventory.target.read, true);
      });

      await t.step("the JSON files validate against their schemas", () => {
        for (const name of JSON_FILES) validatePlanFile(name, files[name]!);
      });

      const doc = JSON.parse(files["plan.json"]!) as PlanDocument;
      await t.step(
        "plan.json has the topic, its partitions and own configs, the group and the estimate",
        () => {
          assert.deepEqual(doc.topics.map((x) => [x.name, x.partitions, x.configs, x.target]), [
            [topic, 4, { "retention.ms": "172800000" }, "create"],
          ]);
          assert.deepEqual(doc.groups.map((g) => [g.group_id, g.topics]), [[group, [topic]]]);
          assert.equal(doc.source.mode, "zookeeper");
          assert.equal(doc.target.mode, "kraft");
          assert.equal(doc.totals.records, 40);
          assert.ok(doc.seed.estimated_segments >= 4);
        },
      );

      await t.step(
        "the runbook gives the exact commands for this config file and who is notified",
        () => {
          const md = files["runbook.md"]!;
          for (
            const command of [
              "precheck",
              "execute",
              "status",
              "cutover",
              "switch-ack",
              "validate",
              "finalize",
              "rollback",
            ]
          ) {
            assert.ok(
              md.includes(`kraftover ${command} --config '${configPath}'`),
              `missing ${command}`,
            );
          }
          assert.match(md, /## Rollback point/);
          assert.match(md, /webhook-notify → https:\/\/chat\.example\.com \(failure\)/);
          assert.ok(
            !md.includes("secret-path") && !md.includes("token=abc"),
            "webhook paths may carry tokens",
          );
          assert.match(md, /## What the evidence proves/);
        },
      );

      await t.step(
        "the concrete IAM policy is scoped to the topic, the group and the buckets",
        () => {
          const policy = JSON.parse(files["iam-policy-concrete.json"]!) as IamPolicyDocument;
          const sid = (id: string) => policy.Statement.find((s) => s.Sid === id);
          const [, , , region, account, rest] = info.source.clusterArn.split(":");
          const [, name, uuid] = rest!.split("/");
          assert.deepEqual(sid("SourceTopicsRead")!.Resource, [
            `arn:aws:kafka:${region}:${account}:topic/${name}/${uuid}/${topic}`,
          ]);
          assert.deepEqual(sid("SourceTopicsCutoverSentinels")!.Action, [
            "kafka-cluster:WriteData",
          ]);
          assert.deepEqual(sid("SourceGroupsRead")!.Resource, [
            `arn:aws:kafka:${region}:${account}:group/${name}/${uuid}/${group}`,
          ]);
          assert.deepEqual(
            sid("MskDescribeAndBootstrap")!.Resource,
            [info.source.clusterArn, info.target.clusterArn].sort(),
          );
          assert.deepEqual(sid("BackupBucket")!.Resource, [
            `arn:aws:s3:::${info.s3.buckets.backup}`,
          ]);
          assert.deepEqual(sid("BackupObjects")!.Resource, [
            `arn:aws:s3:::${info.s3.buckets.backup}/*`,
          ]);
          assert.deepEqual(sid("KmsForStores")!.Action, ["kms:Decrypt", "kms:GenerateDataKey"]);
          assert.ok(sid("TargetTopics")!.Action.includes("kafka-cluster:CreateTopic"));
          const templated = files["iam-policy-templated.json"]!;
          assert.ok(
            templated.includes("${SourceClusterArn}") && templated.includes("${BackupBucket}"),
          );
          assert.ok(!templated.includes(info.source.clusterArn));
        },
      );

      await t.step("the cost estimate states its price table, date and source", () => {
        const cost = JSON.parse(files["cost-estimate.json"]!);
        assert.match(cost.price_table.date, /^\d{4}-\d{2}-\d{2}$/);
        assert.match(cost.price_table.source, /aws\.amazon\.com/);
        assert.equal(cost.inputs.bytes_basis, "describe_log_dirs");
        assert.ok(cost.quantities.s3_put_requests > 0);
      });

      await t.step("aws-cli.sh passes bash -n and shellcheck", async () => {
        await checkShell(join(out, "aws-cli.sh"));
      });

      await t.step(
        "a second run needs --force, and with it gives byte-identical files",
        async () => {
          await assert.rejects(
            () => planFile(configPath, { outDir: out }),
            (e) => isKraftoverError(e, "USAGE") && /use --force/.test(e.message),
          );
          const again = await planFile(configPath, { outDir: out, force: true });
          assert.deepEqual(again.files.map((f) => f.sha256), report.files.map((f) => f.sha256));
          assert.deepEqual(await readFiles(out), files);
        },
      );
    } finally {
      await (await source.admin()).deleteGroups([group]).catch(() => {});
      await deleteTopics(source, [topic]);
      await source.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

sandboxTest(
  "aws-cli.sh creates the buckets and the policy it promises (run against the sandbox's moto)",
  async (_t, info) => {
    if (!(await hasProgram("aws"))) {
      // deno-lint-ignore no-console
      console.log("Skipped: the AWS CLI is not installed");
      return;
    }
    const version = await new Deno.Command("aws", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!version.success) {
      // deno-lint-ignore no-console
      console.log("Skipped: the AWS CLI does not run here");
      return;
    }
    const dir = await Deno.makeTempDir({ prefix: "kraftover-awscli-" });
    const suffix = crypto.randomUUID().slice(0, 8);
    const id = `mig-${suffix}`;
    const buckets = { backup: `kp-backup-${suffix}`, evidence: `kp-evidence-${suffix}` };
    const migration = structuredClone(
      sandboxConfigs(info)["plaintext-plaintext"].object.migration,
    ) as Record<
      string,
      Record<string, unknown>
    >;
    migration.backup!.s3_bucket = buckets.backup;
    migration.evidence!.s3_bucket = buckets.evidence;
    migration.evidence!.object_lock_mode = "GOVERNANCE";
    const configPath = join(dir, "migration.yaml");
    await Deno.writeTextFile(configPath, stringify({ migration }));
    const env = {
      AWS_ENDPOINT_URL: info.s3.endpoint,
      AWS_ACCESS_KEY_ID: info.s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: info.s3.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: info.s3.region,
    };
    const aws = async (...args: string[]) => {
      const out = await new Deno.Command("aws", { args, env, stdout: "piped", stderr: "piped" })
        .output();
      return {
        ok: out.success,
        text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
      };
    };
    try {
      await planFile(configPath, {
        outDir: dir,
        migrationId: id,
        inventory: false,
        format: "aws-cli",
      });
      for (let run = 1; run <= 2; run++) {
        const result = await new Deno.Command("bash", {
          args: [join(dir, "aws-cli.sh")],
          env,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(result.stdout) +
          new TextDecoder().decode(result.stderr);
        assert.ok(result.success, `run ${run}:\n${text}`);
        if (run === 2) assert.match(text, /exists; checking it/);
      }
      const lock = await aws(
        "s3api",
        "get-object-lock-configuration",
        "--bucket",
        buckets.evidence,
      );
      assert.ok(lock.ok, lock.text);
      assert.match(lock.text, /"ObjectLockEnabled": "Enabled"/);
      // No default rule: kraftover locks the bundle itself, and other objects (the probe) stay deletable.
      assert.doesNotMatch(lock.text, /DefaultRetention/);
      const versioning = await aws("s3api", "get-bucket-versioning", "--bucket", buckets.backup);
      assert.match(versioning.text, /"Status": "Enabled"/);
      const policies = await aws(
        "iam",
        "list-policies",
        "--scope",
        "Local",
        "--query",
        `Policies[?PolicyName=='kraftover-${id}'].Arn`,
        "--output",
        "text",
      );
      assert.match(policies.text, new RegExp(`policy/kraftover-${id}`));

      const { config } = await parseConfigText(stringify({ migration }), { env: {} });
      const report = await runPrecheck(config);
      assert.deepEqual(
        report.findings.filter((f) => ["B07", "B08", "W03"].includes(f.code)),
        [],
        "the buckets aws-cli.sh made pass precheck's store probes",
      );
      // No default retention on the evidence bucket: the probe cleaned up after itself.
      const probes = await aws(
        "s3api",
        "list-object-versions",
        "--bucket",
        buckets.evidence,
        "--prefix",
        "_kraftover_probe/",
        "--output",
        "json",
      );
      assert.ok(probes.ok, probes.text);
      const left = JSON.parse(probes.text || "{}") as { Versions?: unknown[] };
      assert.equal(
        left.Versions?.length ?? 0,
        0,
        "precheck left a probe object in the evidence bucket",
      );
    } finally {
      for (const b of Object.values(buckets)) {
        const versions = await aws(
          "s3api",
          "list-object-versions",
          "--bucket",
          b,
          "--output",
          "json",
        );
        const list = versions.ok
          ? (JSON.parse(versions.text || "{}") as {
            Versions?: { Key: string; VersionId: string }[];
          })
            .Versions ?? []
          : [];
        for (const v of list) {
          await aws(
            "s3api",
            "delete-object",
            "--bucket",
            b,
            "--key",
            v.Key,
            "--version-id",
            v.VersionId,
            "--bypass-governance-retention",
          );
        }
        await aws("s3api", "delete-bucket", "--bucket", b);
      }
      const arn = (await aws(
        "iam",
        "list-policies",
        "--scope",
        "Local",
        "--query",
        `Policies[?PolicyName=='kraftover-${id}'].Arn`,
        "--output",
        "text",
      )).text.trim();
      if (arn.startsWith("arn:")) {
        const versions = await aws(
          "iam",
          "list-policy-versions",
          "--policy-arn",
          arn,
          "--query",
          "Versions[?!IsDefaultVersion].VersionId",
          "--output",
          "text",
        );
        for (const v of versions.text.split(/\s+/).filter((x) => x.startsWith("v"))) {
          await aws("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", v);
        }
        await aws("iam", "delete-policy", "--policy-arn", arn);
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("plan() plans from the config alone when the clusters cannot be reached, and says so", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-plan-offline-" });
  const closed = (() => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    return port;
  })();
  const configPath = join(dir, "m.yaml");
  await Deno.writeTextFile(
    configPath,
    stringify({
      migration: {
        source: {
          bootstrap_servers: [`127.0.0.1:${closed}`],
          region: "eu-west-1",
          auth: { mode: "iam" },
        },
        target: {
          bootstrap_servers: [`127.0.0.1:${closed}`],
          region: "eu-west-1",
          auth: { mode: "iam" },
        },
        topics: { include: ["orders\\..*", "payments"] },
        backup: { s3_bucket: "my-backup", s3_prefix: "zk/" },
        evidence: { s3_bucket: "my-evidence", retention: "7y", object_lock_mode: "COMPLIANCE" },
      },
    }),
  );
  try {
    const report = await planFile(configPath, { outDir: dir, migrationId: "prod-zk-1" }, {
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "example",
    });
    const files = await readFiles(dir);
    await t.step("every file is still written and valid", () => {
      assert.deepEqual(report.files.map((f) => f.name), ALL_FILES);
      for (const name of JSON_FILES) validatePlanFile(name, files[name]!);
    });
    await t.step("plan.json says what could not be read", () => {
      const doc = JSON.parse(files["plan.json"]!) as PlanDocument;
      assert.equal(doc.inventory.source.read, false);
      assert.match(doc.inventory.source.reason!, /source/);
      assert.deepEqual(doc.topics, []);
      assert.ok(doc.notes.some((n) => /could not be read/.test(n)));
      assert.equal(doc.migration_id, "prod-zk-1");
    });
    await t.step("the IAM policy is scoped by the include patterns", () => {
      const policy = JSON.parse(files["iam-policy-concrete.json"]!) as IamPolicyDocument;
      const read = policy.Statement.find((s) => s.Sid === "SourceTopicsRead")!;
      assert.deepEqual(read.Resource, [
        "arn:aws:kafka:eu-west-1:*:topic/*/*/orders.*",
        "arn:aws:kafka:eu-west-1:*:topic/*/*/payments",
      ]);
      assert.ok(report.notes.some((n) => /include patterns/.test(n)));
    });
    await t.step("the pinned id names the policy and is passed to execute in the runbook", () => {
      assert.match(files["aws-cli.sh"]!, /POLICY_NAME='kraftover-prod-zk-1'/);
      assert.match(
        files["runbook.md"]!,
        /kraftover execute --config '[^']+' --migration-id 'prod-zk-1'/,
      );
    });
    await t.step("an invalid --migration-id is refused", async () => {
      await assert.rejects(
        () => planFile(configPath, { outDir: dir, force: true, migrationId: "Not Valid" }),
        (e) => isKraftoverError(e, "USAGE"),
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("plan() writes valid files for every example config", async (t) => {
  const examples = new URL("../examples/", import.meta.url);
  for await (const entry of Deno.readDir(examples)) {
    if (!entry.name.endsWith(".yaml")) continue;
    await t.step(entry.name, async () => {
      const path = new URL(entry.name, examples).pathname;
      const text = await Deno.readTextFile(path);
      const env = Object.fromEntries(
        [...text.matchAll(/\$\{(\w+)\}/g)].map((m) => [m[1]!, `example-${m[1]}`]),
      );
      const out = await Deno.makeTempDir({
        prefix: `kraftover-example-${basename(path, ".yaml")}-`,
      });
      try {
        const first = await planFile(path, { outDir: out, inventory: false }, env);
        const files = await readFiles(out);
        for (const name of JSON_FILES) validatePlanFile(name, files[name]!);
        await checkShell(join(out, "aws-cli.sh"));
        for (const value of Object.values(env)) {
          for (const [name, content] of Object.entries(files)) {
            assert.ok(!content.includes(value), `${name} contains the secret ${value}`);
          }
        }
        const again = await planFile(path, { outDir: out, inventory: false, force: true }, env);
        assert.deepEqual(again.files.map((f) => f.sha256), first.files.map((f) => f.sha256));
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    });
  }
});
