/**
 * Smoke tests of `deno task bench` without clusters: its flags, the records
 * it produces (they must survive the kcat pipe), the configs and commands it
 * generates, the offset-translation part at a small size, and the report's
 * text and JSON. Nothing here is timed: performance is measured by the
 * benchmark itself, never asserted by tests (SPEC §11).
 */

import assert from "node:assert/strict";
import { stringify } from "yaml";
import { BENCH_PARTS, BenchUsageError, parseBenchArgs } from "../tools/bench/args.ts";
import { recordLines } from "../tools/bench/records.ts";
import type { RecordTally } from "../tools/bench/records.ts";
import { benchTranslation, buildOffsetMap } from "../tools/bench/translation.ts";
import { formatBenchReport, rates, table, verdict } from "../tools/bench/report.ts";
import type { BenchReport } from "../tools/bench/report.ts";
import { kcatPipeCommand } from "../tools/bench/kcat_pipe.ts";
import { mirrorMakerProperties } from "../tools/bench/mirror_maker.ts";
import { seedConfig } from "../tools/bench/kraftover_seed.ts";
import { summarizeCpuProfile } from "../tools/bench/cpu_profile.ts";
import { parseConfigText } from "../lib/config/load_config.ts";
import type { SandboxInfo } from "../lib/sandbox/sandbox_info.ts";
import type { BenchCluster } from "../tools/bench/cluster.ts";

Deno.test("bench flags: defaults, sizes, --skip and --only, and usage errors", () => {
  const d = parseBenchArgs([]);
  assert.equal(d.volume, 1024 ** 3);
  assert.equal(d.partitions, 8);
  assert.equal(d.freezePartitions, 1000);
  assert.equal(d.freezeGroups, 200);
  assert.equal(d.translationPartitions, 100_000);
  assert.equal(d.translationGroups, 1000);
  assert.deepEqual([...d.parts], [...BENCH_PARTS]);

  const o = parseBenchArgs(["--volume=256MiB", "--skip", "mm2,freeze", "--partitions", "4"]);
  assert.equal(o.volume, 256 * 1024 ** 2);
  assert.equal(o.partitions, 4);
  assert.ok(!o.parts.has("mm2") && !o.parts.has("freeze") && o.parts.has("direct"));
  assert.deepEqual([...parseBenchArgs(["--only", "translation"]).parts], ["translation"]);

  assert.throws(() => parseBenchArgs(["--volume", "lots"]), BenchUsageError);
  assert.throws(() => parseBenchArgs(["--skip", "everything"]), BenchUsageError);
  assert.throws(() => parseBenchArgs(["--partitions", "0"]), BenchUsageError);
  assert.throws(() => parseBenchArgs(["--frobnicate"]), BenchUsageError);
});

Deno.test("bench records are mixed-size key<TAB>value lines that the kcat pipe carries unchanged", () => {
  const tally: RecordTally = { records: 0, bytes: 0, minValue: Infinity, maxValue: 0 };
  const chunks = [...recordLines({ bytes: 2_000_000, seed: 3, poolBytes: 1 << 20 }, tally)];
  const text = new TextDecoder().decode(
    new Uint8Array(chunks.flatMap((c) => [...c])),
  );
  const lines = text.split("\n");
  assert.equal(lines.pop(), "", "every record ends with a newline");
  assert.equal(lines.length, tally.records);
  let bytes = 0;
  const keys = new Set<string>();
  for (const line of lines) {
    const fields = line.split("\t");
    assert.equal(fields.length, 2, "exactly one tab: the key/value separator");
    const [key, value] = fields as [string, string];
    assert.match(value, /^[\x21-\x7e]+$/, "printable ASCII, no tabs or newlines");
    assert.ok(value.length >= 100 && value.length <= 10_240);
    keys.add(key);
    bytes += key.length + value.length;
  }
  assert.equal(keys.size, lines.length, "keys are unique");
  assert.equal(bytes, tally.bytes);
  assert.ok(tally.maxValue > 5 * tally.minValue, "sizes are mixed");

  const again: RecordTally = { records: 0, bytes: 0, minValue: Infinity, maxValue: 0 };
  const same = [...recordLines({ bytes: 2_000_000, seed: 3, poolBytes: 1 << 20 }, again)];
  assert.deepEqual(same, chunks, "the same seed gives the same records");
});

