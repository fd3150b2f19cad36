/**
 * Check 5, group reconciliation: every consumer group's committed offsets on
 * the target equal the translated offsets the cutover (or the client switch)
 * last committed, as journaled. Once clients are switched, consumers on the
 * target commit their own progress: an offset that moved forward from the
 * translated value is then a warning (expected, but no longer provable); one
 * that moved before the switch, went backwards or is missing fails.
 *
 * @module
 */

import type { TranslatedOffset } from "../cutover/cutover_state.ts";
import { mapLimit } from "./_inputs.ts";
import type { ValidationInputs } from "./_inputs.ts";
import { checkResult } from "./validation_report.ts";
import type { ValidationCheck, ValidationDetail } from "./validation_report.ts";

/**
 * Runs the group check: one detail per group and partition committed.
 *
 * @example
 * ```ts ignore
 * const check = await checkGroups(inputs);
 * console.log(check.summary.groups);
 * ```
 */
export async function checkGroups(inputs: ValidationInputs): Promise<ValidationCheck> {
  const committed = inputs.cutover.committed;
  const translated = inputs.cutover.translated;
  if (committed === undefined) {
    const details: ValidationDetail[] = (translated?.groups ?? []).map((g) => ({
      status: "FAILED",
      group: g.group,
      reason: "never_committed",
      message: `${g.group}: offsets were translated but the cutover never journaled committing ` +
        "them on the target",
      values: {},
    }));
    return checkResult("group_offsets", { groups: details.length, offsets: 0 }, details);
  }
  const switched = inputs.cutover.switched !== undefined;
  const sentinelTargets = new Map<string, number>();
  for (const s of inputs.cutover.sentinels) {
    const mapped = inputs.copy.partitions.get(`${s.topic}/${s.partition}`)?.map.targetOf(
      s.source_offset,
    );
    if (mapped !== undefined) sentinelTargets.set(`${s.topic}/${s.partition}`, mapped);
  }
  const admin = await inputs.target.admin();
  const perGroup = await mapLimit(committed.groups, inputs.concurrency, async (g) => {
    const topics = [...new Set(g.offsets.map((o) => o.topic))];
    let fetched: { topic: string; partitions: { partition: number; offset: string }[] }[];
    let members = 0;
    try {
      fetched = await admin.fetchOffsets({ groupId: g.group, topics });
      const described = await admin.describeGroups([g.group]);
      members = described.groups[0]?.members.length ?? 0;
    } catch (error) {
      throw inputs.target.classify(
        error,
        `reading the offsets of group ${g.group}`,
        "validating",
      );
    }
    const actual = new Map<string, number>();
    for (const t of fetched) {
      for (const p of t.partitions) actual.set(`${t.topic}/${p.partition}`, Number(p.offset));
    }
    return g.offsets.map((o: TranslatedOffset): ValidationDetail => {
      const now = actual.get(`${o.topic}/${o.partition}`) ?? -1;
      const subject = { group: g.group, topic: o.topic, partition: o.partition };
      const name = `${g.group} on ${o.topic}[${o.partition}]`;
      const values = {
        source_offset: o.source,
        translated: o.target,
        via: o.via,
        committed_on_target: now < 0 ? null : now,
        members_on_target: members,
      };
      const sentinelTarget = sentinelTargets.get(`${o.topic}/${o.partition}`);
      if (sentinelTarget !== undefined && o.target === sentinelTarget) {
        return {
          status: "FAILED",
          ...subject,
          reason: "at_sentinel",
          message: `${name}: the translated offset ${o.target} is the sentinel's own position: ` +
            "the group's consumers would read the sentinel record; a caught-up group must start " +
            `after it (${o.target + 1})`,
          values,
        };
      }
      if (now === o.target) return { status: "PASSED", ...subject, values };
      if (now < 0) {
        return {
          status: "FAILED",
          ...subject,
          reason: "not_committed",
          message: `${name}: no offset is committed on the target; expected ${o.target} ` +
            `(source offset ${o.source})`,
          values,
        };
      }
      if (now > o.target && switched) {
        return {
          status: "WARNING",
          ...subject,
          reason: "advanced_since_switch",
          message: `${name}: committed ${now}, ahead of the translated ${o.target} by ` +
            `${now - o.target}: consumers on the target have committed since the switch, so the ` +
            "translated commit can no longer be confirmed (validate before consumers resume for " +
            "an exact check)",
          values,
        };
      }
      return {
        status: "FAILED",
        ...subject,
        reason: now < o.target ? "behind_translated" : "changed_before_switch",
        message: `${name}: committed ${now} on the target, expected the translated ${o.target} ` +
          `(source offset ${o.source}, ${o.via})` +
          (now < o.target
            ? `: consumers would read ${o.target - now} records again`
            : `: ${now - o.target} records would be skipped; nothing should commit there ` +
              "before clients are switched"),
        values,
      };
    });
  }, inputs.signal);
  const details = perGroup.flat();
  return checkResult(
    "group_offsets",
    { groups: committed.groups.length, offsets: details.length },
    details,
  );
}
