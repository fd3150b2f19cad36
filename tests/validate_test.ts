/**
 * validate() against real migrations on the sandbox: a clean migration
 * passes all five checks; each kind of damage to the target (records
 * deleted, foreign records, partitions added, a changed byte, a key turned
 * from null to empty, a sentinel without its header, a copy that stopped
 * before the sentinel, a wrong group offset) makes its check fail with the
 * partition named; records gone from the source since the copy only warn.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { validate } from "../lib/phases/validate.ts";
import { finalize } from "../lib/phases/finalize.ts";
import { readJournal, replayState } from "../lib/journal.ts";
import { lastValidation, validationFindings } from "../lib/validation/validation_report.ts";
import type {
  ValidationCheckName,
  ValidationDetail,
  ValidationReport,
} from "../lib/validation/validation_report.ts";
import { formatValidation } from "../lib/format/format_validation.ts";
import { sha256Hex } from "../lib/evidence/sign.ts";
import { replayCutoverState } from "../lib/cutover/cutover_state.ts";
import { createSourceReader } from "../lib/kafka/source_reader.ts";
import type { CopyRecord } from "../lib/kafka/source_reader.ts";
import { createTargetWriter } from "../lib/kafka/target_writer.ts";
import { isKraftoverError } from "../lib/errors.ts";
import { freshContext, migrationFixture } from "./validate_fixture.ts";
import type { MigrationFixture } from "./validate_fixture.ts";
import { deleteTopics, hasProgram, sandboxTest } from "./precheck_env.ts";

async function runValidate(f: MigrationFixture): Promise<ValidationReport> {
  const ctx = freshContext(f);
  try {
    return await validate(ctx, {});
  } finally {
    await ctx.close();
  }
}

function check(report: ValidationReport, name: ValidationCheckName) {
  const found = report.checks.find((c) => c.name === name);
  assert.ok(found, `check ${name} ran`);
  return found;
}

function detailOf(
  report: ValidationReport,
  name: ValidationCheckName,
  topic: string,
  partition?: number,
): ValidationDetail {
  const d = check(report, name).details.find((x) =>
    x.topic === topic && (partition === undefined || x.partition === partition)
  );
  assert.ok(d, `${name} has a detail for ${topic}[${partition}]`);
  return d;
}

async function journalState(f: MigrationFixture) {
  return replayState((await readJournal(f.journalDir)).records);
}

sandboxTest(
  "validate() passes a clean migration and journals its report; a wrong group offset fails naming the group and partition and passes again once fixed; source records gone since the copy only warn",
  async (t, info) => {
    const f = await migrationFixture(info, { compacted: true });
    try {
      await t.step("a clean migration passes all five checks", async () => {
        const report = await runValidate(f);
        assert.equal(report.outcome, "PASSED", formatValidation(report));
        assert.deepEqual(report.checks.map((c) => [c.name, c.status]), [
          ["topic_parity", "PASSED"],
          ["counts_and_offsets", "PASSED"],
          ["spot_check", "PASSED"],
          ["sentinels", "PASSED"],
          ["group_offsets", "PASSED"],
        ]);
        // Per-partition detail for every migrated partition.
        assert.equal(check(report, "counts_and_offsets").details.length, 4);
        const p0 = detailOf(report, "counts_and_offsets", f.topic, 0).values;
        assert.equal(p0.copied, 14, "12 records + the committed transactional one + the sentinel");
        assert.deepEqual(p0.holes, { aborted: 1, control: 2, absent: 0 });
        assert.equal(p0.unaccounted, 0);
        const spot = detailOf(report, "spot_check", f.topic, 1).values.samples as unknown[];
        assert.equal(spot.length, 3, "first, last and one random record");
        const state = await journalState(f);
        assert.equal(state.state, "awaiting_client_switch", "validated before the switch");
        assert.deepEqual(state.transitions.slice(-2).map((x) => x.to), [
          "validating",
          "awaiting_client_switch",
        ]);
      });

      await t.step(
        "the journal holds the outcome in brief and the full report's digest",
        async () => {
          const { records } = await readJournal(f.journalDir);
          const last = lastValidation(records);
          assert.equal(last?.data.outcome, "PASSED");
          assert.deepEqual(last?.data.checks.map((c) => c.failing_count), [0, 0, 0, 0, 0]);
          const bytes = await Deno.readFile(join(f.journalDir, last!.data.report_file));
          assert.equal(await sha256Hex(bytes), last!.data.report_sha256);
        },
      );

      await t.step(
        "an independent client (kcat) finds the sentinel where the report says",
        async () => {
          if (!(await hasProgram("kcat"))) {
            // deno-lint-ignore no-console
            console.log("kcat is not installed: skipping the kcat cross-check of the sentinel");
            return;
          }
          const report = await runValidate(f);
          const d = detailOf(report, "sentinels", f.topic, 0).values;
          const out = await new Deno.Command("kcat", {
            args: [
              "-C",
              "-b",
              info.target.bootstrap.plaintext[0]!,
              "-t",
              f.topic,
              "-p",
              "0",
              "-o",
              String(d.mapped_target_offset),
              "-c",
              "1",
              "-e",
              "-q",
              "-f",
              "%o %h\\n",
            ],
            stdout: "piped",
            stderr: "piped",
          }).output();
          const text = new TextDecoder().decode(out.stdout).trim();
          assert.equal(text, `${d.mapped_target_offset} kraftover-sentinel=${f.migrationId}`);
        },
      );

      const committed = replayCutoverState((await readJournal(f.journalDir)).records).committed!;
      const p0 = committed.groups[0]!.offsets.find((o) => o.partition === 0)!;
      const admin = await f.target.admin();

      await t.step("a group offset committed two records too early fails, naming it", async () => {
        await admin.setOffsets({
          groupId: f.group,
          topic: f.topic,
          partitions: [{ partition: 0, offset: String(p0.target - 2) }],
        });
        const report = await runValidate(f);
        assert.equal(report.outcome, "FAILED");
        assert.equal(check(report, "group_offsets").status, "FAILED");
        const bad = validationFindings(report);
        assert.deepEqual(bad.map((b) => [b.check, b.group, b.topic, b.partition, b.reason]), [
          ["group_offsets", f.group, f.topic, 0, "behind_translated"],
        ]);
        assert.match(
          bad[0]!.message!,
          new RegExp(`${f.group} on ${f.topic.replace(".", "\\.")}\\[0\\]`),
        );
        assert.match(formatValidation(report), /behind|read 2 records again/);
        const state = await journalState(f);
        assert.equal(state.state, "failed");
        assert.equal(state.failure?.code, "VALIDATION_FAILED");
      });

      await t.step("finalize refuses the failed validation and says why", async () => {
        const ctx = freshContext(f);
        try {
          await assert.rejects(finalize(ctx, {}), (e: unknown) => {
            assert.ok(isKraftoverError(e, "VALIDATION_FAILED"));
            assert.match(e.message, /last validation .* FAILED: group_offsets/);
            assert.match(e.message, /run kraftover validate again/);
            return true;
          });
        } finally {
          await ctx.close();
        }
      });

      await t.step("once the offset is put back, validating again passes", async () => {
        await admin.setOffsets({
          groupId: f.group,
          topic: f.topic,
          partitions: [{ partition: 0, offset: String(p0.target) }],
        });
        const report = await runValidate(f);
        assert.equal(report.outcome, "PASSED", formatValidation(report));
        assert.equal((await journalState(f)).state, "awaiting_client_switch");
      });

      await t.step("records deleted from the source since the copy only warn", async () => {
        const source = await f.source.admin();
        await source.deleteTopicRecords({
          topic: f.topic,
          partitions: [{ partition: 1, offset: "3" }],
        });
        const report = await runValidate(f);
        assert.equal(report.outcome, "WARNING", formatValidation(report));
        const d = detailOf(report, "spot_check", f.topic, 1);
        assert.equal(d.status, "WARNING");
        assert.match(d.reason!, /source_expired/);
        assert.equal(detailOf(report, "counts_and_offsets", f.topic, 1).status, "PASSED");
      });

      await t.step(
        "a caught-up group committed onto its sentinel fails: it would read it",
        async () => {
          const { records } = await readJournal(f.journalDir);
          const cut = replayCutoverState(records);
          const sentinel = cut.sentinels.find((s) => s.topic === f.topic && s.partition === 1)!;
          const groups = cut.committed!.groups.map((g) => ({
            ...g,
            offsets: g.offsets.map((o) =>
              o.partition === 1 ? { ...o, target: sentinel.target_offset!, via: "copied" } : o
            ),
          }));
          const ctx = freshContext(f);
          try {
            const journal = await ctx.journal();
            await journal.append({
              type: "checkpoint",
              name: "cutover.committed",
              data: { stage: "cutover", groups },
            });
          } finally {
            await ctx.close();
          }
          await admin.setOffsets({
            groupId: f.group,
            topic: f.topic,
            partitions: [{ partition: 1, offset: String(sentinel.target_offset) }],
          });
          const report = await runValidate(f);
          const d = check(report, "group_offsets").details.find((x) => x.partition === 1)!;
          assert.equal(d.status, "FAILED");
          assert.equal(d.reason, "at_sentinel");
          assert.match(d.message!, /would read the sentinel record/);
        },
      );
    } finally {
      await f.cleanup();
    }
  },
);

sandboxTest(
  "validate() fails counts and offsets when copied records are deleted on the target, and topic parity when the target gains partitions",
  async (t, info) => {
    const f = await migrationFixture(info, { abortedTransaction: false });
    try {
      const admin = await f.target.admin();
      await t.step(
        "records deleted on the target fail counts for that partition only",
        async () => {
          await admin.deleteTopicRecords({
            topic: f.topic,
            partitions: [{ partition: 0, offset: "3" }],
          });
          const report = await runValidate(f);
          assert.equal(report.outcome, "FAILED");
          const p0 = detailOf(report, "counts_and_offsets", f.topic, 0);
          assert.equal(p0.status, "FAILED");
          assert.equal(p0.reason, "target_records_deleted");
          assert.match(p0.message!, /\[0\]: .*3 copied records were deleted on the target/);
          assert.equal(detailOf(report, "counts_and_offsets", f.topic, 1).status, "PASSED");
          // The first record is always sampled: it is gone from the target.
          const spot = detailOf(report, "spot_check", f.topic, 0);
          assert.equal(spot.status, "FAILED");
          assert.match(spot.reason!, /target_missing/);
        },
      );
      await t.step(
        "a partition added on the target fails topic parity for that topic",
        async () => {
          await admin.createPartitions({ topicPartitions: [{ topic: f.topic, count: 3 }] });
          const report = await runValidate(f);
          const parity = detailOf(report, "topic_parity", f.topic);
          assert.equal(parity.status, "FAILED");
          assert.equal(parity.reason, "partition_count_differs");
          assert.match(
            parity.message!,
            /the target has 3 partitions, the topic was migrated with 2/,
          );
        },
      );
    } finally {
      await f.cleanup();
    }
  },
);

sandboxTest(
  "validate() warns about one record written to the target by someone else (count_tolerance 1) and fails at two, naming the partition",
  async (t, info) => {
    const f = await migrationFixture(info, { abortedTransaction: false });
    try {
      const producer = await f.target.producer();
      const foreign = (n: number) =>
        producer.send({
          topic: f.topic,
          messages: [{ partition: 0, key: "foreign", value: `not from the source ${n}` }],
        });
      await t.step("one foreign record is within count_tolerance: a warning", async () => {
        await foreign(1);
        const report = await runValidate(f);
        const p0 = detailOf(report, "counts_and_offsets", f.topic, 0);
        assert.equal(p0.status, "WARNING", formatValidation(report));
        assert.equal(p0.reason, "span_within_tolerance");
        assert.equal(report.outcome, "WARNING");
      });
      await t.step("a second one is beyond it: counts fail for that partition only", async () => {
        await foreign(2);
        const report = await runValidate(f);
        const p0 = detailOf(report, "counts_and_offsets", f.topic, 0);
        assert.equal(p0.status, "FAILED", formatValidation(report));
        assert.equal(p0.reason, "span_mismatch");
        assert.equal(p0.values.span_difference, 2);
        assert.match(p0.message!, /\[0\]: .*2 records there were not written by kraftover/);
        assert.equal(detailOf(report, "counts_and_offsets", f.topic, 1).status, "PASSED");
        assert.equal(check(report, "sentinels").status, "PASSED");
      });
    } finally {
      await f.cleanup();
    }
  },
);

/** Re-creates the target topic and writes the copy again, altered by `change`. */
async function rewriteTarget(
  f: MigrationFixture,
  change: (partition: number, index: number, r: CopyRecord) => CopyRecord,
): Promise<void> {
  const { records } = await readJournal(f.journalDir);
  const cut = replayCutoverState(records);
  await deleteTopics(f.target, [f.topic]);
  const admin = await f.target.admin();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: f.topic, numPartitions: 2 }],
  });
  const reader = await createSourceReader(f.source);
  const writer = await createTargetWriter(f.target);
  try {
    for (const partition of [0, 1]) {
      const sentinel = cut.sentinels.find((s) => s.topic === f.topic && s.partition === partition)!;
      const copy: CopyRecord[] = [];
      for (let at = 0; at <= sentinel.source_offset;) {
        const chunk = await reader.read(f.topic, partition, at, { maxWaitMs: 100 });
        copy.push(...chunk.records.filter((r) => r.offset <= sentinel.source_offset));
        at = chunk.next;
      }
      await writer.write(f.topic, partition, copy.map((r, i) => change(partition, i, r)));
    }
  } finally {
    await writer.close();
    await reader.close();
  }
  for (const g of cut.committed!.groups) {
    await admin.setOffsets({
      groupId: g.group,
      topic: f.topic,
      partitions: g.offsets.map((o) => ({ partition: o.partition, offset: String(o.target) })),
    });
  }
}

