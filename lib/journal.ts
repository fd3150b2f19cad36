/**
 * The migration journal (SPEC §2): append-only JSON lines in one directory,
 * each append written and fsynced before the side effect that depends on it.
 * A torn last line (a crash mid-append) is ignored and cut off; any other
 * corrupt line is an error naming it. A lock file keeps two runners off one
 * journal; a lock left by a dead process is taken over, and the takeover is
 * logged.
 *
 * @module
 */

import { join } from "node:path";
import { KraftoverError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { silentLogger } from "./logger.ts";
import { redact } from "./secret.ts";
import { assertTransition, isMigrationState, PRE_CUTOVER_STATES } from "./state_machine.ts";
import { processStartTime, processState } from "./process_liveness.ts";
import type { MigrationState } from "./state_machine.ts";

/** The journal file name inside the journal directory. */
export const JOURNAL_FILE = "journal.jsonl";
/** The lock file name inside the journal directory. */
export const LOCK_FILE = "journal.lock";

/** The first entry: fixes the migration id. */
export interface MigrationStartedEntry {
  /** Entry type. */
  type: "migration_started";
  /** The migration id, fixed from here on. */
  migration_id: string;
  /** kraftover version that started the migration. */
  tool_version: string;
  /** SHA-256 of the validated config (secrets redacted), to spot a changed config. */
  config_sha256?: string;
}

/** A lifecycle transition. */
export interface TransitionEntry {
  /** Entry type. */
  type: "transition";
  /** State left (null for none). */
  from: MigrationState | null;
  /** State entered. */
  to: MigrationState;
  /** Why (a failure's message, an operator action). */
  reason?: string;
  /** Error code when moving to `failed`. */
  error_code?: string;
  /** Whether a `failed` state can be resumed by re-running. */
  retriable?: boolean;
}

/** A phase's durable progress; `name` says which (e.g. `seed.partition`, `offset_map.runs`). */
export interface CheckpointEntry {
  /** Entry type. */
  type: "checkpoint";
  /** Which progress this records. */
  name: string;
  /** The progress itself (JSON, no secrets). */
  data: Readonly<Record<string, unknown>>;
}

/** Anything else worth keeping in the record (warnings, operator actions). */
export interface NoteEntry {
  /** Entry type. */
  type: "note";
  /** Severity. */
  level: "info" | "warn";
  /** What happened. */
  message: string;
  /** Structured detail. */
  data?: Readonly<Record<string, unknown>>;
}

/** What callers append. */
export type JournalEntry = MigrationStartedEntry | TransitionEntry | CheckpointEntry | NoteEntry;

/** An entry as stored: with its sequence number and time. */
export type JournalRecord = JournalEntry & { seq: number; ts: string };

/** The state rebuilt from a journal. */
export interface JournalState {
  /** The migration id, once the first entry is written. */
  migrationId: string | undefined;
  /** Current state (`planned` for an empty journal). */
  state: MigrationState;
  /** When the current state was entered (undefined for an empty journal). */
  since: Date | undefined;
  /** For `failed`: the state it failed in. */
  failedFrom: MigrationState | undefined;
  /** For `failed`: the last failure. */
  failure: { reason?: string; code?: string; retriable?: boolean } | undefined;
  /** Every transition in order. */
  transitions: readonly (TransitionEntry & { ts: string })[];
}

/** Result of reading a journal file. */
export interface ReadJournalResult {
  /** Valid records in order. */
  records: JournalRecord[];
  /** A torn last line that was ignored, with its 1-based line number. */
  tornLine: number | undefined;
  /** Byte length of the valid prefix (where a torn tail starts). */
  validBytes: number;
}

/**
 * Reads a journal file without locking it (for `status`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readJournal } from "./journal.ts";
 * const dir = await Deno.makeTempDir();
 * const { records } = await readJournal(dir);
 * assert.ok(records.length === 0);
 * ```
 */
export async function readJournal(dir: string): Promise<ReadJournalResult> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(join(dir, JOURNAL_FILE));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { records: [], tornLine: undefined, validBytes: 0 };
    }
    throw new KraftoverError(
      "JOURNAL_IO",
      `Cannot read the journal in ${dir}: ${(error as Error).message}`,
      {
        phase: "journal",
        cause: error,
      },
    );
  }
  return parseJournal(bytes, join(dir, JOURNAL_FILE));
}

