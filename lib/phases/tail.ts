/**
 * The tail phase (SPEC §2): after the seed, new source records are copied
 * continuously, straight from source to target; per-partition lag is
 * tracked, and the migration is drain-ready once every partition stays within
 * `cutover.drain_max_partition_lag` for `cutover.drain_stable_window`. New
 * partitions or newly matching topics that appear on the source are created
 * on the target (through `discover`) and copied from their log start.
 *
 * @module
 */

import type { MigrationContext } from "../context.ts";
import { KraftoverError } from "../errors.ts";
import { delay } from "../retry.ts";
import { partitionKey } from "../offset_map.ts";
import type { PartitionKey } from "../offset_map.ts";
import { reconcilePartition, writeChunk } from "../copy/copy_partition.ts";
import { openCopyEngine, settledTargetEnds, startPartitions } from "../copy/copy_engine.ts";
import type { CopyEngine } from "../copy/copy_engine.ts";
import { journaledTopics } from "../copy/copy_state.ts";
import type { PartitionCopyState } from "../copy/copy_state.ts";
import { enterPhase } from "./_enter_phase.ts";

/** How often the tail journals its lag for `status` (ms). */
const LAG_CHECKPOINT_EVERY_MS = 10_000;

/** The lag summary journaled for `status`: totals and the 50 partitions furthest behind. */
function lagSummary(lags: readonly PartitionLag[]): Record<string, unknown> {
  const worst = [...lags].sort((a, b) => b.lag - a.lag).slice(0, 50);
  return {
    partitions: lags.length,
    total_lag: lags.reduce((n, l) => n + l.lag, 0),
    max_lag: worst[0]?.lag ?? 0,
    worst: worst.map((l) => ({
      topic: l.topic,
      partition: l.partition,
      lag: l.lag,
      source_end: l.sourceEnd,
    })),
  };
}

/** Lag of one partition. */
export interface PartitionLag {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Source high watermark at the last read. */
  sourceEnd: number;
  /** Next source offset to copy. */
  next: number;
  /** Offsets behind when the last read began (`sourceEnd - ` the read's start). */
  lag: number;
}

/** Why the tail stopped. */
export type TailStop = "drain_ready" | "signal" | "until_reached" | "handover";

/** Options for {@linkcode tail}. */
export interface TailOptions {
  /** Stops the tail (it resumes from the journal next time). */
  signal?: AbortSignal;
  /** Stop once drain-ready. With false, keep tailing until the signal (`execute --follow`). @default true */
  stopWhenDrainReady?: boolean;
  /** Called once when the migration becomes drain-ready (even when tailing goes on). */
  onDrainReady?: (lags: readonly PartitionLag[]) => Promise<void> | void;
  /**
   * Copy until each partition's next offset reaches this value (cutover's
   * final catch-up), then stop. Partitions absent from the map are not waited for.
   */
  until?: ReadonlyMap<PartitionKey, number>;
  /**
   * Finds topics and partitions that appeared on the source, creates them on
   * the target and returns every partition to copy. Called every `discoverEveryMs`.
   */
  discover?: () => Promise<readonly { topic: string; partition: number }[]>;
  /** How often to call `discover` (ms). @default 30000 */
  discoverEveryMs?: number;
  /** A file whose appearance asks this tail to hand over to `cutover`. */
  handoverFile?: string;
  /** Wait between two reads of target end offsets when resuming (ms). @default 1000 */
  settleMs?: number;
  /** Phase recorded in copy steps. @default "tail" */
  phase?: "tail" | "cutover";
}

/** What cutover passes to the tail besides {@linkcode TailOptions} (not part of the public API). */
export interface TailInternals {
  /**
   * An open copy engine to reuse (cutover keeps one across its catch-up and
   * its drain, so the freeze window pays no connection set-up); closed by its
   * owner, not by the tail.
   */
  engine?: CopyEngine;
  /**
   * Check each partition against the target's end before copying (after a
   * crash, records may be there that the journal does not know yet). Only
   * a caller that copied everything itself since it last checked may skip it.
   * @default true
   */
  reconcile?: boolean;
}

