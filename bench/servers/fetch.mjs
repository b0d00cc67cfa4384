// Fetch handlers for `pnpm bench`: the same handler, `() => new Response("Hello, World!")`, on
// several servers, and serveDir on ours. Prints `LISTENING <port>` once bound.
// Usage: <runtime> bench/servers/fetch.mjs <kind> [directory]
//   ours      our serve() (Node, Bun, Deno)
//   servedir  our serve() with serveDir(request, { directory })
//   runtime   Bun.serve / Deno.serve (Bun, Deno)
//   srvx      srvx's serve() on node:http (Node)
//   hono      @hono/node-server's serve() on node:http (Node)
const [kind, directory] = globalThis.Deno ? Deno.args : process.argv.slice(2);
const runtime = globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node";
const BODY = "Hello, World!";
const hello = () => new Response(BODY);
const print = (port) => console.log(`LISTENING ${port}`);
const host = "127.0.0.1";

switch (kind) {
  case "ours":
  case "servedir": {
    const { serve, serveDir } = await import(`@httpserver/${runtime}`);
    const fetch = kind === "ours" ? hello : (request) => serveDir(request, { directory });
    const server = serve({ fetch, hostname: host, port: 0, silent: true });
    await server.ready();
    print(server.port);
    break;
  }
  case "runtime":
    if (runtime === "bun") print(Bun.serve({ hostname: host, port: 0, fetch: hello }).port);
    else Deno.serve({ hostname: host, port: 0, onListen: ({ port }) => print(port) }, hello);
    break;
  case "srvx": {
    const { serve } = await import("srvx");
    const server = serve({ hostname: host, port: 0, fetch: hello, silent: true });
    await server.ready();
    print(new URL(server.url).port);
    break;
  }
  case "hono": {
    const { serve } = await import("@hono/node-server");
    serve({ fetch: hello, hostname: host, port: 0 }, (info) => print(info.port));
    break;
  }
  default:
    throw new Error(`unknown kind ${kind}`);
}
globalThis.process?.on?.("SIGTERM", () => globalThis.process.exit(0));