/**
 * Parses journal bytes. Exported for tests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJournal } from "./journal.ts";
 * const text = '{"seq":1,"ts":"2026-01-01T00:00:00Z","type":"note","level":"info","message":"hi"}\n{"seq":2,';
 * const r = parseJournal(new TextEncoder().encode(text), "j");
 * assert.ok(r.records.length === 1 && r.tornLine === 2);
 * ```
 */
export function parseJournal(bytes: Uint8Array, name: string): ReadJournalResult {
  const records: JournalRecord[] = [];
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let start = 0;
  let line = 0;
  let validBytes = 0;
  while (start < bytes.length) {
    line++;
    let end = bytes.indexOf(0x0a, start);
    const terminated = end !== -1;
    if (!terminated) end = bytes.length;
    const text = decoder.decode(bytes.subarray(start, end));
    const isLast = end + 1 >= bytes.length;
    let record: JournalRecord | undefined;
    try {
      const parsed = JSON.parse(text) as JournalRecord;
      if (isRecord(parsed) && parsed.seq === records.length + 1) record = parsed;
    } catch {
      record = undefined;
    }
    if (record === undefined || !terminated) {
      if (isLast) return { records, tornLine: line, validBytes };
      throw new KraftoverError(
        "JOURNAL_CORRUPT",
        `The journal ${name} is corrupt at line ${line}: expected a JSON entry with seq ${
          records.length + 1
        }. Do not edit the journal; restore it from a copy or start a new migration with a new journal`,
        { phase: "journal", detail: { file: name, line } },
      );
    }
    records.push(record);
    start = end + 1;
    validBytes = start;
  }
  return { records, tornLine: undefined, validBytes };
}

function isRecord(value: unknown): value is JournalRecord {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  if (typeof v.seq !== "number" || typeof v.ts !== "string") return false;
  switch (v.type) {
    case "migration_started":
      return typeof v.migration_id === "string";
    case "transition":
      return isMigrationState(v.to) && (v.from === null || isMigrationState(v.from));
    case "checkpoint":
      return typeof v.name === "string" && typeof v.data === "object" && v.data !== null;
    case "note":
      return typeof v.message === "string";
    default:
      return false;
  }
}

/**
 * Rebuilds the lifecycle state from records.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replayState } from "./journal.ts";
 * const s = replayState([]);
 * assert.ok(s.state === "planned" && s.migrationId === undefined);
 * ```
 */
export function replayState(records: readonly JournalRecord[]): JournalState {
  let migrationId: string | undefined;
  let state: MigrationState = "planned";
  let since: Date | undefined;
  let failedFrom: MigrationState | undefined;
  let failure: JournalState["failure"];
  const transitions: (TransitionEntry & { ts: string })[] = [];
  for (const record of records) {
    if (record.type === "migration_started") {
      migrationId = record.migration_id;
      since ??= new Date(record.ts);
    } else if (record.type === "transition") {
      if (record.to === "failed") {
        failedFrom = state === "failed" ? failedFrom : state;
        failure = {
          ...(record.reason === undefined ? {} : { reason: record.reason }),
          ...(record.error_code === undefined ? {} : { code: record.error_code }),
          ...(record.retriable === undefined ? {} : { retriable: record.retriable }),
        };
      } else {
        failedFrom = undefined;
        failure = undefined;
      }
      if (record.to !== state) since = new Date(record.ts);
      state = record.to;
      transitions.push({ ...record });
    }
  }
  return { migrationId, state, since, failedFrom, failure, transitions };
}

