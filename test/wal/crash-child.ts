/**
 * Child of the crash test: appends one entry per save, synced, several saves in flight so
 * that they merge, and prints each index once its save resolved (the acknowledgement). It runs
 * until killed; it also stops when its parent goes away (stdin closes).
 *
 * usage: node crash-child.js <dir>
 */
import { Wal } from "../../internal/wal/index.js";

const dir = process.argv[2];
if (dir === undefined) throw new Error("usage: crash-child.js <dir>");

const inFlight = 8;
const payload = (i: number): Uint8Array => new TextEncoder().encode(`entry ${i} `.padEnd(256, "."));

const { wal, storage } = await Wal.open(dir);
let next = storage.lastIndex() + 1;
let stopped = false;
process.stdin.on("end", () => {
  stopped = true;
});
process.stdin.resume();

async function writer(): Promise<void> {
  while (!stopped) {
    const index = next++;
    await wal.save(
      { entries: [{ index, term: 1, type: "normal", data: payload(index) }], hardState: { term: 1, vote: 1, commit: index } },
      { sync: true },
    );
    // Pipes are written synchronously on Linux: once this returns, the parent can read the line.
    process.stdout.write(`${index}\n`);
  }
}

process.stdout.write("ready\n");
await Promise.all(Array.from({ length: inFlight }, writer));
await wal.close();
