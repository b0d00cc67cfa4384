/**
 * A vitest reporter that ends the run with one plain line, `Tests: N passed, N failed, N skipped`,
 * the closing line CI reads in any language, preceded by the same counts per runtime for the
 * black-box cases (those whose suite name ends in `[node]`, `[node24]`, `[bun]` or `[deno]`).
 */
import type { Reporter, TestCase, TestModule } from "vitest/node";

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

function count(counts: Counts, test: TestCase): void {
  const state = test.result().state;
  if (state === "passed") counts.passed++;
  else if (state === "failed") counts.failed++;
  else counts.skipped++;
}

const line = (label: string, c: Counts): string =>
  `${label}${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped\n`;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const total: Counts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
    const perRuntime = new Map<string, Counts>();
    for (const module of testModules) {
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) total.failed++;
      for (const test of module.children.allTests()) {
        count(total, test);
        const runtime = /\[(node|node24|bun|deno)\]/.exec(test.fullName)?.[1];
        if (runtime === undefined) continue;
        let c = perRuntime.get(runtime);
        if (c === undefined) perRuntime.set(runtime, (c = { passed: 0, failed: 0, skipped: 0 }));
        count(c, test);
      }
    }
    let out = "\n";
    for (const [runtime, c] of [...perRuntime].sort()) out += line(`  black-box on ${runtime}: `, c);
    process.stdout.write(out + line("Tests: ", total));
  }
}