/** Options for {@linkcode openJournal}. */
export interface OpenJournalOptions {
  /** Migration id to fix at the first write, or to check against an existing journal. */
  migrationId?: string;
  /** Tool version recorded in the first entry. @default "0.0.0" */
  toolVersion?: string;
  /** SHA-256 of the config, recorded in the first entry. */
  configSha256?: string;
  /** Logger for takeover and torn-line messages. @default silentLogger */
  logger?: Logger;
  /** The clock. @default () => new Date() */
  now?: () => Date;
  /** Called after each transition is durable (e.g. to run `notify` hooks); failures are ignored. */
  onTransition?: (entry: TransitionEntry) => Promise<void> | void;
}

/** An open, locked journal. Close it (or use `await using`) to release the lock. */
export interface Journal extends AsyncDisposable {
  /** The journal directory. */
  readonly dir: string;
  /** Every record so far, including those appended through this handle. */
  readonly records: readonly JournalRecord[];
  /** The current lifecycle state. */
  readonly state: JournalState;
  /** The migration id (fixed by the first append). */
  readonly migrationId: string;
  /** Appends an entry durably (write + fsync) and returns the stored record. */
  append(entry: JournalEntry): Promise<JournalRecord>;
  /** Appends a checked transition; refuses illegal ones with `ILLEGAL_TRANSITION`. */
  transition(
    to: MigrationState,
    details?: Omit<TransitionEntry, "type" | "from" | "to">,
  ): Promise<void>;
  /** Releases the lock. */
  close(): Promise<void>;
}

/**
 * Opens (creating when absent) and locks the journal in `dir`, replaying it.
 * The first call on an empty journal writes `migration_started` with the id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openJournal } from "./journal.ts";
 * const dir = await Deno.makeTempDir();
 * const journal = await openJournal(dir, { migrationId: "mig-example" });
 * await journal.transition("precheck");
 * assert.ok(journal.state.state === "precheck");
 * await journal.close();
 * ```
 */
