/**
 * Stopping what a sandbox state file records, and removing its files.
 *
 * @module
 */

import type { Logger } from "../logger.ts";
import { delay } from "../retry.ts";
import { portAnswers } from "./_ports.ts";
import { stopProcessGroup } from "./_process.ts";
import type { SandboxState, StopOutcome } from "./sandbox_info.ts";

/** What {@linkcode stopRecorded} did. */
export interface StopRecordedResult {
  /** Each recorded process and how it was stopped. */
  stopped: Array<{ name: string; pid: number; outcome: StopOutcome }>;
  /** Recorded ports that still accept connections afterwards. */
  portsStillOpen: number[];
}

/**
 * Stops every recorded process (brokers and services first, ZooKeeper last,
 * each a process group: SIGTERM, SIGKILL after `graceMs`), then removes
 * everything in the state directory but `logs/` (when kept) and the lock.
 */
export async function stopRecorded(
  stateDir: string,
  state: SandboxState,
  options: { log: Logger; graceMs: number; keepLogs: boolean },
): Promise<StopRecordedResult> {
  const stopped: StopRecordedResult["stopped"] = [];
  const stopAll = async (procs: SandboxState["processes"]) => {
    await Promise.all(procs.map(async (p) => {
      const outcome = await stopProcessGroup(p.pid, state.tag, options.graceMs);
      options.log.debug("Stopped", { process: p.name, pid: p.pid, outcome });
      stopped.push({ name: p.name, pid: p.pid, outcome });
    }));
  };
  const zookeeper = state.processes.filter((p) => p.name.endsWith("zookeeper"));
  await stopAll(state.processes.filter((p) => !zookeeper.includes(p)));
  await stopAll(zookeeper);
  // The processes are gone; give the kernel a moment to close their listeners before calling a
  // port still open.
  let portsStillOpen: number[] = [...state.ports];
  for (let attempt = 0; attempt < 10 && portsStillOpen.length > 0; attempt++) {
    if (attempt > 0) await delay(200);
    const answering: number[] = [];
    for (const port of portsStillOpen) if (await portAnswers(port, 300)) answering.push(port);
    portsStillOpen = answering;
  }
  for await (const e of Deno.readDir(stateDir)) {
    if ((options.keepLogs && e.name === "logs") || e.name === ".lock") continue;
    await Deno.remove(`${stateDir}/${e.name}`, { recursive: true }).catch(() => {});
  }
  return { stopped, portsStillOpen };
}
