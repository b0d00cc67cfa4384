// The tables: one per runtime, a row per (case, peer) with our figure, the peer's, the ratio
// ours/peer and the issue's target where there is one.
import { cpus } from "node:os";
import { ratio, median } from "./measure.mjs";

const fmt = (x, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "–";
const times = (x) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×` : "–");

/** Targets of the issue, by case, runtime and peer key: minimum ratio ours/peer. */
export const TARGETS = {
  hello: {
    node: { native: 1.5, raw: 0.8 },
    bun: { native: 0.9 },
    deno: { native: 0.75 },
  },
  small: { node: { sirv: 3, nginx: 0.4 }, bun: { sirv: 3, nginx: 0.4 }, deno: { sirv: 3, nginx: 0.4 } },
  large: { node: { nginx: 0.9 }, bun: { nginx: 0.9 }, deno: { nginx: 0.9 } },
  // Two workers: ≥ 0.4× nginx with two; ≥ 1.6× our one worker where there are ≥ 4 CPUs (on 2,
  // wrk takes one and the workers share the other).
  fetch: { node: { srvx: 1.5, hono: 1.5, native: 1.0 } },
  servedir: { node: { command: 0.9 }, bun: { command: 0.9 }, deno: { command: 0.9 } },
  workers: Object.fromEntries(["node", "bun", "deno"].map((rt) => [rt, cpus().length >= 4 ? { nginx2: 0.4, one: 1.6 } : { nginx2: 0.4 }])),
};

/** Limits on memory (MiB) for every runtime. */
export const MEMORY_TARGETS = { idleAdded: 50, slowPeak: 100 };

const CASE_TITLES = {
  hello: ["hello, 13 B (logging off)", "req/s"],
  small: ["static 1 KiB (logging on)", "req/s"],
  large: ["static 4 MiB (logging on)", "MiB/s"],
  workers: ["static 1 KiB, --workers 2", "req/s"],
  range: ["64 KiB range of 4 MiB (206)", "req/s"],
  revalidate: ["revalidation of 1 KiB (304)", "req/s"],
  listing: ["listing, 1,000 files", "req/s"],
  fetch: ["fetch handler, 13 B", "req/s"],
  servedir: ["serveDir on serve(), 1 KiB (logging off / on)", "req/s"],
};

/**
 * Markdown table for `runtime`. `results[caseId]` holds measureGroup results keyed
 * `ours:<runtime>`, `native:<runtime>`, `raw:<runtime>`, `cpython`, `sirv` …; `memory[runtime]`
 * holds `{ idle, slow }`. Returns `{ text, checks }`, checks being `[label, ok]` pairs.
 */
export function runtimeTable(runtime, title, results, memory, { slowSeconds }) {
  const rows = [];
  const checks = [];
  const row = (cells) => rows.push(`| ${cells.join(" | ")} |`);
  for (const [caseId, [caseTitle, unit]] of Object.entries(CASE_TITLES)) {
    const group = results[caseId];
    if (group === undefined) continue;
    const ours = group[`ours:${runtime}`];
    if (ours === undefined) continue;
    const peers = Object.keys(group).filter((k) => !k.startsWith("ours:") && (!k.includes(":") || k.endsWith(`:${runtime}`)));
    let first = true;
    for (const key of peers) {
      const peer = group[key];
      const peerKey = key.split(":")[0];
      const r = ratio(ours, peer);
      const min = TARGETS[caseId]?.[runtime]?.[peerKey];
      let target = "";
      if (min !== undefined) {
        const ok = r >= min;
        target = `≥ ${min}× ${ok ? "✓" : "✗"}`;
        checks.push([`${title}: ${caseTitle} vs ${peer.name} ≥ ${min}× (${times(r)})`, ok]);
      }
      row([
        first ? caseTitle : "",
        first ? `${fmt(median(ours.values))} ${unit}${ours.errors || ours.non2xx ? " (!)" : ""}${ours.note ? ` (${ours.note})` : ""}` : "",
        peer.name,
        peer.failed
          ? "not started"
          : `${fmt(median(peer.values))} ${unit}${peer.errors || peer.non2xx ? " (!)" : ""}${peer.note ? ` (${peer.note})` : ""}`,
        peer.failed ? "–" : times(r),
        target,
      ]);
      first = false;
    }
  }
  const mem = memory?.[runtime];
  if (mem?.idle) {
    const { added, before, after, open } = mem.idle;
    const ok = added < MEMORY_TARGETS.idleAdded && open === 1000;
    checks.push([`${title}: 1,000 idle connections add < ${MEMORY_TARGETS.idleAdded} MiB (${fmt(added, 1)} MiB)`, ok]);
    row([
      "1,000 idle keep-alive connections",
      `+${fmt(added, 1)} MiB RSS`,
      `${fmt(before, 1)} → ${fmt(after, 1)} MiB; ${open} kept open`,
      "",
      "",
      `< ${MEMORY_TARGETS.idleAdded} MiB ${ok ? "✓" : "✗"}`,
    ]);
  } else if (mem?.idleError) {
    row(["1,000 idle keep-alive connections", "failed", mem.idleError, "", "", "✗"]);
    checks.push([`${title}: 1,000 idle connections`, false]);
  }
  if (mem?.slow) {
    const { peak, before, received } = mem.slow;
    const ok = peak < MEMORY_TARGETS.slowPeak;
    checks.push([`${title}: slow 1 GiB download peak RSS < ${MEMORY_TARGETS.slowPeak} MiB (${fmt(peak, 1)} MiB)`, ok]);
    row([
      `1 GiB file read at 1 MiB/s (${slowSeconds} s)`,
      `${fmt(peak, 1)} MiB peak RSS`,
      `${fmt(before, 1)} MiB at start; ${fmt(received, 1)} MiB read`,
      "",
      "",
      `< ${MEMORY_TARGETS.slowPeak} MiB ${ok ? "✓" : "✗"}`,
    ]);
  } else if (mem?.slowError) {
    row(["1 GiB file read at 1 MiB/s", "failed", mem.slowError, "", "", "✗"]);
    checks.push([`${title}: slow 1 GiB download`, false]);
  }
  const text = [
    `### ${title}`,
    "",
    "| case | ours | peer | peer's | ours/peer | target |",
    "| --- | ---: | --- | ---: | ---: | --- |",
    ...rows,
  ].join("\n");
  return { text, checks };
}
