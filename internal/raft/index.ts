/**
 * The Raft consensus algorithm, pure: no I/O, no timers, no clocks. Drive a RawNode with
 * tick/step/propose, and carry out each Ready it hands back.
 */
export { RawNode } from "./rawnode.js";
export { MemoryStorage } from "./storage.js";
export { encodeConfChange, decodeConfChange } from "./confchange.js";
export { PlantedBug, defaultConfig } from "./config.js";
export {
  CompactedError,
  ConfigError,
  DropReason,
  ProposalDroppedError,
  SnapshotOutOfDateError,
  SnapshotTemporarilyUnavailableError,
  UnavailableError,
} from "./errors.js";
export { ConfChangeType, None, StateType, networkMessageTypes } from "./types.js";
export { invalidReason } from "./validate.js";
export { message } from "./raft.js";
export type { Config } from "./config.js";
export type { Storage } from "./storage.js";
export type {
  ConfChange,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  ProgressState,
  ProgressStatus,
  ReadState,
  Ready,
  Snapshot,
  SnapshotMetadata,
  SoftState,
  Status,
} from "./types.js";
