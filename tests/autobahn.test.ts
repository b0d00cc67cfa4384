/**
 * The Autobahn TestSuite's server cases (categories 1–7, 9.1–9.8, 10, 12, 13; ported in
 * tests/support/autobahn-cases.ts) against an echo server written with `upgradeWebSocket()`
 * (tests/fixtures/websocket.ts, `/echo`), on Node, Bun and Deno (Node 24 runs the same
 * JavaScript as Node 20; its sockets are covered by tests/websocket.test.ts): once without
 * permessage-deflate (categories 1–10), and once with it (categories 1–7, 10, 12, 13, the client
 * offering it in each case, so that messages of categories 1–7 and 10 travel compressed both ways
 * too; category 9's big messages are compressed in 12 and 13's sizes). Every case must end OK,
 * NON-STRICT or INFORMATIONAL, as Autobahn's report counts them; the counts are printed.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type CaseResult, type CaseSpec, TIME_SCALE, compressionCount, runCase } from "./support/autobahn.js";
import { CASES } from "./support/autobahn-cases.js";
import { type RunningServer, runtimes, startProcess } from "./support/runtimes.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/websocket.ts", import.meta.url));
const PASSING = new Set(["OK", "NON-STRICT", "INFORMATIONAL"]);
/** Cases run at once (each on its own connection); two for category 9's big messages. */
const CONCURRENCY = 6;

const category = (spec: CaseSpec) => Number(spec.id.split(".")[0]);

async function runAll(
  cases: readonly CaseSpec[],
  port: number,
  path: string,
  offer: string | undefined,
  concurrency: number,
): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array<CaseResult>(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(cases[i], port, path, offer);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

function counts(results: readonly CaseResult[]): string {
  const by = new Map<string, number>();
  for (const r of results) by.set(r.verdict, (by.get(r.verdict) ?? 0) + 1);
  return [...by].map(([verdict, n]) => `${verdict} ${n}`).join(", ");
}

const report: string[] = [];
afterAll(() => {
  if (report.length > 0) {
    console.log(
      `Autobahn TestSuite (ported; waits ×${TIME_SCALE}, ${compressionCount()} messages per compression case):\n${report.join("\n")}`,
    );
  }
});

for (const rt of runtimes().filter((r) => r.name !== "node24")) {
  for (const deflate of [false, true]) {
    describe(`Autobahn TestSuite, echo server ${deflate ? "with" : "without"} permessage-deflate [${rt.name}]`, () => {
      let server: RunningServer;
      beforeAll(async () => {
        server = await startProcess(rt, FIXTURE, ["{}"]);
      });
      afterAll(async () => {
        await server?.stop();
      });

      const groups: [string, (c: number) => boolean][] = [
        ["1–7 (framing, pings, reserved bits, opcodes, fragmentation, UTF-8, close)", (c) => c <= 7],
        ...(deflate
          ? ([["10, 12 and 13 (compression)", (c) => c === 10 || c >= 12]] as [string, (c: number) => boolean][])
          : ([["9 (limits and performance) and 10", (c) => c === 9 || c === 10]] as [string, (c: number) => boolean][])),
      ];
      for (const [name, wanted] of groups) {
        test(`categories ${name}: every case OK, NON-STRICT or INFORMATIONAL`, { timeout: 300_000 }, async () => {
          const cases = CASES.filter((spec) => wanted(category(spec)));
          const big = cases.some((spec) => category(spec) === 9);
          const offer = deflate ? "permessage-deflate; client_max_window_bits" : undefined;
          const results = await runAll(cases, server.port, deflate ? "/echo?deflate" : "/echo", offer, big ? 2 : CONCURRENCY);
          report.push(`  [${rt.name}${deflate ? ", permessage-deflate" : ""}] ${name}: ${results.length} cases — ${counts(results)}`);
          const failed = results
            .filter((r) => !PASSING.has(r.verdict))
            .map((r) => `${r.id} ${r.verdict}: ${r.result} / ${r.resultClose} (${r.description})`);
          expect(failed).toEqual([]);
        });
      }
    });
  }
}