export async function openJournal(dir: string, options: OpenJournalOptions = {}): Promise<Journal> {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  await Deno.mkdir(dir, { recursive: true });
  const lock = await acquireLock(dir, logger);
  try {
    const read = await readJournal(dir);
    const path = join(dir, JOURNAL_FILE);
    const file = await Deno.open(path, { read: true, write: true, create: true });
    if (read.tornLine !== undefined) {
      logger.warn("Ignoring a torn last journal line left by an interrupted write", {
        journal: path,
        line: read.tornLine,
      });
      await file.truncate(read.validBytes);
      await file.syncData();
    }
    await file.seek(0, Deno.SeekMode.End);
    const records = read.records;
    let state = replayState(records);
    if (
      state.migrationId !== undefined && options.migrationId !== undefined &&
      options.migrationId !== state.migrationId
    ) {
      file.close();
      throw new KraftoverError(
        "JOURNAL_MISMATCH",
        `The journal in ${dir} belongs to migration ${state.migrationId}, not ${options.migrationId}: ` +
          "use that migration's id or another --journal-dir",
        { phase: "journal" },
      );
    }
    const encoder = new TextEncoder();
    let closed = false;

    // Appends are queued and written in groups: one write and one fsync for
    // every entry that arrived while the previous group was being made durable.
    let pending: {
      entry: JournalEntry;
      resolve: (r: JournalRecord) => void;
      reject: (e: unknown) => void;
    }[] = [];
    let flushing = false;
    let broken: unknown;

    const flush = async (): Promise<void> => {
      flushing = true;
      while (pending.length > 0) {
        const group = pending;
        pending = [];
        try {
          if (closed) {
            throw new KraftoverError("JOURNAL_IO", "The journal is closed", { phase: "journal" });
          }
          if (broken !== undefined) throw broken;
          await lock.verify();
          const ts = now().toISOString();
          const written = group.map((p, i) =>
            ({ seq: records.length + 1 + i, ts, ...redact(p.entry) }) as JournalRecord
          );
          const bytes = encoder.encode(written.map((r) => JSON.stringify(r)).join("\n") + "\n");
          try {
            let n = 0;
            while (n < bytes.length) n += await file.write(bytes.subarray(n));
            await file.syncData();
          } catch (error) {
            // The file may now end in a partial line: refuse further appends on this handle;
            // reopening the journal cuts the torn line off.
            broken = new KraftoverError(
              "JOURNAL_IO",
              `Cannot write the journal in ${dir}: ${(error as Error).message}`,
              { phase: "journal", cause: error, retriable: true },
            );
            throw broken;
          }
          records.push(...written);
          if (written.some((r) => r.type === "transition" || r.type === "migration_started")) {
            state = replayState(records);
          }
          group.forEach((p, i) => p.resolve(written[i]!));
        } catch (error) {
          for (const p of group) p.reject(error);
        }
      }
      flushing = false;
    };

    const append = (entry: JournalEntry): Promise<JournalRecord> =>
      new Promise((resolve, reject) => {
        pending.push({ entry, resolve, reject });
        if (!flushing) void flush();
      });

    if (state.migrationId === undefined) {
      const id = options.migrationId ?? generateMigrationId(now());
      await append({
        type: "migration_started",
        migration_id: id,
        tool_version: options.toolVersion ?? "0.0.0",
        ...(options.configSha256 === undefined ? {} : { config_sha256: options.configSha256 }),
      });
    }

    const journal: Journal = {
      dir,
      get records() {
        return records;
      },
      get state() {
        return state;
      },
      get migrationId() {
        return state.migrationId as string;
      },
      append,
      async transition(to, details = {}) {
        const from = state.state;
        if (from === "failed" && to !== "failed") {
          const origin = state.failedFrom ?? "planned";
          const allowed = to === origin ||
            (to === "rolled_back" && PRE_CUTOVER_STATES.includes(origin)) ||
            (PRE_CUTOVER_STATES.includes(origin) && PRE_CUTOVER_STATES.includes(to) &&
              PRE_CUTOVER_STATES.indexOf(to) <= PRE_CUTOVER_STATES.indexOf(origin));
          if (!allowed) {
            throw new KraftoverError(
              "ILLEGAL_TRANSITION",
              `Cannot move the migration from failed to ${to}: it failed in ${origin}; ` +
                `re-run the command for ${origin} to resume`,
              { phase: "failed", detail: { from, to, failedFrom: origin } },
            );
          }
        } else if (
          !(from === to && (to === "failed" || to === "precheck" || to === "validating"))
        ) {
          assertTransition(from, to);
        }
        const entry: TransitionEntry = { type: "transition", from, to, ...details };
        await append(entry);
        try {
          await options.onTransition?.(entry);
        } catch (error) {
          logger.warn("A state-change listener failed", { error: (error as Error).message });
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        file.close();
        await lock.release();
      },
      async [Symbol.asyncDispose]() {
        await journal.close();
      },
    };
    return journal;
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/**
 * A migration id: `mig-YYYYMMDD-` and 8 random hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateMigrationId } from "./journal.ts";
 * assert.ok(/^mig-\d{8}-[0-9a-f]{8}$/.test(generateMigrationId(new Date())));
 * ```
 */
export function generateMigrationId(now: Date): string {
  const day = now.toISOString().slice(0, 10).replaceAll("-", "");
  const random = crypto.getRandomValues(new Uint8Array(4));
  return `mig-${day}-${[...random].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

interface LockInfo {
  pid: number;
  /** Process start time from /proc (guards against PID reuse), when known. */
  start: string | undefined;
  hostname: string;
  token: string;
  acquired_at: string;
}

interface HeldLock {
  verify(): Promise<void>;
  release(): Promise<void>;
}

/** A lock whose owner cannot be checked counts as stale once its heartbeat is this old (ms). */
const HEARTBEAT_STALE_MS = 30_000;
/** How often the holder refreshes the lock file's modification time (ms). */
const HEARTBEAT_EVERY_MS = 5_000;

async function isAlive(info: LockInfo, path: string): Promise<boolean> {
  if (info.hostname === Deno.hostname()) {
    const state = processState(info.pid);
    if (state === "dead") return false;
    if (state === "alive") {
      const start = info.start === undefined ? undefined : processStartTime(info.pid);
      return start === undefined || start === info.start;
    }
  }
  // Another host, or no way to check the process: trust the holder's heartbeat.
  try {
    const mtime = (await Deno.stat(path)).mtime?.getTime() ?? 0;
    return Date.now() - mtime < HEARTBEAT_STALE_MS;
  } catch {
    return false;
  }
}

async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as LockInfo;
  } catch {
    return undefined;
  }
}

async function acquireLock(dir: string, logger: Logger): Promise<HeldLock> {
  const path = join(dir, LOCK_FILE);
  const info: LockInfo = {
    pid: Deno.pid,
    start: processStartTime(Deno.pid),
    hostname: Deno.hostname(),
    token: crypto.randomUUID(),
    acquired_at: new Date().toISOString(),
  };
  const body = JSON.stringify(info);
  for (let attempt = 0; attempt < 5; attempt++) {
    // Write our lock under a unique name, then hard-link it into place: the
    // link either appears whole or fails because a lock exists.
    const mine = join(dir, `${LOCK_FILE}.${info.token}`);
    await Deno.writeTextFile(mine, body);
    const handle = await Deno.open(mine, { read: true });
    await handle.sync();
    handle.close();
    try {
      await Deno.link(mine, path);
      await Deno.remove(mine);
      return held(path, info, dir);
    } catch (error) {
      await Deno.remove(mine).catch(() => {});
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        throw new KraftoverError(
          "JOURNAL_IO",
          `Cannot lock the journal in ${dir}: ${(error as Error).message}`,
          {
            phase: "journal",
            cause: error,
          },
        );
      }
    }
    const existing = await readLock(path);
    if (existing !== undefined && await isAlive(existing, path)) {
      throw new KraftoverError(
        "JOURNAL_LOCKED",
        `The journal in ${dir} is in use by process ${existing.pid} on ${existing.hostname} ` +
          `(since ${existing.acquired_at}): wait for it to finish or stop it; a lock left by a ` +
          "dead process is taken over automatically",
        {
          phase: "journal",
          retriable: true,
          detail: { pid: existing.pid, hostname: existing.hostname },
        },
      );
    }
    // Stale (or unreadable) lock: move it aside atomically; only one contender wins the rename.
    const aside = join(dir, `${LOCK_FILE}.stale-${info.token}`);
    try {
      await Deno.rename(path, aside);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // someone else took it over
      throw error;
    }
    const moved = await readLock(aside);
    if (existing !== undefined && moved?.token !== existing.token) {
      // We moved a fresh lock another contender just took: put it back and give way.
      await Deno.link(aside, path).catch(() => {});
      await Deno.remove(aside).catch(() => {});
      continue;
    }
    await Deno.remove(aside).catch(() => {});
    logger.warn("Took over a stale journal lock left by a process that is no longer running", {
      journal: dir,
      stale_pid: existing?.pid,
      stale_since: existing?.acquired_at,
    });
  }
  throw new KraftoverError(
    "JOURNAL_LOCKED",
    `Cannot lock the journal in ${dir}: lost the race to another runner repeatedly`,
    {
      phase: "journal",
      retriable: true,
    },
  );
}

function held(path: string, info: LockInfo, dir: string): HeldLock {
  let released = false;
  // The heartbeat lets another host (or a runner without /proc access) tell a live holder.
  const heartbeat = setInterval(() => {
    const now = new Date();
    Deno.utime(path, now, now).catch(() => {});
  }, HEARTBEAT_EVERY_MS);
  Deno.unrefTimer(heartbeat);
  return {
    async verify() {
      const current = await readLock(path);
      if (current?.token !== info.token) {
        throw new KraftoverError(
          "JOURNAL_LOCKED",
          `Lost the lock on the journal in ${dir}: another runner took it over; stopping before writing`,
          { phase: "journal" },
        );
      }
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      const current = await readLock(path);
      if (current?.token === info.token) await Deno.remove(path).catch(() => {});
    },
  };
}
