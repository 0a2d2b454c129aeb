import type { ChangeEvent, FinalLog, WatchRecord } from "../history.js";
import type { SectionResult, Violation } from "./types.js";
import { verdictOf } from "./types.js";

/**
 * etcd's watch guarantees, each watch judged against the final change log:
 * - ordered: event revisions never go down, and each response starts above the last one's
 *   revisions; nothing before the watch's start revision.
 * - unique: no event (revision, key) twice.
 * - atomic: all the events of one revision (in the watched range) arrive in one response.
 * - reliable: every change of the range from the start revision up to the last revision
 *   delivered (or promised by a progress notification) is delivered.
 * - resumable: a watch that resumes another starts right after what that one delivered,
 *   and its first events are exactly the log's next ones.
 * - accurate: every delivered event is in the log, with the same type and value, and in range.
 */
export function checkWatches(watches: readonly WatchRecord[], finalLog: FinalLog): SectionResult {
  const violations: Violation[] = [];
  const logEvents = new Map<string, ChangeEvent>();
  for (const e of finalLog.events) logEvents.set(eventId(e), e);
  const covered = new Map<number, number>();
  const byId = new Map(watches.map((w) => [w.id, w]));
  let delivered = 0;
  let expected = 0;

  for (const w of watches) {
    const found = new Findings(w.id);
    const seen = new Set<string>();
    const responseOf = new Map<number, number>();
    let last = 0;
    let promised = 0;
    let firstDelivered = Infinity;
    w.responses.forEach((response, r) => {
      if (response.progressNotify === true && response.revision !== undefined) promised = Math.max(promised, response.revision);
      for (const e of response.events) {
        delivered++;
        const id = eventId(e);
        const what = describe(e);
        if (!inRange(e.key, w)) found.add("accurate", `delivered ${what}, outside its range`);
        if (seen.has(id)) {
          found.add("unique", `delivered ${what} twice`);
          continue;
        }
        seen.add(id);
        if (e.revision < w.startRevision) {
          found.add("ordered", `delivered ${what}, before its start revision ${w.startRevision}`);
        } else if (e.revision < last) {
          found.add("ordered", `delivered ${what} after revision ${last}`);
        } else if (e.revision === last && responseOf.get(last) !== r) {
          found.add("atomic", `split revision ${last} across responses ${(responseOf.get(last) as number) + 1} and ${r + 1}`);
        }
        if (!responseOf.has(e.revision)) responseOf.set(e.revision, r);
        last = Math.max(last, e.revision);
        firstDelivered = Math.min(firstDelivered, e.revision);
        if (e.revision > finalLog.toRevision) {
          found.add("accurate", `delivered ${what}, past the final log's revision ${finalLog.toRevision}`);
        } else if (e.revision >= finalLog.fromRevision) {
          const truth = logEvents.get(id);
          if (truth === undefined) found.add("accurate", `delivered ${what}, which the final log does not have`);
          else if (describe(truth) !== what) found.add("accurate", `delivered ${what}, but the final log has ${describe(truth)}`);
        }
      }
    });
    const through = Math.max(last, promised);
    covered.set(w.id, through);

    for (const e of finalLog.events) {
      if (e.revision < w.startRevision || e.revision > through || !inRange(e.key, w)) continue;
      expected++;
      if (seen.has(eventId(e))) continue;
      const what = describe(e);
      if (w.resumes !== undefined && e.revision < firstDelivered) {
        found.add("resumable", `missed ${what}: it resumed from revision ${w.startRevision} but began after it`);
      } else if (responseOf.has(e.revision)) {
        found.add("atomic", `missed ${what}, though it delivered other events of revision ${e.revision}`);
      } else {
        found.add("reliable", `missed ${what} (it delivered through revision ${through})`);
      }
    }
    violations.push(...found.violations());
  }

  for (const w of watches) {
    if (w.resumes === undefined) continue;
    const before = byId.get(w.resumes);
    if (before === undefined) continue;
    const through = covered.get(before.id) as number;
    const right = through > 0 ? through + 1 : before.startRevision;
    if (w.startRevision !== right) {
      const effect = w.startRevision > right ? `revisions ${right}..${w.startRevision - 1} are never offered` : `revisions ${w.startRevision}..${right - 1} are offered twice`;
      violations.push({
        check: "watches",
        kind: "resumable",
        watch: w.id,
        message: `watch ${w.id} resumes watch ${before.id} at revision ${w.startRevision}, but watch ${before.id} delivered through revision ${through}: ${effect} (the resume point is the workload's choice: fix the runner)`,
      });
    }
  }

  const summary = `${watches.length} watches, ${delivered} events delivered, ${expected} expected from the final log of ${finalLog.member}`;
  return { check: "watches", verdict: verdictOf(violations), violations, summary };
}

/** Collects one watch's problems and reports each kind once, with a count and examples. */
class Findings {
  private readonly byKind = new Map<string, string[]>();

  constructor(private readonly watch: number) {}

  add(kind: string, message: string): void {
    let list = this.byKind.get(kind);
    if (list === undefined) this.byKind.set(kind, (list = []));
    list.push(message);
  }

  violations(): Violation[] {
    const shown = 3;
    return [...this.byKind].map(([kind, messages]) => {
      const more = messages.length > shown ? `; and ${messages.length - shown} more` : "";
      const count = messages.length > 1 ? ` (${messages.length} times)` : "";
      return {
        check: "watches",
        kind,
        watch: this.watch,
        message: `watch ${this.watch} is not ${kind}${count}: ${messages.slice(0, shown).join("; ")}${more}`,
      };
    });
  }
}

function eventId(e: ChangeEvent): string {
  return `${e.revision}\u0000${e.key}`;
}

function describe(e: ChangeEvent): string {
  return e.type === "PUT" ? `PUT ${JSON.stringify(e.key)} = ${JSON.stringify(e.value)} @${e.revision}` : `DELETE ${JSON.stringify(e.key)} @${e.revision}`;
}

/** etcd's range semantics for a watch's key and range_end. */
export function inRange(key: string, w: { readonly key: string; readonly rangeEnd?: string }): boolean {
  if (w.rangeEnd === undefined || w.rangeEnd === "") return key === w.key;
  if (w.rangeEnd === "\0") return key >= w.key;
  return key >= w.key && key < w.rangeEnd;
}
