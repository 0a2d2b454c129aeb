import type { ChangeEvent, FinalLog, KvOp } from "../history.js";
import type { SectionResult, Violation } from "./types.js";
import { verdictOf } from "./types.js";

/**
 * etcd's revisions as the clients saw them. A value names its write, so every observation of
 * a value's revision (the write's answer, a read's mod_revision, a failure-branch read) must
 * agree; no two writes share a revision; and revisions follow real time: an operation invoked
 * after another completed sees at least that one's revision, and a write gets a larger one.
 * With the final change log, every read must match the log at the revision it was served at.
 */
export function checkRevisions(ops: readonly KvOp[], finalLog?: FinalLog): SectionResult {
  const violations: Violation[] = [];
  const add = (kind: string, message: string, ids: number[]): void => {
    violations.push({ check: "revisions", kind, message, ops: ids });
  };

  // Observations of (key, value) → revision, and revision → (key, value).
  const valueRevision = new Map<string, { revision: number; op: KvOp; how: string }>();
  const atRevision = new Map<number, { key: string; value: string; op: KvOp; how: string }>();
  const observe = (op: KvOp, key: string, value: string | null, revision: number | undefined, how: string): void => {
    if (value === null || revision === undefined) return;
    const id = `${key}\u0000${value}`;
    const first = valueRevision.get(id);
    if (first === undefined) {
      valueRevision.set(id, { revision, op, how });
    } else if (first.revision !== revision) {
      add(
        "value-revision",
        `${JSON.stringify(value)} of key ${JSON.stringify(key)}: op ${first.op.id} ${first.how} ${first.revision}, but op ${op.id} ${how} ${revision}`,
        [first.op.id, op.id],
      );
    }
    const other = atRevision.get(revision);
    if (other === undefined) {
      atRevision.set(revision, { key, value, op, how });
    } else if (other.key !== key || other.value !== value) {
      add(
        "duplicate-revision",
        `revision ${revision} holds two writes: ${JSON.stringify(other.key)} = ${JSON.stringify(other.value)} (op ${other.op.id} ${other.how} ${revision}) and ${JSON.stringify(key)} = ${JSON.stringify(value)} (op ${op.id} ${how} ${revision})`,
        [other.op.id, op.id],
      );
    }
  };
  for (const op of ops) {
    if (op.outcome !== "ok") continue;
    if (op.type === "read") {
      observe(op, op.key, op.result.value, op.result.modRevision, "read it at mod_revision");
      const { modRevision, revision } = op.result;
      if (modRevision !== undefined && revision !== undefined && modRevision > revision) {
        add("read-revision", `op ${op.id} read ${JSON.stringify(op.key)} at mod_revision ${modRevision}, above the response's revision ${revision}`, [op.id]);
      }
    } else if (op.type === "write" || op.result.succeeded) {
      observe(op, op.key, op.value, op.result.revision, "wrote it at revision");
    } else if (op.result.current !== undefined) {
      observe(op, op.key, op.result.current.value, op.result.current.modRevision, "read it (failure branch) at mod_revision");
    }
  }

  // Real time: sources are answered operations with a revision, by completion; sinks are
  // operations with a revision (a write's may come from an observation), by invocation.
  interface Timed {
    readonly op: KvOp;
    readonly revision: number;
    readonly write: boolean;
  }
  const sources: Timed[] = [];
  const sinks: Timed[] = [];
  const learned = (op: KvOp & { type: "write" | "cas" }): number | undefined => valueRevision.get(`${op.key}\u0000${op.value}`)?.revision;
  for (const op of ops) {
    if (op.outcome === "failed") continue;
    let t: Timed | undefined;
    if (op.type === "read") {
      if (op.outcome === "ok" && op.result.revision !== undefined) t = { op, revision: op.result.revision, write: false };
    } else if (op.outcome === "unknown" || op.type === "write" || op.result.succeeded) {
      const own = op.outcome === "ok" ? op.result.revision : undefined;
      const revision = own ?? learned(op);
      if (revision !== undefined) t = { op, revision, write: true };
    } else if (op.result.revision !== undefined) {
      t = { op, revision: op.result.revision, write: false };
    }
    if (t === undefined) continue;
    sinks.push(t);
    if (op.outcome === "ok") sources.push(t);
  }
  sources.sort((a, b) => (a.op.complete as number) - (b.op.complete as number));
  sinks.sort((a, b) => a.op.invoke - b.op.invoke);
  let next = 0;
  let latest: Timed | undefined;
  for (const sink of sinks) {
    while (next < sources.length && ((sources[next] as Timed).op.complete as number) < sink.op.invoke) {
      const s = sources[next++] as Timed;
      if (latest === undefined || s.revision > latest.revision) latest = s;
    }
    if (latest === undefined) continue;
    if (sink.revision < latest.revision || (sink.write && sink.revision === latest.revision)) {
      const what = sink.write ? `was written at revision ${sink.revision}` : `was served at revision ${sink.revision}`;
      add(
        "real-time",
        `op ${sink.op.id} (${sink.op.type} ${JSON.stringify(sink.op.key)}) ${what}, though it was invoked after op ${latest.op.id} (${latest.op.type} ${JSON.stringify(latest.op.key)}) completed at revision ${latest.revision}`,
        [latest.op.id, sink.op.id],
      );
    }
  }

  let againstLog = 0;
  if (finalLog !== undefined) {
    const history = keyHistories(finalLog.events);
    for (const op of ops) {
      if (op.outcome !== "ok" || op.result.revision === undefined) continue;
      let seen: { value: string | null; modRevision?: number } | undefined;
      if (op.type === "read") seen = op.result;
      else if (op.type === "cas" && !op.result.succeeded) seen = op.result.current;
      if (seen === undefined) continue;
      const at = op.result.revision;
      if (at < finalLog.fromRevision || at > finalLog.toRevision) continue;
      const last = lastChange(history.get(op.key) ?? [], at);
      // Before the log's start the key's state is not known.
      if (last === undefined && finalLog.fromRevision > 1) continue;
      againstLog++;
      const logValue = last === undefined || last.type === "DELETE" ? null : last.value;
      const logMod = logValue === null ? undefined : last?.revision;
      if (logValue !== seen.value || (seen.modRevision !== undefined && seen.modRevision !== logMod)) {
        const said = logValue === null ? "absent" : `${JSON.stringify(logValue)} (mod_revision ${logMod})`;
        const got = seen.value === null ? "absent" : `${JSON.stringify(seen.value)}${seen.modRevision === undefined ? "" : ` (mod_revision ${seen.modRevision})`}`;
        add("read-vs-log", `op ${op.id} read ${JSON.stringify(op.key)} at revision ${at} as ${got}, but the final log of ${finalLog.member} has it ${said} there`, [op.id]);
      }
    }
  }

  const summary = `${valueRevision.size} value revisions, ${sinks.length} operations ordered by real time${finalLog === undefined ? "" : `, ${againstLog} reads against the final log`}`;
  return { check: "revisions", verdict: verdictOf(violations), violations, summary };
}

/** Events of each key, in revision order. */
export function keyHistories(events: readonly ChangeEvent[]): Map<string, ChangeEvent[]> {
  const byKey = new Map<string, ChangeEvent[]>();
  for (const e of events) {
    let list = byKey.get(e.key);
    if (list === undefined) byKey.set(e.key, (list = []));
    list.push(e);
  }
  for (const list of byKey.values()) list.sort((a, b) => a.revision - b.revision);
  return byKey;
}

/** The last event at or below `revision`, from one key's revision-ordered events. */
export function lastChange(events: readonly ChangeEvent[], revision: number): ChangeEvent | undefined {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((events[mid] as ChangeEvent).revision <= revision) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : events[lo - 1];
}
