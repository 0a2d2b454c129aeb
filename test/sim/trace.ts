import type { ConfChange, Message, Ready } from "../../internal/raft/index.js";

/**
 * What happened at each step, kept as plain records and turned into text only when a run
 * fails: formatting every step would cost more than simulating it.
 */
export type TraceEvent =
  | { readonly kind: "deliver"; readonly msg: Message; readonly to: number }
  | { readonly kind: "drop"; readonly msg: Message; readonly to: number; readonly why: string }
  | { readonly kind: "duplicate"; readonly msg: Message }
  | { readonly kind: "tick"; readonly node: number }
  | { readonly kind: "ready" | "write-behind"; readonly node: number; readonly rd: Ready }
  | { readonly kind: "leader"; readonly node: number; readonly term: number }
  | { readonly kind: "propose"; readonly node: number; readonly id: number; readonly result: string }
  | { readonly kind: "read"; readonly node: number; readonly id: number; readonly floor: number; readonly result: string }
  | { readonly kind: "conf-change"; readonly node: number; readonly cc: ConfChange; readonly result: string }
  | { readonly kind: "transfer"; readonly node: number; readonly to: number; readonly result: string }
  | { readonly kind: "campaign" | "crash" | "restart" | "retire" | "advance"; readonly node: number }
  | { readonly kind: "snapshot"; readonly node: number; readonly index: number; readonly compactedTo: number }
  | { readonly kind: "note"; readonly text: string };

interface Stamped {
  readonly step: number;
  readonly event: TraceEvent;
}

/** The last `capacity` events, oldest first when read back. */
export class Trace {
  private readonly ring: Stamped[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  add(step: number, event: TraceEvent): void {
    if (this.capacity <= 0) return;
    const s = { step, event };
    if (this.ring.length < this.capacity) {
      this.ring.push(s);
    } else {
      this.ring[this.next] = s;
      this.next = (this.next + 1) % this.capacity;
    }
  }

  lines(): string[] {
    const ordered = this.ring.slice(this.next).concat(this.ring.slice(0, this.next));
    return ordered.map((s) => `${String(s.step).padStart(6)}  ${formatEvent(s.event)}`);
  }
}

export function formatEvent(e: TraceEvent): string {
  switch (e.kind) {
    case "deliver":
      return `deliver   ${formatMessage(e.msg, e.to)}`;
    case "drop":
      return `drop      ${formatMessage(e.msg, e.to)} (${e.why})`;
    case "duplicate":
      return `duplicate ${formatMessage(e.msg, e.msg.to)}`;
    case "tick":
      return `tick      n${e.node}`;
    case "ready":
      return `ready     n${e.node} ${formatReady(e.rd)}`;
    case "write-behind":
      return `behind    n${e.node} ${e.rd.sendBeforePersist ? `send ${e.rd.messages.length}, ` : ""}apply before writing: ${formatReady(e.rd)}`;
    case "leader":
      return `leader    n${e.node} leads term ${e.term}`;
    case "propose":
      return `propose   n${e.node} p${e.id}: ${e.result}`;
    case "read":
      return `read      n${e.node} r${e.id} (commit floor ${e.floor}): ${e.result}`;
    case "conf-change":
      return `confchg   n${e.node} ${e.cc.type} n${e.cc.nodeId}: ${e.result}`;
    case "transfer":
      return `transfer  n${e.node} → n${e.to}: ${e.result}`;
    case "campaign":
    case "crash":
    case "restart":
    case "retire":
      return `${e.kind.padEnd(9)} n${e.node}`;
    case "advance":
      return `advance   n${e.node} (its last Ready is now acknowledged)`;
    case "snapshot":
      return `snapshot  n${e.node} at ${e.index}, log compacted to ${e.compactedTo}`;
    case "note":
      return `--        ${e.text}`;
  }
}

function formatMessage(m: Message, to: number): string {
  let s = `${m.type} n${m.from}→n${to} t${m.term}`;
  switch (m.type) {
    case "MsgApp":
      s += ` after (${m.index}, t${m.logTerm}) ${range(m.entries)} commit ${m.commit}`;
      break;
    case "MsgAppResp":
      s += m.reject ? ` reject ${m.index} hint (${m.rejectHint}, t${m.logTerm})` : ` index ${m.index}`;
      break;
    case "MsgVote":
    case "MsgPreVote":
      s += ` last (${m.index}, t${m.logTerm})`;
      break;
    case "MsgVoteResp":
    case "MsgPreVoteResp":
      s += m.reject ? " reject" : " grant";
      break;
    case "MsgHeartbeat":
      s += ` commit ${m.commit}`;
      break;
    case "MsgSnap":
      s += ` snapshot (${m.snapshot?.metadata.index}, t${m.snapshot?.metadata.term})`;
      break;
    case "MsgReadIndexResp":
      s += ` index ${m.index}`;
      break;
    case "MsgProp":
      s += ` ${m.entries.length} entries`;
      break;
    default:
  }
  return s;
}

function range(entries: readonly { index: number; term: number }[]): string {
  const first = entries[0];
  const last = entries[entries.length - 1];
  if (first === undefined || last === undefined) return "no entries";
  return first === last ? `entry (${first.index}, t${first.term})` : `entries ${first.index}..${last.index} (t${first.term}..t${last.term})`;
}

function formatReady(rd: Ready): string {
  const parts: string[] = [];
  if (rd.softState) parts.push(`${rd.softState.state} (lead n${rd.softState.lead})`);
  if (rd.hardState) parts.push(`hs term ${rd.hardState.term} vote n${rd.hardState.vote} commit ${rd.hardState.commit}`);
  if (rd.snapshot) parts.push(`snapshot (${rd.snapshot.metadata.index}, t${rd.snapshot.metadata.term})`);
  if (rd.entries.length > 0) parts.push(`persist ${range(rd.entries)}`);
  if (rd.messages.length > 0) parts.push(`send ${rd.messages.length}`);
  if (rd.committedEntries.length > 0) parts.push(`apply ${range(rd.committedEntries)}`);
  if (rd.readStates.length > 0) parts.push(`reads at ${rd.readStates.map((r) => r.index).join(",")}`);
  return parts.join("; ");
}
