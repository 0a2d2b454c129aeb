/**
 * Golden-trace tests: each testdata/*.txt script is run and its output compared, block by block,
 * with the expected text. REWRITE=1 regenerates the files; read every changed trace before
 * keeping it, since a golden file that records a bug makes the bug the specification.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatScript, runScript } from "./interaction.js";
import { testdataDir } from "./testdata.js";

const dir = testdataDir();
const rewrite = process.env["REWRITE"] === "1";

for (const file of readdirSync(dir).filter((f) => f.endsWith(".txt")).sort()) {
  test(`interaction ${file}`, () => {
    const path = join(dir, file);
    const src = readFileSync(path, "utf8");
    const result = runScript(src);
    if (rewrite) {
      writeFileSync(path, formatScript(result.script, result.outputs));
      return;
    }
    if (result.mismatch) {
      const { block, actual } = result.mismatch;
      assert.equal(actual, block.expected, `${file}:${block.line}: output of "${block.command}" differs`);
    }
    assert.equal(formatScript(result.script, result.outputs), src, `${file} is not in canonical form; run with REWRITE=1`);
  });
}
