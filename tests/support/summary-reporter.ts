/**
 * A vitest reporter that ends the run with one plain line, `Tests: N passed, N failed, N skipped`,
 * the closing line CI reads in any language, preceded by the same counts per runtime for the
 * black-box cases (those under a suite whose name ends in `[node]`, `[node24]`, `[bun]` or
 * `[deno]`) and by the files that failed.
 *
 * Failures are failed tests, plus one for each error outside a test: a `beforeAll`/`afterAll`
 * hook that threw (the tests it skipped still count as skipped), a file that did not load, an
 * unhandled error. So a summary never reads `0 failed` when vitest exits 1.
 */
import type { Reporter, TestCase, TestModule, TestSuite } from "vitest/node";

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const zero = (): Counts => ({ passed: 0, failed: 0, skipped: 0 });
const RUNTIME = /\[(node|node24|bun|deno)\]/;

function count(counts: Counts, test: TestCase): void {
  const state = test.result().state;
  if (state === "passed") counts.passed++;
  else if (state === "failed") counts.failed++;
  else counts.skipped++;
}

const line = (label: string, c: Counts): string => `${label}${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped\n`;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const total: Counts = { ...zero(), failed: unhandledErrors.length };
    const perRuntime = new Map<string, Counts>();
    const forRuntime = (name: string): Counts | undefined => {
      const runtime = RUNTIME.exec(name)?.[1];
      if (runtime === undefined) return undefined;
      let c = perRuntime.get(runtime);
      if (c === undefined) perRuntime.set(runtime, (c = zero()));
      return c;
    };
    const failedFiles: string[] = [];
    for (const module of testModules) {
      let failures = module.errors().length;
      const suites: TestSuite[] = [...module.children.allSuites()];
      for (const suite of suites) {
        const errors = suite.errors().length;
        failures += errors;
        const c = forRuntime(suite.fullName);
        if (c !== undefined) c.failed += errors;
      }
      for (const test of module.children.allTests()) {
        count(total, test);
        if (test.result().state === "failed") failures++;
        const c = forRuntime(test.fullName);
        if (c !== undefined) count(c, test);
      }
      total.failed += failures - [...module.children.allTests("failed")].length;
      // A file vitest counts as failed for a reason none of the above shows still counts once.
      if (failures === 0 && module.state() === "failed") {
        total.failed++;
        failures++;
      }
      if (failures > 0) failedFiles.push(module.relativeModuleId);
    }
    let out = "\n";
    for (const [runtime, c] of [...perRuntime].sort()) out += line(`  black-box on ${runtime}: `, c);
    if (unhandledErrors.length > 0) out += `  unhandled errors: ${unhandledErrors.length}\n`;
    if (failedFiles.length > 0) out += `  failed files: ${failedFiles.join(", ")}\n`;
    process.stdout.write(out + line("Tests: ", total));
  }
}
