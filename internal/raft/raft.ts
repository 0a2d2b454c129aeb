import type { Config, PlantedBug, ResolvedConfig } from "./config.js";
import { resolveConfig } from "./config.js";
import { decodeConfChange } from "./confchange.js";
import type { DropReason } from "./errors.js";
import { CompactedError, ConfigError, DropReason as Drop, SnapshotTemporarilyUnavailableError } from "./errors.js";
import { RaftLog } from "./log.js";
import type { VoteResult } from "./progress.js";
import { Progress, ProgressTracker } from "./progress.js";
import { ReadOnly } from "./readonly.js";
import type { ConfChange, ConfState, Entry, HardState, Message, MessageType, ReadState, Snapshot } from "./types.js";
import { None, StateType } from "./types.js";
import { invalidReason } from "./validate.js";

const EMPTY = new Uint8Array(0);

/** Marks a MsgVote sent because of a leadership transfer: voters skip their lease check. */
const CAMPAIGN_TRANSFER = new TextEncoder().encode("CampaignTransfer");

type CampaignType = "pre-election" | "election" | "transfer";

/** A message with every field at its zero value except those given. */
export function message(fields: Partial<Message> & Pick<Message, "type">): Message {
  return {
    from: None,
    to: None,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: EMPTY,
    ...fields,
  };
}

