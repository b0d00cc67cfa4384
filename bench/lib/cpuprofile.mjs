// Reading a V8 .cpuprofile (node --cpu-prof, bun --cpu-prof): self time per function.
import { readFileSync } from "node:fs";

/**
 * Self time per function of a .cpuprofile, largest first: `[{ name, where, ms, share }]`, `where`
 * being `file:line` (shortened to the repository or the package), `share` the fraction of all
 * samples (idle included). Also returns `{ totalMs, idleMs, gcMs }`.
 */
export function selfTimes(path) {
  const profile = JSON.parse(readFileSync(path, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const node = byId.get(profile.samples[i]);
    const f = node.callFrame;
    const url = f.url
      .replace(/^file:\/\//, "")
      .replace(/^.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")
      .replace(/^.*\/(packages|bench|tests)\//, "$1/");
    const key = `${f.functionName || "(anonymous)"}\t${url}${url ? `:${f.lineNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const rows = [...self.entries()]
    .map(([key, ms]) => {
      const [name, where] = key.split("\t");
      return { name, where, ms, share: ms / total };
    })
    .sort((a, b) => b.ms - a.ms);
  const pick = (name) => rows.filter((r) => r.name === name).reduce((n, r) => n + r.ms, 0);
  return { rows, totalMs: total, idleMs: pick("(idle)"), gcMs: pick("(garbage collector)") };
}
