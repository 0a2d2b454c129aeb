/**
 * Network faults between cluster members, as data, and the iptables rules that make them.
 *
 * A fault acts on one direction of one link: packets that `from` sends to `to` are dropped,
 * always or with a probability. Every rule lives in the receiving member's network namespace,
 * in one chain of its own (RAFTPLANE_CHAOS, jumped to first thing from INPUT) that is rewritten
 * whole, atomically, by iptables-restore whenever that member's faults change. A symmetric cut
 * is two one-way faults. Clients on the host are never matched: rules name members' addresses.
 *
 * Over TCP a one-way drop stalls the whole connection (acknowledgements cannot come back), so
 * "asymmetric" here means what it means in Jepsen: one side's packets arrive, the other's are
 * lost, and what survives is whatever each side's own retries make of it.
 */

/** One direction of one link: packets from `from` to `to`. */
export interface LinkFault {
  readonly from: string;
  readonly to: string;
  /** Chance a packet is dropped, in (0, 1]; 1 is a cut. */
  readonly probability: number;
}

export const chain = "RAFTPLANE_CHAOS";

/** Both directions of every link between members of different groups. */
export function partitionFaults(groups: readonly (readonly string[])[]): LinkFault[] {
  const seen = new Set<string>();
  for (const g of groups) {
    for (const name of g) {
      if (seen.has(name)) throw new Error(`partition: ${name} is in more than one group (use bridge for a shared node)`);
      seen.add(name);
    }
  }
  const faults: LinkFault[] = [];
  groups.forEach((a, i) =>
    groups.forEach((b, j) => {
      if (i === j) return;
      for (const from of a) for (const to of b) faults.push({ from, to, probability: 1 });
    }),
  );
  return faults;
}

/** One member cut off from every other. */
export function isolateFaults(name: string, all: readonly string[]): LinkFault[] {
  if (!all.includes(name)) throw new Error(`isolate: no member ${name}`);
  return partitionFaults([[name], all.filter((n) => n !== name)]);
}

/**
 * Two halves that cannot talk to each other, and one member (the bridge) that talks to both,
 * as Jepsen's bridge: with five members, two and two plus the bridge, each half with the bridge
 * is a majority.
 */
export function bridgeFaults(sideA: readonly string[], sideB: readonly string[], bridge: string): LinkFault[] {
  if (sideA.includes(bridge) || sideB.includes(bridge)) throw new Error("bridge: the bridge member belongs to neither side");
  return partitionFaults([sideA, sideB]);
}

/** Packets from `from` to `to` are dropped; the other direction is untouched. */
export function oneWayFaults(from: string, to: string): LinkFault[] {
  if (from === to) throw new Error("one-way drop: from and to are the same member");
  return [{ from, to, probability: 1 }];
}

/** Each packet between the given members is dropped with this probability, both directions. */
export function lossFaults(members: readonly string[], probability: number): LinkFault[] {
  if (!(probability > 0 && probability <= 1)) throw new Error(`loss: probability ${probability} is not in (0, 1]`);
  const faults: LinkFault[] = [];
  for (const from of members) for (const to of members) if (from !== to) faults.push({ from, to, probability });
  return faults;
}

/**
 * Merge faults on the same link: the link keeps one rule, the strongest (a cut beats a loss).
 * Returns them in a stable order.
 */
export function mergeFaults(faults: readonly LinkFault[]): LinkFault[] {
  const byLink = new Map<string, LinkFault>();
  for (const f of faults) {
    const key = `${f.from}\u0000${f.to}`;
    const had = byLink.get(key);
    if (had === undefined || f.probability > had.probability) byLink.set(key, f);
  }
  return [...byLink.values()].sort((a, b) => (a.to === b.to ? a.from.localeCompare(b.from) : a.to.localeCompare(b.to)));
}

/** The iptables-restore input that makes `receiver`'s chain hold exactly its faults. */
export function restoreScript(receiver: string, faults: readonly LinkFault[], addressOf: (name: string) => string): string {
  const lines = ["*filter", `:${chain} - [0:0]`];
  for (const f of mergeFaults(faults)) {
    if (f.to !== receiver) continue;
    const source = `-s ${addressOf(f.from)}/32`;
    const random = f.probability < 1 ? ` -m statistic --mode random --probability ${f.probability}` : "";
    lines.push(`-A ${chain} ${source}${random} -j DROP`);
  }
  lines.push("COMMIT", "");
  return lines.join("\n");
}

/** The iptables-restore input that creates the chain and jumps to it from INPUT, once. */
export function setupScript(): string {
  return ["*filter", `:${chain} - [0:0]`, `-I INPUT 1 -j ${chain}`, "COMMIT", ""].join("\n");
}
