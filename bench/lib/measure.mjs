// One case ("group"): its servers all started, each warmed up, then measured in rounds with the
// order reversed every other round, so that load from elsewhere on the machine falls on every
// server alike. Each server's figure is its median; a ratio is the median of the per-round ratios.
import { startServer } from "./process.mjs";
import { runWrk } from "./wrk.mjs";

/** The median of numbers (NaN for none). */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Measures `group`: `{ path, specs: [{ key, spec }], bytesPerRequest?, connections?, request? }`
 * with wrk (64 connections unless `connections` says otherwise). `request(url)` resolves with the
 * request fields for a server once it runs (`{ headers: ["Range: …"], status: 206 }`); one
 * request is made first, and a server answering another status gets `note` and is still measured.
 * Resolves with `{ [key]: { name, values: number[], errors, non2xx, note? } }`, values per round
 * in req/s, or MiB/s when `bytesPerRequest` is given. A server that fails to start is reported
 * and left out.
 */
export async function measureGroup(group, { wrk, rounds, duration, warmup, log }) {
  const connections = group.connections ?? 64;
  const running = [];
  const results = {};
  try {
    for (const { key, spec } of group.specs) {
      try {
        const server = await startServer(spec);
        running.push({ key, server });
        results[key] = { name: spec.name, values: [], errors: 0, non2xx: 0 };
      } catch (error) {
        log(`  ${spec.name}: not started: ${error.message.split("\n")[0]}`);
        results[key] = { name: spec.name, values: [], errors: 0, non2xx: 0, failed: error.message };
      }
    }
    const scale = group.bytesPerRequest ? group.bytesPerRequest / 2 ** 20 : 1;
    for (const entry of running) {
      entry.headers = [];
      if (group.request === undefined) continue;
      const url = entry.server.url(group.path);
      const { headers, status } = await group.request(url);
      entry.headers = headers;
      const res = await fetch(url, {
        headers: Object.fromEntries(headers.map((h) => [h.slice(0, h.indexOf(":")), h.slice(h.indexOf(":") + 1).trim()])),
      });
      await res.arrayBuffer();
      if (res.status !== status) {
        results[entry.key].note = `answers ${res.status}, not ${status}`;
        log(`  ${entry.server.name}: ${results[entry.key].note}`);
      }
    }
    for (const { server, headers } of running) await runWrk(wrk, server.url(group.path), { seconds: warmup, connections, headers });
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? running : [...running].reverse();
      const line = [];
      for (const { key, server, headers } of order) {
        const r = await runWrk(wrk, server.url(group.path), { seconds: duration, connections, headers });
        const result = results[key];
        result.values.push(r.rps * scale);
        result.errors += r.errors;
        result.non2xx += r.non2xx;
        line.push(`${server.name} ${Math.round(r.rps * scale).toLocaleString("en-US")}`);
      }
      log(`  round ${round + 1}/${rounds}: ${line.join(", ")}`);
    }
  } finally {
    await Promise.all(running.map(({ server }) => server.stop()));
  }
  return results;
}

/** The median over rounds of `a[r] / b[r]`. */
export function ratio(a, b) {
  if (a === undefined || b === undefined) return NaN;
  const n = Math.min(a.values.length, b.values.length);
  const per = [];
  for (let i = 0; i < n; i++) per.push(a.values[i] / b.values[i]);
  return median(per);
}
