import type { Message } from "./types.js";
import { networkMessageTypes } from "./types.js";

function isIndex(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

const numericFields = ["from", "to", "term", "logTerm", "index", "commit", "rejectHint"] as const;

function isIdList(v: unknown): boolean {
  return Array.isArray(v) && v.every((id) => isIndex(id) && id > 0);
}

/**
 * Why a message from the network cannot be processed, or undefined when it is well formed.
 * Raft must not crash or corrupt its state on garbage, so every field is checked before use.
 */
export function invalidReason(m: Message, self: number): string | undefined {
  if (typeof m !== "object" || m === null) return "not a message";
  if (!networkMessageTypes.has(m.type)) return `type ${String(m.type)} is not accepted from peers`;
  for (const name of numericFields) {
    if (!isIndex(m[name])) return `${name} is not a non-negative integer`;
  }
  if (m.to !== self) return `addressed to ${m.to}, not to ${self}`;
  if (m.from === 0) return "from is 0";
  // Forwarded proposals and read requests travel with term 0, like local ones; any other term
  // would make a leader step down for nothing. They keep their originator in `from`, so one
  // forwarded twice (its first leader stepped down) may come back to where it started.
  const termless = m.type === "MsgProp" || m.type === "MsgReadIndex";
  if (m.from === self && !termless && m.type !== "MsgTransferLeader") return "claims to come from this node";
  if (termless && m.term !== 0) return `${m.type} carries term ${m.term}, not 0`;
  if (!termless && m.term === 0) return "term is 0";
  if (typeof m.reject !== "boolean") return "reject is not a boolean";
  if (!(m.context instanceof Uint8Array)) return "context is not bytes";
  if (!Array.isArray(m.entries)) return "entries is not a list";
  let prevTerm = m.logTerm;
  for (let i = 0; i < m.entries.length; i++) {
    const e = m.entries[i];
    if (typeof e !== "object" || e === null) return `entry ${i} is not an entry`;
    if (!isIndex(e.term) || !isIndex(e.index)) return `entry ${i} has a bad term or index`;
    if (e.type !== "normal" && e.type !== "confChange") return `entry ${i} has unknown type`;
    if (!(e.data instanceof Uint8Array)) return `entry ${i} data is not bytes`;
    if (m.type === "MsgApp") {
      if (e.index !== m.index + 1 + i) return `entry ${i} index ${e.index} does not follow ${m.index + i}`;
      if (e.term === 0 || e.term < prevTerm || e.term > m.term) return `entry ${i} term ${e.term} out of order`;
      prevTerm = e.term;
    }
  }
  if (m.type === "MsgApp" && m.logTerm > m.term) return "logTerm is after the message's term";
  if ((m.type === "MsgReadIndex" || m.type === "MsgReadIndexResp") && m.entries.length !== 1) {
    return "read index messages carry exactly one context entry";
  }
  if (m.type === "MsgSnap") {
    const s = m.snapshot;
    if (typeof s !== "object" || s === null || typeof s.metadata !== "object" || s.metadata === null) {
      return "snapshot missing";
    }
    const md = s.metadata;
    if (!isIndex(md.index) || !isIndex(md.term) || md.index === 0 || md.term > m.term) {
      return "snapshot metadata out of range";
    }
    if (typeof md.confState !== "object" || md.confState === null) return "snapshot has no configuration";
    if (!isIdList(md.confState.voters) || !isIdList(md.confState.learners)) return "snapshot configuration invalid";
    if (!(s.data instanceof Uint8Array)) return "snapshot data is not bytes";
  }
  return undefined;
}
