import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

/**
 * test/api/testdata in the source tree. Tests run compiled from dist/, so walk up from this
 * file until the directory appears.
 */
export function testdataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "test", "api", "testdata");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("test/api/testdata not found above this file");
    dir = parent;
  }
}

export type Manifest = Record<string, unknown> & { kind: string; metadata?: { name?: string } };

/** Every document of a YAML file in testdata, as plain JSON values. */
export function loadManifests(file: string): Manifest[] {
  const text = readFileSync(join(testdataDir(), file), "utf8");
  return parseAllDocuments(text).map((doc) => doc.toJS() as Manifest);
}

export function loadManifest(file: string): Manifest {
  const [first] = loadManifests(file);
  if (first === undefined) throw new Error(`${file} holds no document`);
  return first;
}

/** A deep copy with changes applied by `edit`. */
export function edited<T>(obj: T, edit: (copy: T) => void): T {
  const copy = structuredClone(obj);
  edit(copy);
  return copy;
}