const fakeInfo = {
  region: "eu-west-1",
  source: { bootstrap: { plaintext: ["127.0.0.1:9092"] } },
  target: { bootstrap: { plaintext: ["127.0.0.1:9093"] } },
  s3: {
    endpoint: "http://127.0.0.1:9000",
    region: "eu-west-1",
    buckets: { backup: "kraftover-backup" },
  },
  env: {},
} as unknown as SandboxInfo;

Deno.test("bench seed configs are valid kraftover configs that select exactly the bench topic", async () => {
  for (const via of ["direct", "staged-s3", "staged-dir"] as const) {
    const config = seedConfig({
      info: fakeInfo,
      target: undefined as unknown as BenchCluster,
      topic: "kraftover-bench-1.seed",
      via,
      workDir: "/tmp/w",
      concurrency: 4,
      id: `bench-1-${via}`,
      timeoutMs: 1000,
    });
    const { config: parsed } = await parseConfigText(stringify(config), { env: {} });
    assert.equal(parsed.seed.via, via === "direct" ? "direct" : "staged");
    assert.equal(parsed.seed.max_concurrent_partitions, 4);
    const include = new RegExp(`^(?:${parsed.topics.include![0]})$`);
    assert.ok(include.test("kraftover-bench-1.seed"));
    assert.ok(!include.test("kraftover-bench-1xseed"), "the dot is literal");
    if (via === "staged-s3") assert.equal(parsed.backup?.s3_bucket, "kraftover-backup");
    if (via === "staged-dir") assert.ok(parsed.backup?.directory?.startsWith("/tmp/w/"));
  }
});

Deno.test("the kcat baseline is the documented consume | produce pipe", () => {
  assert.equal(
    kcatPipeCommand("127.0.0.1:1", "t.seed", "127.0.0.1:2", "t.seed.kcat"),
    "kcat -C -b 127.0.0.1:1 -t t.seed -o beginning -e -q -f '%k\\t%s\\n' | " +
      "kcat -P -b 127.0.0.1:2 -t t.seed.kcat -K '\\t'",
  );
});

Deno.test("MirrorMaker 2 runs one flow of one topic, writing nothing to the source", () => {
  const text = mirrorMakerProperties({
    alias: "mm2x",
    source: "127.0.0.1:1",
    target: "127.0.0.1:2",
    topic: "a.b",
    tasks: 4,
    producer: { "linger.ms": "20" },
  });
  const props = new Map(
    text.split("\n").filter((l) => l.includes(" = ")).map((l) =>
      l.split(" = ") as [string, string]
    ),
  );
  assert.equal(props.get("clusters"), "mm2x, dst");
  assert.equal(props.get("mm2x->dst.enabled"), "true");
  assert.equal(props.get("dst->mm2x.enabled"), "false");
  assert.equal(props.get("mm2x->dst.topics"), "a\\.b");
  assert.equal(props.get("offset-syncs.topic.location"), "target");
  assert.equal(props.get("tasks.max"), "4");
  assert.equal(props.get("dst.producer.linger.ms"), "20");
});

Deno.test("offset translation part: small map, every method agrees, figures filled in", () => {
  const r = benchTranslation({ partitions: 500, groups: 20, sample: 2_000, maxSeconds: 60 });
  assert.equal(r.status, "ok");
  assert.equal(r.translations, 10_000);
  assert.equal(r.baselineAgrees, true, "binary search, translateGroups and the scan agree");
  assert.equal(r.binarySearch!.extrapolated, false, "a full run this small is measured");
  assert.equal(r.binarySearch!.measured, 10_000);
  assert.ok(r.linearScan!.measured > 0 && r.cutoverPath!.measured > 0);
  assert.ok(r.compacted!.partitions > 0 && r.compacted!.meanRuns >= 1000);
  assert.ok(r.runs! > r.partitions!, "compacted and transactional partitions add runs");

  const { parts, runs } = buildOffsetMap(1000, 7);
  assert.equal(parts.length, 1000);
  assert.equal(runs, parts.reduce((n, p) => n + p.map.runCount, 0));
  for (const p of parts.slice(0, 50)) {
    assert.equal(p.map.translate(p.end, p.sentinelTarget + 1).via, "after_sentinel");
    assert.equal(p.map.translate(p.start, p.sentinelTarget + 1).target, 0);
  }
});