sandboxTest(
  "validate() spot check fails on one changed byte and on a null key turned empty, naming the partitions",
  async (_t, info) => {
    const f = await migrationFixture(info, { abortedTransaction: false });
    try {
      await rewriteTarget(f, (partition, index, r) => {
        if (index !== 0) return r;
        if (partition === 0) {
          const value = Buffer.from(r.value!);
          value[value.length - 1] = value[value.length - 1]! ^ 1;
          return { ...r, value };
        }
        assert.equal(r.key, null, "the first record of partition 1 has a null key");
        return { ...r, key: Buffer.alloc(0) };
      });
      const report = await runValidate(f);
      assert.equal(check(report, "counts_and_offsets").status, "PASSED", formatValidation(report));
      assert.equal(check(report, "sentinels").status, "PASSED");
      const p0 = detailOf(report, "spot_check", f.topic, 0);
      const p1 = detailOf(report, "spot_check", f.topic, 1);
      assert.equal(p0.status, "FAILED");
      assert.match(p0.message!, /\[0\]: source offset 0 → target offset 0: value differs/);
      assert.equal(p1.status, "FAILED");
      assert.match(p1.message!, /\[1\]: source offset 0 → target offset 0: key differs/);
      assert.equal(report.outcome, "FAILED");
    } finally {
      await f.cleanup();
    }
  },
);

