import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * test/raft/testdata in the source tree. Tests run compiled from dist/, so walk up from this
 * file until the directory appears.
 */
export function testdataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "test", "raft", "testdata");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("test/raft/testdata not found above this file");
    dir = parent;
  }
}
