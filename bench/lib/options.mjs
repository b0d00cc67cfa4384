// Command-line options of `pnpm bench` (bench/run.mjs).

export const USAGE = `usage: pnpm bench [-- options]

  --quick              short trials (1 s x 2 rounds, 6 s slow download): a smoke run
                       (wrk takes whole seconds: durations are rounded)
  --runtime=LIST       runtimes for our server: node,bun,deno (default: all three)
  --only=LIST          cases: hello,small,large,workers,range,revalidate,listing,
                       connections,fetch,servedir
                       (default: all)
  --rounds=N           measured rounds per case (default 3)
  --duration=S         seconds of wrk per trial (default 3)
  --warmup=S           seconds of wrk warm-up per server before the rounds (default 1)
  --slow-seconds=S     length of the slow 1 GiB download (default 20)
  --no-build           do not run \`pnpm build\` even if packages/node/dist looks stale
  --no-install         do not apt-get install wrk/nginx when missing (skip those parts)
  --json=FILE          also write every measurement as JSON
  -h, --help           this text`;

const RUNTIMES = ["node", "bun", "deno"];
const CASES = ["hello", "small", "large", "workers", "range", "revalidate", "listing", "connections", "fetch", "servedir"];

function list(value, allowed, what) {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item)) throw new Error(`unknown ${what} ${JSON.stringify(item)} (one of ${allowed.join(", ")})`);
  }
  return items;
}

/** Parses `argv` (without node and the script). */
export function parseOptions(argv) {
  const args = new Map();
  for (const arg of argv) {
    if (arg === "-h" || arg === "--help") return { help: true };
    if (arg === "--") continue;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (m === null) throw new Error(`unknown argument ${JSON.stringify(arg)}`);
    args.set(m[1], m[2] ?? "true");
  }
  const known = ["quick", "runtime", "only", "rounds", "duration", "warmup", "slow-seconds", "no-build", "no-install", "json"];
  for (const key of args.keys()) if (!known.includes(key)) throw new Error(`unknown option --${key}`);
  const quick = args.has("quick");
  const num = (key, fallback) => {
    const v = Number(args.get(key) ?? fallback);
    if (!(v > 0)) throw new Error(`--${key} must be a positive number`);
    return v;
  };
  return {
    help: false,
    quick,
    runtimes: list(args.get("runtime") ?? RUNTIMES.join(","), RUNTIMES, "runtime"),
    cases: list(args.get("only") ?? CASES.join(","), CASES, "case"),
    rounds: Math.round(num("rounds", quick ? 2 : 3)),
    duration: Math.max(1, Math.round(num("duration", quick ? 1 : 3))),
    warmup: Math.max(1, Math.round(num("warmup", 1))),
    slowSeconds: num("slow-seconds", quick ? 6 : 20),
    build: !args.has("no-build"),
    install: !args.has("no-install"),
    json: args.get("json") ?? null,
  };
}
