import type { CasOp, FinalLog, KvOp, WriteOp } from "../history.js";
import { mayHaveWritten } from "./model.js";
import type { SectionResult, Violation } from "./types.js";
import { verdictOf } from "./types.js";

/**
 * Durability against the final change log: every write known to have taken effect (answered
 * ok, or unknown but observed by a read) is in the log, at its revision when one is known;
 * the log holds no write of the workload's keys that nobody made, and no write whose client
 * was told it failed; and the log reaches every revision a client saw.
 */
export function checkDurability(ops: readonly KvOp[], finalLog: FinalLog): SectionResult {
  const violations: Violation[] = [];
  const add = (kind: string, message: string, ids: number[] = []): void => {
    violations.push({ check: "durability", kind, message, ops: ids });
  };
  const { fromRevision, toRevision, member } = finalLog;
  const complete = fromRevision <= 1;
  const at = (key: string, value: string): string => `${key}\u0000${value}`;

  const byRevision = new Map<string, FinalLog["events"][number]>();
  const putsOf = new Map<string, number[]>();
  for (const e of finalLog.events) {
    byRevision.set(`${e.key}\u0000${e.revision}`, e);
    if (e.type === "PUT") {
      const list = putsOf.get(at(e.key, e.value));
      if (list === undefined) putsOf.set(at(e.key, e.value), [e.revision]);
      else list.push(e.revision);
    }
  }

  const keys = new Set<string>();
  const writers = new Map<string, WriteOp | CasOp>();
  /** Writes the client was told did not happen: failed, or compare failed. */
  const refused = new Map<string, WriteOp | CasOp>();
  const observed = new Map<string, number>();
  const learned = new Map<string, number>();
  let highest: { revision: number; op: KvOp } | undefined;
  for (const op of ops) {
    keys.add(op.key);
    if (op.type !== "read") (mayHaveWritten(op) ? writers : refused).set(at(op.key, op.value), op);
    if (op.outcome !== "ok") continue;
    const seen: { value: string | null; modRevision?: number }[] = [];
    if (op.type === "read") seen.push(op.result);
    if (op.type === "cas" && op.result.current !== undefined) seen.push(op.result.current);
    if (op.type === "cas" && op.result.succeeded && op.compare.target === "value") seen.push({ value: op.compare.value });
    for (const s of seen) {
      if (s.value === null) continue;
      if (!observed.has(at(op.key, s.value))) observed.set(at(op.key, s.value), op.id);
      if (s.modRevision !== undefined && !learned.has(at(op.key, s.value))) learned.set(at(op.key, s.value), s.modRevision);
    }
    const r = op.result.revision;
    if (r !== undefined && (highest === undefined || r > highest.revision)) highest = { revision: r, op };
  }

  if (highest !== undefined && highest.revision > toRevision) {
    add("beyond-final-log", `op ${highest.op.id} saw revision ${highest.revision}, but the final log of ${member} ends at revision ${toRevision}: that member is behind, or lost revisions`, [highest.op.id]);
  }

  let checked = 0;
  let unverifiable = 0;
  for (const op of writers.values()) {
    const id = at(op.key, op.value);
    const acknowledged = op.outcome === "ok" && (op.type === "write" || op.result.succeeded);
    const seenBy = observed.get(id);
    if (!acknowledged && seenBy === undefined) continue;
    const why = acknowledged ? "acknowledged" : `observed by op ${seenBy}`;
    const own = op.outcome === "ok" ? op.result.revision : undefined;
    const revision = own ?? learned.get(id);
    const puts = putsOf.get(id) ?? [];
    const value = `${JSON.stringify(op.key)} = ${JSON.stringify(op.value)}`;
    if (revision === undefined) {
      if (puts.length > 0) checked++;
      else if (!complete) unverifiable++;
      else {
        checked++;
        add("lost-write", `op ${op.id} (${why}) wrote ${value}, which is nowhere in the final log of ${member}`, [op.id]);
      }
      continue;
    }
    if (revision < fromRevision) {
      unverifiable++;
      continue;
    }
    checked++;
    if (revision > toRevision) {
      add("lost-write", `op ${op.id} (${why}) wrote ${value} at revision ${revision}, past the end of the final log of ${member} (revision ${toRevision})`, [op.id]);
      continue;
    }
    const e = byRevision.get(`${op.key}\u0000${revision}`);
    if (e !== undefined && e.type === "PUT" && e.value === op.value) continue;
    const there = e === undefined ? "no change of the key" : e.type === "DELETE" ? "a delete" : `${JSON.stringify(e.value)}`;
    if (puts.length > 0) {
      add("wrong-revision", `op ${op.id} (${why}) wrote ${value} at revision ${revision}, but the final log of ${member} has it at revision ${puts.join(", ")} and ${there} at ${revision}`, [op.id]);
    } else {
      add("lost-write", `op ${op.id} (${why}) wrote ${value} at revision ${revision}, but the final log of ${member} has ${there} there and never that value`, [op.id]);
    }
  }

  for (const e of finalLog.events) {
    if (e.type !== "PUT" || !keys.has(e.key)) continue;
    const id = at(e.key, e.value);
    if (writers.has(id)) continue;
    const failed = refused.get(id);
    if (failed !== undefined) {
      const told = failed.outcome === "failed" ? "failed" : "was not applied (compare failed)";
      add("failed-write-applied", `op ${failed.id} was told its write of ${JSON.stringify(e.key)} = ${JSON.stringify(e.value)} ${told}, but the final log has it at revision ${e.revision}`, [failed.id]);
    } else {
      add("phantom-write", `the final log has ${JSON.stringify(e.key)} = ${JSON.stringify(e.value)} at revision ${e.revision}, which no operation wrote`);
    }
  }

  const summary = `${checked} effective writes found in the final log of ${member} (revisions ${fromRevision}..${toRevision})${unverifiable > 0 ? `, ${unverifiable} before its start not verifiable` : ""}`;
  return { check: "durability", verdict: verdictOf(violations), violations, summary };
}