function voteResponseType(t: MessageType): MessageType {
  return t === "MsgPreVote" ? "MsgPreVoteResp" : "MsgVoteResp";
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The Raft consensus algorithm as a deterministic state machine. It performs no I/O and reads
 * no clock: input comes from `handle` (messages) and `tick`; output accumulates in `msgs` and
 * `readStates`, and in the log's unstable part, for RawNode to hand out as a Ready.
 *
 * Every message enters through `handle`: the checks common to all roles (terms, votes) come
 * first, then the role's own step function.
 */
export class Raft {
  readonly id: number;
  term = 0;
  vote = None;
  lead = None;
  state: StateType = StateType.Follower;
  isLearner = false;
  readonly raftLog: RaftLog;
  readonly trk: ProgressTracker;
  /** Outgoing messages, to be sent after the Ready that carries them is persisted. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  /** The node leadership is being handed to, or None. */
  leadTransferee = None;
  /** A conf change may be proposed only once the log is applied up to here (one at a time). */
  pendingConfIndex = 0;
  /** Messages from peers refused by validation. */
  droppedMessages = 0;

  private readonly cfg: ResolvedConfig;
  private readonly bugs: ReadonlySet<PlantedBug>;
  private readonly readOnly = new ReadOnly();
  /** ReadIndex requests that arrived before this leader committed an entry of its own term. */
  private pendingReadIndexMessages: Message[] = [];
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  constructor(config: Config) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.bugs = new Set(this.cfg.plantedBugs);
    this.raftLog = new RaftLog(this.cfg.storage);
    this.trk = new ProgressTracker(this.cfg.maxInflightMsgs);
    const { hardState, confState } = this.cfg.storage.initialState();
    this.applyConfState(confState);
    if (hardState.term !== 0 || hardState.vote !== None || hardState.commit !== 0) this.loadState(hardState);
    if (this.cfg.applied !== undefined) this.raftLog.appliedTo(this.cfg.applied);
    this.becomeFollower(this.term, None);
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new ConfigError(
        `raft: stored commit ${hs.commit} is outside the stored log [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
      );
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  get maxCommittedSizePerReady(): number {
    return this.cfg.maxCommittedSizePerReady;
  }

  hasBug(bug: PlantedBug): boolean {
    return this.bugs.has(bug);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  /** Whether this node may campaign: it is a voter in its current configuration. */
  promotable(): boolean {
    return this.trk.voters.has(this.id);
  }

  // ---- sending ------------------------------------------------------------------------------

  private send(m: Message): void {
    if (m.from === None) m.from = this.id;
    const t = m.type;
    if (t === "MsgVote" || t === "MsgVoteResp" || t === "MsgPreVote" || t === "MsgPreVoteResp") {
      // Vote messages carry the term they are about, set by the caller.
    } else if (t !== "MsgProp" && t !== "MsgReadIndex") {
      // Proposals and read requests are forwarded with term 0, like local messages.
      m.term = this.term;
    }
    this.msgs.push(m);
  }

  /** Send an append (or a snapshot) to `to` if its progress allows; returns whether it sent. */
  private maybeSendAppend(to: number, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.raftLog.maybeTerm(prevIndex);
    let ents: Entry[] | undefined;
    if (prevTerm !== undefined) {
      try {
        ents = this.raftLog.entries(pr.next, this.cfg.maxSizePerMsg);
      } catch (err) {
        if (!(err instanceof CompactedError)) throw err;
      }
    }
    if (prevTerm === undefined || ents === undefined) return this.sendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(message({
      type: "MsgApp",
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries: ents,
      commit: this.raftLog.committed,
    }));
    pr.sentEntries(ents.length, prevIndex + ents.length);
    return true;
  }

  private sendAppend(to: number): void {
    this.maybeSendAppend(to, true);
  }

  private sendSnapshot(to: number, pr: Progress): boolean {
    // A follower we have not heard from may be down: a snapshot is too big to send blindly.
    if (!pr.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (err) {
      if (err instanceof SnapshotTemporarilyUnavailableError) return false;
      throw err;
    }
    if (snapshot.metadata.index === 0) return false;
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send(message({ type: "MsgSnap", to, snapshot }));
    return true;
  }

  private sendHeartbeat(to: number, ctx: Uint8Array): void {
    const pr = this.trk.progress.get(to);
    // Never tell a follower to commit past what it is known to hold in common with us.
    const commit = Math.min(pr?.match ?? 0, this.raftLog.committed);
    this.send(message({ type: "MsgHeartbeat", to, commit, context: ctx }));
  }

  private bcastAppend(): void {
    for (const id of this.trk.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(ctx: Uint8Array = this.readOnly.lastPendingRequestCtx() ?? EMPTY): void {
    for (const id of this.trk.progress.keys()) if (id !== this.id) this.sendHeartbeat(id, ctx);
  }

  private sendTimeoutNow(to: number): void {
    this.send(message({ type: "MsgTimeoutNow", to }));
  }

  // ---- role transitions ---------------------------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = None;
    }
    this.lead = None;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.cfg.electionTick + Math.floor(this.cfg.random() * this.cfg.electionTick);
    this.leadTransferee = None;
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    for (const [id, old] of this.trk.progress) {
      const pr = new Progress(last + 1, this.cfg.maxInflightMsgs, old.isLearner);
      if (id === this.id) {
        // Our own copy counts towards a quorum only once it is on disk (see persisted).
        pr.match = this.raftLog.stableLastIndex();
        pr.recentActive = true;
      }
      this.trk.progress.set(id, pr);
    }
    this.pendingConfIndex = 0;
    this.readOnly.reset();
    this.pendingReadIndexMessages = [];
  }

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateType.Follower;
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateType.Candidate;
  }

  /** A pre-candidate asks whether it could win before disturbing anyone's term or vote. */
  private becomePreCandidate(): void {
    this.trk.resetVotes();
    this.lead = None;
    this.state = StateType.PreCandidate;
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateType.Leader;
    this.trk.progress.get(this.id)?.becomeReplicate();
    // No conf change until everything before our term is applied: a change proposed earlier
    // may still be pending in the log we inherit.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // The no-op lets us commit, and so learn the commit index of, entries of earlier terms (§5.4.2).
    this.appendEntries([{ term: 0, index: 0, type: "normal", data: EMPTY }]);
  }

  // ---- elections ----------------------------------------------------------------------------

  /** Start an election if this node may: it is a voter, and no conf change awaits applying. */
  hup(t: CampaignType): void {
    if (this.state === StateType.Leader) return;
    if (!this.promotable()) return;
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(t === "election" && this.cfg.preVote ? "pre-election" : t);
  }

  private hasUnappliedConfChanges(): boolean {
    const log = this.raftLog;
    const lo = Math.max(log.applied + 1, log.firstIndex());
    if (lo > log.committed) return false;
    const ents = log.slice(lo, log.committed + 1, Number.POSITIVE_INFINITY);
    return ents.some((e) => e.type === "confChange");
  }

  private campaign(t: CampaignType): void {
    let voteMsg: MessageType;
    let term: number;
    if (t === "pre-election") {
      this.becomePreCandidate();
      voteMsg = "MsgPreVote";
      term = this.term + 1; // the term we would campaign in
    } else {
      this.becomeCandidate();
      voteMsg = "MsgVote";
      term = this.term;
    }
    if (this.poll(this.id, true) === "won") {
      // A single voter wins at once.
      if (t === "pre-election") this.campaign("election");
      else this.becomeLeader();
      return;
    }
    const context = t === "transfer" ? CAMPAIGN_TRANSFER : EMPTY;
    const index = this.raftLog.lastIndex();
    const logTerm = this.raftLog.lastTerm();
    for (const id of [...this.trk.voters].sort((a, b) => a - b)) {
      if (id === this.id) continue;
      this.send(message({ type: voteMsg, to: id, term, index, logTerm, context }));
    }
  }

  private poll(id: number, granted: boolean): VoteResult {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  private handleVoteRequest(m: Message): void {
    const respType = voteResponseType(m.type);
    let canVote =
      this.vote === m.from ||
      (this.vote === None && this.lead === None) ||
      (m.type === "MsgPreVote" && m.term > this.term);
    if (this.hasBug("vote-twice") && m.type === "MsgVote") canVote = true;
    if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      // Answer in the term of the request so that a pre-candidate counts it (§9.6).
      this.send(message({ type: respType, to: m.from, term: m.term }));
      if (m.type === "MsgVote") {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(message({ type: respType, to: m.from, term: this.term, reject: true }));
    }
  }

  // ---- the entry point ----------------------------------------------------------------------

  /** Process a message from a peer; malformed ones are counted and dropped. */
  step(m: Message): void {
    if (invalidReason(m, this.id) !== undefined) {
      this.droppedMessages++;
      return;
    }
    this.handle(m);
  }

  /**
   * Process a validated or local message. Returns why a proposal, read or transfer request was
   * not accepted, if it was not.
   */
  handle(m: Message): DropReason | undefined {
    if (m.term > this.term) {
      if (m.type === "MsgVote" || m.type === "MsgPreVote") {
        const force = sameBytes(m.context, CAMPAIGN_TRANSFER);
        const inLease =
          this.cfg.checkQuorum && this.lead !== None && this.electionElapsed < this.cfg.electionTick;
        // We heard from a live leader within the minimum election timeout: a candidate that
        // did not is probably partitioned away, and must not depose the leader (§9.6).
        if (!force && inLease) return undefined;
      }
      if (m.type === "MsgPreVote") {
        // A pre-vote does not change our term.
      } else if (m.type === "MsgPreVoteResp" && !m.reject) {
        // Our term moves when the pre-vote succeeds and the real election starts.
      } else if (m.type === "MsgApp" || m.type === "MsgHeartbeat" || m.type === "MsgSnap") {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, None);
      }
    } else if (m.term < this.term && m.term !== 0) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === "MsgHeartbeat" || m.type === "MsgApp")) {
        // A leader cut off from us in an older term: our answer in the current term makes it
        // step down. Without it, a node whose term rose while the leader could not hear it
        // would never rejoin, as PreVote stops it from campaigning.
        this.send(message({ type: "MsgAppResp", to: m.from }));
      } else if (m.type === "MsgPreVote") {
        this.send(message({ type: "MsgPreVoteResp", to: m.from, term: this.term, reject: true }));
      }
      return undefined;
    }

    if (m.type === "MsgVote" || m.type === "MsgPreVote") {
      this.handleVoteRequest(m);
      return undefined;
    }
    switch (this.state) {
      case StateType.Leader:
        return this.stepLeader(m);
      case StateType.Candidate:
      case StateType.PreCandidate:
        return this.stepCandidate(m);
      case StateType.Follower:
        return this.stepFollower(m);
    }
  }

  // ---- per-role step functions --------------------------------------------------------------

  private stepLeader(m: Message): DropReason | undefined {
    switch (m.type) {
      case "MsgProp":
        return this.propose(m);
      case "MsgReadIndex":
        this.leaderReadIndex(m);
        return undefined;
      default:
    }
    const pr = this.trk.progress.get(m.from);
    if (pr === undefined) return undefined; // not (or no longer) a member
    switch (m.type) {
      case "MsgAppResp":
        this.handleAppendResponse(m, pr);
        return undefined;
      case "MsgHeartbeatResp":
        this.handleHeartbeatResponse(m, pr);
        return undefined;
      case "MsgSnapStatus":
        if (pr.state !== "snapshot") return undefined;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for the follower's next answer before probing, whether the snapshot arrived or not.
        pr.probeSent = true;
        return undefined;
      case "MsgUnreachable":
        if (pr.state === "replicate") pr.becomeProbe();
        return undefined;
      case "MsgTransferLeader":
        return this.leaderTransfer(m.from, pr);
      default:
        return undefined;
    }
  }

  private stepCandidate(m: Message): DropReason | undefined {
    const myVoteResp: MessageType = this.state === StateType.PreCandidate ? "MsgPreVoteResp" : "MsgVoteResp";
    switch (m.type) {
      case "MsgProp":
      case "MsgReadIndex":
      case "MsgTransferLeader":
        return Drop.NoLeader;
      case "MsgApp":
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return undefined;
      case "MsgHeartbeat":
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return undefined;
      case "MsgSnap":
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return undefined;
      default:
    }
    if (m.type !== myVoteResp) return undefined;
    const result = this.poll(m.from, !m.reject);
    if (result === "won") {
      if (this.state === StateType.PreCandidate) {
        this.campaign("election");
      } else {
        this.becomeLeader();
        this.bcastAppend();
      }
    } else if (result === "lost") {
      // A rejection in a higher term already made us a follower in Step; this one is in ours.
      this.becomeFollower(this.term, None);
    }
    return undefined;
  }

  private stepFollower(m: Message): DropReason | undefined {
    switch (m.type) {
      case "MsgProp":
        if (this.lead === None) return Drop.NoLeader;
        if (this.cfg.disableProposalForwarding) return Drop.NotLeader;
        m.to = this.lead;
        this.send(m);
        return undefined;
      case "MsgApp":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return undefined;
      case "MsgHeartbeat":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return undefined;
      case "MsgSnap":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return undefined;
      case "MsgTransferLeader":
      case "MsgReadIndex":
        if (this.lead === None) return Drop.NoLeader;
        m.to = this.lead;
        this.send(m);
        return undefined;
      case "MsgTimeoutNow":
        // A transfer never uses PreVote: the leader itself asked, so no partition is healing.
        this.hup("transfer");
        return undefined;
      case "MsgReadIndexResp": {
        const ctx = m.entries[0];
        if (ctx !== undefined) this.readStates.push({ index: m.index, requestCtx: ctx.data });
        return undefined;
      }
      default:
        return undefined;
    }
  }

  // ---- leader ---------------------------------------------------------------------------------

  private propose(m: Message): DropReason | undefined {
    if (m.entries.length === 0) return Drop.Empty;
    if (!this.trk.progress.has(this.id)) return Drop.NotMember;
    if (this.leadTransferee !== None) return Drop.TransferInProgress;
    let confAt = -1;
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i] as Entry;
      if (e.type !== "confChange") continue;
      if (confAt >= 0 || this.pendingConfIndex > this.raftLog.applied) return Drop.ConfChangePending;
      if (decodeConfChange(e.data) === undefined) return Drop.Empty;
      confAt = i;
    }
    if (confAt >= 0) this.pendingConfIndex = this.raftLog.lastIndex() + confAt + 1;
    this.appendEntries(m.entries);
    this.bcastAppend();
    return undefined;
  }

  private appendEntries(es: readonly Entry[]): void {
    const li = this.raftLog.lastIndex();
    const term = this.term;
    const ents = new Array<Entry>(es.length);
    for (let i = 0; i < es.length; i++) {
      const e = es[i] as Entry;
      ents[i] = { term, index: li + 1 + i, type: e.type, data: e.data };
    }
    this.raftLog.append(ents);
    // The leader's own copy is not counted yet: it counts once the driver has persisted it,
    // so the driver may send these entries, and apply what is committed, while it writes.
  }

  /**
   * The driver persisted the log up to `index` (entries of the current log, see RawNode.advance).
   * A leader counts its own copy from now on, so an entry commits only once a quorum holds it on
   * disk, the leader's disk included only when it has finished writing (Raft thesis §10.2.1).
   */
  persisted(index: number): void {
    if (this.state !== StateType.Leader) return;
    const pr = this.trk.progress.get(this.id);
    if (pr === undefined || !pr.maybeUpdate(Math.min(index, this.raftLog.lastIndex()))) return;
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
  }

  /**
   * Advance the commit index to what a quorum holds, but only by counting replicas of an entry of
   * our own term: an older entry on a majority can still be overwritten (Raft §5.4.2, Figure 8).
   */
  private maybeCommit(): boolean {
    const mci = this.trk.committed();
    if (mci <= this.raftLog.committed) return false;
    if (this.raftLog.maybeTerm(mci) !== this.term && !this.hasBug("commit-previous-term")) return false;
    this.raftLog.commitTo(mci);
    return true;
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      // The follower's hint (rejectHint, logTerm) names its last entry that may match; skip to
      // our last entry at or before it whose term is not newer, a whole term per round trip.
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) nextProbe = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === "replicate") pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    if (m.index > this.raftLog.lastIndex()) return; // acknowledges what we never sent
    const oldPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === "probe")) return;
    if (pr.state === "probe") {
      pr.becomeReplicate();
    } else if (pr.state === "snapshot" && pr.match + 1 >= this.raftLog.firstIndex()) {
      // The follower caught up far enough that the log can take over from the snapshot.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === "replicate") {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (oldPaused) {
      this.sendAppend(m.from);
    }
    while (this.maybeSendAppend(m.from, false)) {
      // stream while the inflight window allows
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === "replicate" && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.raftLog.lastIndex()) this.sendAppend(m.from);
    if (this.cfg.readOnlyOption !== "safe" || m.context.length === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined) return;
    if (this.trk.voteResult((id) => (acks.has(id) ? true : undefined)) !== "won") return;
    for (const rs of this.readOnly.advance(m.context)) this.answerReadIndex(rs.req, rs.index);
  }

  private checkQuorum(): void {
    const self = this.trk.progress.get(this.id);
    if (self) self.recentActive = true;
    if (!this.trk.quorumActive()) this.becomeFollower(this.term, None);
    for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
  }

  private leaderTransfer(transferee: number, pr: Progress): DropReason | undefined {
    if (pr.isLearner) return undefined;
    if (this.leadTransferee !== None) {
      if (this.leadTransferee === transferee) return undefined;
      this.leadTransferee = None;
    }
    if (transferee === this.id) return undefined;
    // The transfer must finish within an election timeout, or it is abandoned (tickHeartbeat).
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(transferee);
    else this.sendAppend(transferee);
    return undefined;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.maybeTerm(this.raftLog.committed) === this.term;
  }

  private leaderReadIndex(m: Message): void {
    // Until an entry of our term commits, our commit index may lag what earlier terms
    // committed (even alone: a commit index written without fsync can be lost in a crash).
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndexMessages.push(m);
      return;
    }
    this.sendReadIndexResponse(m);
  }

  private sendReadIndexResponse(m: Message): void {
    const ctx = (m.entries[0] as Entry).data;
    if (this.trk.voters.size === 1 && this.trk.voters.has(this.id)) {
      this.answerReadIndex(m, this.raftLog.committed);
    } else if (this.cfg.readOnlyOption === "safe" && !this.hasBug("read-without-quorum")) {
      this.readOnly.addRequest(this.raftLog.committed, m);
      this.readOnly.recvAck(this.id, ctx);
      this.bcastHeartbeat(ctx);
    } else {
      this.answerReadIndex(m, this.raftLog.committed);
    }
  }

  private releasePendingReadIndexMessages(): void {
    if (!this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of pending) this.sendReadIndexResponse(m);
  }

  private answerReadIndex(req: Message, index: number): void {
    const ctx = req.entries[0] as Entry;
    if (req.from === None || req.from === this.id) {
      this.readStates.push({ index, requestCtx: ctx.data });
    } else {
      this.send(message({ type: "MsgReadIndexResp", to: req.from, index, entries: req.entries }));
    }
  }

  // ---- follower ------------------------------------------------------------------------------

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      this.send(message({ type: "MsgAppResp", to: m.from, index: this.raftLog.committed }));
      return;
    }
    const last = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (last !== undefined) {
      this.send(message({ type: "MsgAppResp", to: m.from, index: last }));
      return;
    }
    // Reject, with a hint of where our logs may match: our last entry at or before m.index
    // whose term is at most m.logTerm (entries of later terms cannot match).
    const hint = this.raftLog.findConflictByTerm(Math.min(m.index, this.raftLog.lastIndex()), m.logTerm);
    this.send(message({
      type: "MsgAppResp",
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    }));
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    this.send(message({ type: "MsgHeartbeatResp", to: m.from, context: m.context }));
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot as Snapshot;
    const index = this.restore(s) ? this.raftLog.lastIndex() : this.raftLog.committed;
    this.send(message({ type: "MsgAppResp", to: m.from, index }));
  }

  /** Install a snapshot from the leader; false when it is stale or already covered by our log. */
  private restore(s: Snapshot): boolean {
    const md = s.metadata;
    if (md.index <= this.raftLog.committed) return false;
    if (this.state !== StateType.Follower) return false;
    const cs = md.confState;
    // A member refuses a configuration without itself. A joiner, not yet a member in its own
    // eyes, installs a snapshot taken before its addition (MemoryStorage.bootstrap's founders'
    // snapshot) and learns it was added from the log that follows.
    if (!cs.voters.includes(this.id) && !cs.learners.includes(this.id) && this.trk.isMember(this.id)) return false;
    if (this.raftLog.matchTerm(md.index, md.term)) {
      // We hold the snapshot's last entry, so the leader's log matches ours up to it.
      this.raftLog.commitTo(md.index);
      return false;
    }
    this.raftLog.restore(s);
    this.applyConfState(cs);
    return true;
  }

  // ---- ticks ----------------------------------------------------------------------------------

  tick(): void {
    if (this.state === StateType.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup("election");
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.checkQuorum();
      if (this.state !== StateType.Leader) return;
      // A transfer that did not finish within an election timeout is abandoned.
      this.leadTransferee = None;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  // ---- membership -----------------------------------------------------------------------------

  private applyConfState(cs: ConfState): void {
    this.trk.voters.clear();
    this.trk.learners.clear();
    this.trk.progress.clear();
    const next = this.raftLog.lastIndex() + 1;
    for (const id of cs.voters) {
      this.trk.voters.add(id);
      this.trk.progress.set(id, new Progress(next, this.cfg.maxInflightMsgs, false));
    }
    for (const id of cs.learners) {
      if (this.trk.voters.has(id)) continue;
      this.trk.learners.add(id);
      this.trk.progress.set(id, new Progress(next, this.cfg.maxInflightMsgs, true));
    }
    this.isLearner = this.trk.learners.has(this.id);
  }

  /** Apply a committed membership change; returns the new configuration. */
  applyConfChange(cc: ConfChange): ConfState {
    const { voters, learners, progress } = this.trk;
    const id = cc.nodeId;
    const next = this.raftLog.lastIndex() + 1;
    switch (cc.type) {
      case "addNode":
        if (learners.delete(id)) {
          voters.add(id);
          const pr = progress.get(id);
          if (pr) pr.isLearner = false;
        } else if (!voters.has(id)) {
          voters.add(id);
          const pr = new Progress(next, this.cfg.maxInflightMsgs, false);
          pr.recentActive = true;
          progress.set(id, pr);
        }
        break;
      case "addLearner":
        // Demoting a voter needs joint consensus, which this single-change protocol refuses.
        if (voters.has(id) || learners.has(id)) break;
        learners.add(id);
        {
          const pr = new Progress(next, this.cfg.maxInflightMsgs, true);
          pr.recentActive = true;
          progress.set(id, pr);
        }
        break;
      case "removeNode":
        voters.delete(id);
        learners.delete(id);
        progress.delete(id);
        break;
    }
    this.isLearner = learners.has(this.id);
    if (this.state === StateType.Leader) {
      if (!voters.has(this.id)) {
        // A removed leader steps down; the remaining voters elect a new one.
        this.becomeFollower(this.term, None);
      } else {
        if (this.leadTransferee !== None && !voters.has(this.leadTransferee)) this.leadTransferee = None;
        // The quorum changed: entries may now be committed.
        if (this.maybeCommit()) this.bcastAppend();
        else for (const pid of progress.keys()) if (pid !== this.id) this.maybeSendAppend(pid, false);
      }
    }
    return this.trk.confState();
  }
}