/** What {@linkcode tail} did. */
export interface TailReport {
  /** Why it stopped. */
  stop: TailStop;
  /** Whether the migration was drain-ready when it stopped. */
  drainReady: boolean;
  /** Lag per partition at the end. */
  lags: PartitionLag[];
  /** Records copied by this run. */
  records: number;
  /** Bytes copied by this run. */
  bytes: number;
  /** Records found on the target after a crash and counted instead of re-sent. */
  reconciled: number;
  /** Duration in ms. */
  durationMs: number;
}

/**
 * Runs (or resumes) the tail. Enters `tail` unless the migration is already
 * in `tail`, `drain_ready` or (for the final catch-up) `cutover`; leaves the
 * state as it is — `execute` records `drain_ready`.
 *
 * @example
 * ```ts ignore
 * const report = await tail(ctx, { stopWhenDrainReady: true });
 * console.log(report.drainReady, report.lags);
 * ```
 */
export async function tail(ctx: MigrationContext, options: TailOptions = {}): Promise<TailReport> {
  return await tailWith(ctx, options, {});
}

/** {@linkcode tail} with cutover's internals: a shared copy engine, and reconciling skipped. */
export async function tailWith(
  ctx: MigrationContext,
  options: TailOptions,
  internals: TailInternals,
): Promise<TailReport> {
  const started = Date.now();
  const journal = await ctx.journal();
  const state = journal.state.state;
  if (state !== "drain_ready" && state !== "cutover") await enterPhase(journal, "tail");
  const engine = internals.engine ?? await openCopyEngine(ctx);
  const report: TailReport = {
    stop: "signal",
    drainReady: false,
    lags: [],
    records: 0,
    bytes: 0,
    reconciled: 0,
    durationMs: 0,
  };
  const controller = new AbortController();
  const stop = (why: TailStop) => {
    if (!controller.signal.aborted) {
      report.stop = why;
      controller.abort(new KraftoverError("ABORTED", `Tail stopped: ${why}`));
    }
  };
  const onOuterAbort = () => stop("signal");
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const lags = new Map<PartitionKey, PartitionLag>();
  const workers = ctx.config.seed.max_concurrent_partitions;
  const assigned: PartitionCopyState[][] = Array.from({ length: workers }, () => []);
  const active = new Set<PartitionKey>();
  let failure: unknown;

  const adopt = async (partitions: readonly { topic: string; partition: number }[]) => {
    const fresh = partitions.filter((p) => !active.has(partitionKey(p.topic, p.partition)));
    if (fresh.length === 0) return;
    const states = await startPartitions(engine, fresh);
    const ends = internals.reconcile === false
      ? undefined
      : await settledTargetEnds(engine, states, {
        settleMs: options.settleMs ?? 1000,
        signal: controller.signal,
      });
    for (const p of states) {
      const key = partitionKey(p.topic, p.partition);
      if (ends !== undefined) {
        const deps = engine.depsFor(p, engine.kafkaSource(p), await engine.writer(0));
        report.reconciled += await reconcilePartition(
          deps,
          ends.get(key)!,
          engine.readTarget(p),
          controller.signal,
        );
      }
      active.add(key);
      lags.set(key, {
        topic: p.topic,
        partition: p.partition,
        sourceEnd: p.next,
        next: p.next,
        lag: 0,
      });
      const target = assigned.reduce(
        (min, list, i) => (list.length < assigned[min]!.length ? i : min),
        0,
      );
      assigned[target]!.push(p);
    }
  };

  try {
    const topics = journaledTopics(journal.records);
    await adopt(
      topics.flatMap((t) =>
        Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.topic, partition }))
      ),
    );
    const writers = await Promise.all(Array.from({ length: workers }, (_, i) => engine.writer(i)));
    const task = ctx.progress.start(options.phase ?? "tail");
    const reachedUntil = () =>
      options.until !== undefined &&
      [...options.until].every(([key, end]) =>
        (engine.state.partitions.get(key)?.next ?? end) >= end
      );

    const worker = async (id: number) => {
      let idle = 0;
      while (!controller.signal.aborted) {
        let progressed = false;
        for (const p of assigned[id]!) {
          if (controller.signal.aborted) break;
          const key = partitionKey(p.topic, p.partition);
          const end = options.until?.get(key);
          if (end !== undefined && p.next >= end) continue;
          const chunk = await engine.sourceReader.read(p.topic, p.partition, p.next, {
            maxWaitMs: 0,
            signal: controller.signal,
          });
          if (chunk.next > chunk.from) {
            await writeChunk(
              {
                ...engine.depsFor(p, engine.kafkaSource(p), writers[id]!),
                onStep: (_, step) => {
                  const records = step.runs.reduce((sum, r) => sum + r[2], 0);
                  report.records += records;
                  report.bytes += step.bytes;
                  task.advance(records, step.bytes);
                },
              },
              chunk,
              options.phase ?? "tail",
            );
            progressed = true;
          }
          lags.set(key, {
            topic: p.topic,
            partition: p.partition,
            sourceEnd: chunk.highWatermark,
            next: p.next,
            // The backlog when this read began: copying a chunk takes time while producers
            // keep writing, so the end seen by the read says nothing about the end now.
            lag: Math.max(0, chunk.highWatermark - chunk.from),
          });
        }
        if (reachedUntil()) stop("until_reached");
        if (progressed) idle = 0;
        else {await delay(Math.min(500, 10 * 2 ** Math.min(idle++, 6)), controller.signal).catch(
            () => {},
          );}
      }
    };

    const monitor = async () => {
      const window = ctx.config.cutover.drain_stable_window;
      const maxLag = ctx.config.cutover.drain_max_partition_lag;
      const timeout = ctx.config.cutover.drain_timeout;
      let stableSince: number | undefined;
      let lastDiscover = Date.now();
      let lastLagCheckpoint = 0;
      const stopWhenReady = options.stopWhenDrainReady ?? options.until === undefined;
      while (!controller.signal.aborted) {
        await delay(250, controller.signal).catch(() => {});
        if (controller.signal.aborted) break;
        const all = [...lags.values()];
        const within = all.length > 0 && all.every((l) => l.lag <= maxLag);
        const now = Date.now();
        stableSince = within ? stableSince ?? now : undefined;
        if (!report.drainReady && stableSince !== undefined && now - stableSince >= window) {
          report.drainReady = true;
          await options.onDrainReady?.(all);
          if (stopWhenReady) stop("drain_ready");
        }
        if (report.drainReady && !within) report.drainReady = false;
        if (
          options.until === undefined && !report.drainReady && stopWhenReady &&
          now - started > timeout
        ) {
          throw new KraftoverError(
            "DRAIN_TIMEOUT",
            `Lag did not stay within ${maxLag} records per partition for ${
              window / 1000
            }s within ` +
              `${timeout / 60_000} minutes: producers outpace the copy, or a partition is stuck. ` +
              "Re-run execute to keep tailing (nothing is lost), or raise cutover.drain_timeout",
            {
              phase: "tail",
              retriable: true,
              detail: { worst: all.sort((a, b) => b.lag - a.lag).slice(0, 5) },
            },
          );
        }
        if (now - lastLagCheckpoint >= LAG_CHECKPOINT_EVERY_MS) {
          lastLagCheckpoint = now;
          await journal.append({ type: "checkpoint", name: "tail.lag", data: lagSummary(all) });
        }
        if (options.handoverFile !== undefined) {
          const requested = await Deno.stat(options.handoverFile).then(() => true, () => false);
          if (requested) stop("handover");
        }
        if (
          options.discover !== undefined &&
          now - lastDiscover >= (options.discoverEveryMs ?? 30_000)
        ) {
          lastDiscover = now;
          await adopt(await options.discover());
        }
      }
    };

    const results = await Promise.allSettled([
      ...Array.from({ length: workers }, (_, i) =>
        worker(i).catch((error) => {
          failure ??= error;
          stop("signal");
        })),
      monitor().catch((error) => {
        failure ??= error;
        stop("signal");
      }),
    ]);
    void results;
    task.done();
  } finally {
    options.signal?.removeEventListener("abort", onOuterAbort);
    if (internals.engine === undefined) await engine.close();
  }
  if (failure !== undefined) throw failure;
  report.lags = [...lags.values()].sort((a, b) =>
    a.topic.localeCompare(b.topic) || a.partition - b.partition
  );
  report.durationMs = Date.now() - started;
  return report;
}
