import { readFileSync } from "node:fs";
import protobuf from "protobufjs";
import type { ConfState, Entry, HardState, Message, MessageType, Snapshot } from "../raft/index.js";
import { networkMessageTypes } from "../raft/index.js";

// Revisions, terms and ids are JavaScript numbers throughout raftplane (exact to 2^53). Without
// a Long implementation protobufjs reads 64-bit fields as numbers, which avoids a conversion
// per field on every message.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

const protoPath = new URL("../../../proto/raft.proto", import.meta.url);
const root = protobuf.parse(readFileSync(protoPath, "utf8"), { keepCase: false }).root;

const EntryPb = root.lookupType("raftplane.raft.Entry");
const MessagePb = root.lookupType("raftplane.raft.Message");
const SnapshotPb = root.lookupType("raftplane.raft.Snapshot");
const HardStatePb = root.lookupType("raftplane.raft.HardState");

/** MSG_APP_RESP (proto/raft.proto's enum) ↔ MsgAppResp (internal/raft's name). */
function typeName(protoName: string): MessageType {
  return `Msg${protoName
    .replace(/^MSG_/, "")
    .split("_")
    .map((w) => w.charAt(0) + w.slice(1).toLowerCase())
    .join("")}` as MessageType;
}

/** Message types by their wire number, from the proto enum: one list, kept in proto/raft.proto. */
const messageTypes: readonly (MessageType | undefined)[] = (() => {
  const values = root.lookupEnum("raftplane.raft.MessageType").values;
  const byNumber: MessageType[] = [];
  for (const [name, n] of Object.entries(values)) byNumber[n] = typeName(name);
  return byNumber;
})();
const messageTypeNumbers = new Map(messageTypes.map((t, i) => [t, i]));
for (const t of networkMessageTypes) {
  if (!messageTypeNumbers.has(t)) throw new Error(`proto/raft.proto has no wire number for ${t}`);
}

/** A message that cannot cross the wire (a local-only type), or bytes that are not a message. */
export class CodecError extends Error {
  override readonly name = "CodecError";
}

interface EntryWire {
  term: number;
  index: number;
  type: number;
  data: Uint8Array;
}
interface ConfStateWire {
  voters: number[];
  learners: number[];
}
interface SnapshotWire {
  metadata?: { confState?: ConfStateWire; index: number; term: number } | null;
  data: Uint8Array;
}
interface MessageWire {
  type: number;
  to: number;
  from: number;
  term: number;
  logTerm: number;
  index: number;
  entries: EntryWire[];
  commit: number;
  snapshot?: SnapshotWire | null;
  reject: boolean;
  rejectHint: number;
  context: Uint8Array;
}

function entryToWire(e: Entry): EntryWire {
  return { term: e.term, index: e.index, type: e.type === "confChange" ? 1 : 0, data: e.data };
}

function entryFromWire(w: EntryWire): Entry {
  return { term: w.term, index: w.index, type: w.type === 1 ? "confChange" : "normal", data: w.data };
}

function confStateFromWire(w: ConfStateWire | undefined | null): ConfState {
  return { voters: w?.voters ?? [], learners: w?.learners ?? [] };
}

function snapshotToWire(s: Snapshot): SnapshotWire {
  const md = s.metadata;
  return {
    metadata: { confState: { voters: [...md.confState.voters], learners: [...md.confState.learners] }, index: md.index, term: md.term },
    data: s.data,
  };
}

function snapshotFromWire(w: SnapshotWire): Snapshot {
  const md = w.metadata;
  return {
    metadata: { index: md?.index ?? 0, term: md?.term ?? 0, confState: confStateFromWire(md?.confState) },
    data: w.data,
  };
}

function decodeWith<T>(type: protobuf.Type, bytes: Uint8Array, what: string): T {
  try {
    return type.decode(bytes) as unknown as T;
  } catch (err) {
    throw new CodecError(`malformed ${what}: ${(err as Error).message}`, { cause: err });
  }
}

export function encodeMessage(m: Message): Uint8Array {
  const type = messageTypeNumbers.get(m.type);
  if (type === undefined) throw new CodecError(`${m.type} is local and never sent to a peer`);
  const wire: MessageWire = {
    type,
    to: m.to,
    from: m.from,
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    entries: m.entries.map(entryToWire),
    commit: m.commit,
    reject: m.reject,
    rejectHint: m.rejectHint,
    context: m.context,
  };
  if (m.snapshot) wire.snapshot = snapshotToWire(m.snapshot);
  return MessagePb.encode(wire).finish();
}

/** Decodes a peer message; the raft core still validates its fields before use. */
export function decodeMessage(bytes: Uint8Array): Message {
  const w = decodeWith<MessageWire>(MessagePb, bytes, "raft message");
  const type = messageTypes[w.type];
  if (type === undefined) throw new CodecError(`unknown raft message type ${w.type}`);
  const m: Message = {
    type,
    from: w.from,
    to: w.to,
    term: w.term,
    logTerm: w.logTerm,
    index: w.index,
    entries: w.entries.map(entryFromWire),
    commit: w.commit,
    reject: w.reject,
    rejectHint: w.rejectHint,
    context: w.context,
  };
  if (w.snapshot) m.snapshot = snapshotFromWire(w.snapshot);
  return m;
}

export function encodeEntry(e: Entry): Uint8Array {
  return EntryPb.encode(entryToWire(e)).finish();
}

export function decodeEntry(bytes: Uint8Array): Entry {
  return entryFromWire(decodeWith<EntryWire>(EntryPb, bytes, "raft entry"));
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  return SnapshotPb.encode(snapshotToWire(s)).finish();
}

export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  return snapshotFromWire(decodeWith<SnapshotWire>(SnapshotPb, bytes, "raft snapshot"));
}

export function encodeHardState(hs: HardState): Uint8Array {
  return HardStatePb.encode(hs).finish();
}

export function decodeHardState(bytes: Uint8Array): HardState {
  const w = decodeWith<HardState>(HardStatePb, bytes, "raft hard state");
  return { term: w.term, vote: w.vote, commit: w.commit };
}
