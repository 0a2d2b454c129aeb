import { performance } from "node:perf_hooks";
import type { ChaosCluster, ChaosMember } from "./cluster/index.js";

/** The fault families `npm run chaos -- --nemesis a,b,...` accepts. */
export const NemesisKinds = ["kill", "pause", "partition", "loss", "delay", "restart-all", "membership"] as const;
export type NemesisKind = (typeof NemesisKinds)[number];

/** One fault as it happened: what, to whom, and when it began and was undone. */
export interface FaultRecord {
  kind: NemesisKind;
  /** The variant, such as "kill -9 leader" or "partition: leader isolated". */
  what: string;
  /** The member the fault was aimed at, when there was one. */
  target?: string;
  /** The leader when the fault began, as far as the cluster agreed on one. */
  leaderBefore?: string;
  /** performance.now() when the fault took effect, and when it was undone. */
  start: number;
  end: number;
  error?: string;
}

export interface NemesisOptions {
  readonly random: () => number;
  /** How long a fault lasts before it is undone. */
  readonly holdMs: number;
  readonly log: (line: string) => void;
  /** The cluster size the membership nemesis keeps coming back to. */
  readonly size: number;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function leaderOrNone(cluster: ChaosCluster): Promise<ChaosMember | undefined> {
  try {
    return await cluster.leader({ timeoutMs: 3000 });
  } catch {
    return undefined;
  }
}

/**
 * Choose a victim: the leader, a follower or any member, at random. Without an agreed leader
 * every choice falls back to a random running member.
 */
async function victim(cluster: ChaosCluster, random: () => number): Promise<{ member: ChaosMember; role: string; leader: ChaosMember | undefined }> {
  const leader = await leaderOrNone(cluster);
  const running = cluster.running();
  const role = pick(random, ["leader", "follower", "random"] as const);
  if (role === "leader" && leader) return { member: leader, role, leader };
  const followers = running.filter((m) => m !== leader);
  if (role === "follower" && followers.length > 0) return { member: pick(random, followers), role, leader };
  return { member: pick(random, running), role: "random", leader };
}

/**
 * Inject one fault of `kind`, hold it, undo it, and return what happened. A fault that cannot
 * be injected (say, no member to remove) is recorded with its error rather than thrown: the
 * run goes on, and the report shows it.
 */
export async function runFault(cluster: ChaosCluster, kind: NemesisKind, o: NemesisOptions): Promise<FaultRecord> {
  const { random, holdMs, log } = o;
  let record: FaultRecord | undefined;
  const begin = (what: string, target?: ChaosMember, leader?: ChaosMember): FaultRecord => {
    record = { kind, what, start: performance.now(), end: 0 };
    if (target) record.target = target.name;
    if (leader) record.leaderBefore = leader.name;
    log(`fault: ${what}${target ? ` (${target.name})` : ""}`);
    return record;
  };
  try {
    switch (kind) {
      case "kill": {
        const { member, role, leader } = await victim(cluster, random);
        begin(`kill -9 ${role}`, member, leader);
        await cluster.kill(member.name);
        await sleep(holdMs);
        await cluster.start(member.name);
        break;
      }
      case "pause": {
        const { member, role, leader } = await victim(cluster, random);
        begin(`pause ${role}`, member, leader);
        await cluster.pause(member.name);
        await sleep(holdMs);
        await cluster.unpause(member.name);
        break;
      }
      case "partition": {
        const leader = await leaderOrNone(cluster);
        const names = cluster.running().map((m) => m.name);
        const variant = pick(random, ["isolate-leader", "majority-minority", "bridge", "one-way"] as const);
        if (variant === "isolate-leader" && leader) {
          begin("partition: leader isolated", leader, leader);
          await cluster.isolate(leader.name);
        } else if (variant === "majority-minority" || (variant === "isolate-leader" && !leader)) {
          const side = random() < 0.5 ? "majority" : "minority";
          begin(`partition: leader on the ${side} side`, leader, leader);
          await cluster.splitMajority(side);
        } else if (variant === "bridge" && names.length >= 3) {
          const shuffled = [...names].sort(() => random() - 0.5);
          const bridge = shuffled[0] as string;
          const rest = shuffled.slice(1);
          const half = Math.ceil(rest.length / 2);
          begin(`partition: bridge through ${bridge}`, cluster.member(bridge), leader);
          await cluster.bridge(rest.slice(0, half), rest.slice(half), bridge);
        } else {
          const from = leader?.name ?? pick(random, names);
          const to = pick(random, names.filter((n) => n !== from));
          begin(`partition: one-way drop ${from} → ${to}`, cluster.member(from), leader);
          await cluster.dropOneWay(from, to);
        }
        await sleep(holdMs);
        await cluster.heal();
        break;
      }
      case "loss": {
        const p = pick(random, [0.1, 0.25, 0.4]);
        begin(`packet loss ${Math.round(p * 100)} % on every link`, undefined, await leaderOrNone(cluster));
        await cluster.loss(p);
        await sleep(holdMs);
        await cluster.heal();
        break;
      }
      case "delay": {
        const ms = pick(random, [20, 50, 150]);
        begin(`peer links delayed ${ms} ms ± ${Math.round(ms / 2)} ms`, undefined, await leaderOrNone(cluster));
        await cluster.setDelay({ ms, jitterMs: Math.round(ms / 2) });
        await sleep(holdMs);
        await cluster.clearDelays();
        break;
      }
      case "restart-all": {
        begin("kill -9 every member, then start them all", undefined, await leaderOrNone(cluster));
        await cluster.restartAll({ signal: "SIGKILL" });
        break;
      }
      case "membership": {
        const size = cluster.current().length;
        const leader = await leaderOrNone(cluster);
        if (size > o.size) {
          const follower = pick(random, cluster.running().filter((m) => m !== leader));
          begin("remove a follower", follower, leader);
          await cluster.removeMember(follower.name);
        } else if (size < o.size || random() < 0.5) {
          const r = begin("add a member", undefined, leader);
          r.target = (await cluster.addMember()).name;
        } else {
          begin("replace the leader (remove it, add a new member)", leader, leader);
          await cluster.replaceLeader();
        }
        break;
      }
    }
  } catch (err) {
    const r = record ?? begin(`${kind} (not injected)`);
    r.error = (err as Error).message.split("\n")[0] ?? String(err);
    log(`fault ${r.what}: ${r.error}`);
    // Whatever was half done, undo it before the next fault.
    await cluster.recover().catch((e: unknown) => log(`recover after a failed fault: ${(e as Error).message}`));
  }
  const r = record as FaultRecord;
  r.end = performance.now();
  return r;
}
