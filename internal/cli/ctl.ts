import { formatId } from "../etcdapi/index.js";
import { RestoreError, restoreSnapshot } from "../kv/index.js";
import { FlagError, usageOf } from "./flags.js";
import { kvFlags, parseKvConfig } from "./kvconfig.js";
import type { Command } from "./main.js";

/** The kv flags `snapshot restore` takes, as etcdctl snapshot restore names them. */
const restoreFlagNames = ["name", "data-dir", "initial-cluster", "initial-cluster-token", "initial-advertise-peer-urls"];
const restoreFlags = kvFlags.filter((f) => restoreFlagNames.includes(f.name));

const usage = `Usage: raftplane ctl <task>

Tasks:
  snapshot restore <file> [flags]   build a new member's data directory from a snapshot file

${usageOf("ctl snapshot restore <file>", "Restore flags:", restoreFlags).split("\n").slice(4).join("\n")}`;

async function snapshotRestore(args: readonly string[]): Promise<number> {
  const [file, ...flags] = args;
  if (file === undefined || file.startsWith("-")) {
    console.error("raftplane ctl snapshot restore: name the snapshot file first\n\n" + usage);
    return 2;
  }
  const unknown = flags.map((f) => /^--?([a-z-]+)/.exec(f)?.[1]).filter((n) => n !== undefined && !restoreFlagNames.includes(n));
  if (unknown.length > 0) {
    console.error(`raftplane ctl snapshot restore: flag provided but not defined: --${unknown[0]}`);
    return 2;
  }
  try {
    const config = parseKvConfig(flags, {});
    const r = await restoreSnapshot(file, config);
    console.log(
      `restored snapshot ${file} (revision ${r.revision}) into ${config.dataDir}: member ${formatId(r.memberId)} of cluster ${formatId(r.clusterId)}`,
    );
    return 0;
  } catch (err) {
    if (err instanceof FlagError) {
      console.error(`raftplane ctl snapshot restore: ${err.message}`);
      return 2;
    }
    if (err instanceof RestoreError) {
      console.error(`raftplane ctl snapshot restore: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

export const ctlCommand: Command = {
  summary: "Operator tasks: snapshot restore.",
  async run(args) {
    const [group, task, ...rest] = args;
    if (group === "snapshot" && task === "restore") return snapshotRestore(rest);
    if (group === undefined || group === "--help" || group === "-h") {
      console.log(usage);
      return group === undefined ? 2 : 0;
    }
    console.error(`raftplane ctl: unknown task "${[group, task].filter(Boolean).join(" ")}"\n\n${usage}`);
    return 2;
  },
};