Deno.test("bench report: every part rendered, honest verdict, JSON round trip", () => {
  const translation = benchTranslation({ partitions: 200, groups: 10, sample: 500 });
  const report: BenchReport = {
    version: 1,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:10:00.000Z",
    command: "deno task bench --volume 64MiB",
    machine: { cpus: 2, memoryGiB: 24, os: "linux", deno: "2.9.6", kcat: "1.7.1" },
    options: {},
    sandbox: { stateDir: "/tmp/s", reused: false, source: "Kafka 3.9.2", target: "Kafka 4.4.0" },
    data: {
      topic: "t",
      partitions: 8,
      records: 1000,
      bytes: 2_000_000,
      valueBytes: { min: 100, max: 10240, mean: 1990 },
      produceMs: 100,
    },
    throughput: [
      {
        name: "kraftover direct",
        status: "ok",
        records: 1000,
        bytes: 2_000_000,
        copyMs: 200,
        wallMs: 900,
        ...rates(2_000_000, 1000, 200),
        peakRssKiB: 300 * 1024,
        notes: ["copy time is seed() alone"],
      },
      {
        name: "kcat pipe",
        status: "ok",
        records: 1000,
        bytes: 2_000_000,
        copyMs: 100,
        wallMs: 100,
        ...rates(2_000_000, 1000, 100),
        peakRssKiB: 100 * 1024,
      },
      { name: "MirrorMaker 2 (defaults)", status: "failed", reason: "exited with 1" },
    ],
    memory: {
      status: "ok",
      rows: [
        { bytes: 500_000, records: 250, seedMs: 60, peakRssKiB: 290 * 1024 },
        { bytes: 2_000_000, records: 1000, seedMs: 200, peakRssKiB: 300 * 1024 },
      ],
    },
    freeze: {
      status: "ok",
      topics: 10,
      partitions: 1000,
      groups: 200,
      committedOffsets: 20_000,
      records: 20_000,
      setupMs: 5000,
      executeMs: 10_000,
      cutoverMs: 4800,
      freezeWindowMs: 2400,
      beforeFreezeMs: 2000,
      breakdown: {
        sentinelsWrittenMs: 100,
        sentinelsDrainedMs: 1400,
        translatedMs: 1900,
        committedMs: 2400,
      },
    },
    translation,
  };
  const said = verdict(report.throughput);
  assert.ok(said !== undefined && said.includes("SLOWER"), "a slower kraftover is said plainly");
  report.verdict = said;
  const text = formatBenchReport(report);
  for (
    const expected of [
      "1. Seed throughput",
      "kraftover direct",
      "10.0",
      "kcat pipe",
      "20.0",
      "MirrorMaker 2 (defaults): failed: exited with 1",
      "SLOWER than the kcat pipe by 50%",
      "2. Direct seed peak memory",
      "peak RSS ×1.03",
      "FREEZE WINDOW",
      "2.40 s",
      "4. Offset translation",
      "binary search (PartitionOffsetMap.translate)",
      "the three methods gave the same target offsets",
    ]
  ) {
    assert.ok(text.includes(expected), `report lacks ${JSON.stringify(expected)}:\n${text}`);
  }
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);

  const skipped = formatBenchReport({
    ...report,
    throughput: [],
    memory: { status: "skipped", reason: "--skip memory", rows: [] },
    freeze: { status: "skipped", reason: "--skip freeze" },
    translation: { status: "skipped", reason: "--skip translation" },
  });
  assert.ok(skipped.includes("skipped: --skip freeze"));
  assert.ok(skipped.includes("skipped: --skip translation"));
  assert.equal(table([["a", "b"], ["xx", "1"]]), "a   b\n--  -\nxx  1");
});

Deno.test("CPU profile summary attributes self time to functions and areas", () => {
  const s = summarizeCpuProfile({
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2, 3] },
      {
        id: 2,
        callFrame: {
          functionName: "crc32C",
          url: "file:///r/node_modules/.deno/kafkajs@2.2.4/node_modules/kafkajs/src/c.js",
          lineNumber: 7,
        },
      },
      { id: 3, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
    ],
    samples: [2, 2, 2, 3],
    timeDeltas: [1000, 1000, 1000, 1000],
  });
  assert.equal(s.totalMs, 4);
  assert.equal(s.idleMs, 1);
  assert.deepEqual(s.top[0], {
    name: "crc32C",
    location: "kafkajs/src/c.js:8",
    selfMs: 3,
    pct: 75,
  });
  assert.equal(s.areas[0]!.area, "kafkajs (protocol encode/decode, network)");
});