sandboxTest(
  "validate() fails sentinel presence when the record at the sentinel's position lacks the sentinel header",
  async (_t, info) => {
    const f = await migrationFixture(info, {
      sentinelWithoutHeader: true,
      abortedTransaction: false,
    });
    try {
      const report = await runValidate(f);
      const p0 = detailOf(report, "sentinels", f.topic, 0);
      assert.equal(p0.status, "FAILED", formatValidation(report));
      assert.equal(p0.reason, "not_a_sentinel");
      assert.match(p0.message!, /\[0\]: the record at target offset \d+ is not this migration's/);
      assert.equal(detailOf(report, "sentinels", f.topic, 1).status, "PASSED");
    } finally {
      await f.cleanup();
    }
  },
);

sandboxTest(
  "validate() fails counts and sentinel presence when the copy stopped before the sentinel",
  async (_t, info) => {
    const f = await migrationFixture(info, { stopBeforeSentinel: true, abortedTransaction: false });
    try {
      const report = await runValidate(f);
      const counts = detailOf(report, "counts_and_offsets", f.topic, 0);
      assert.equal(counts.status, "FAILED", formatValidation(report));
      assert.equal(counts.reason, "sentinel_not_reached");
      const sentinel = detailOf(report, "sentinels", f.topic, 0);
      assert.equal(sentinel.status, "FAILED");
      assert.equal(sentinel.reason, "sentinel_not_mapped");
      for (const name of ["counts_and_offsets", "sentinels"] as const) {
        assert.equal(detailOf(report, name, f.topic, 1).status, "PASSED");
      }
    } finally {
      await f.cleanup();
    }
  },
);

sandboxTest(
  "validate() is refused before the cutover and leaves the state as it was",
  async (_t, info) => {
    const f = await migrationFixture(info, { stopBeforeCutover: true, abortedTransaction: false });
    try {
      const ctx = freshContext(f);
      try {
        await assert.rejects(validate(ctx, {}), (e: unknown) => {
          assert.ok(isKraftoverError(e, "ILLEGAL_TRANSITION"));
          assert.match(e.message, /Cannot validate: the migration is tail; validation runs after/);
          return true;
        });
      } finally {
        await ctx.close();
      }
      assert.equal((await journalState(f)).state, "tail");
    } finally {
      await f.cleanup();
    }
  },
);
