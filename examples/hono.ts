/**
 * A Hono app on httpserver's `serve`, its files from `serveDir`: Range, entity tags, CPython's
 * listings, inside any fetch handler.
 *
 *   pnpm build && pnpm tsx examples/hono.ts [port] [directory]      (Node)
 *   curl http://localhost:8000/api/hello
 *   curl -r 0-99 http://localhost:8000/files/README.md
 */
import { Hono } from "hono";
import { serve, serveDir } from "@httpserver/node";

const directory = process.argv[3] ?? ".";
const app = new Hono();
app.get("/api/hello", (c) => c.json({ hello: "world" }));
app.get("/files/*", (c) => serveDir(c.req.raw, { directory, urlRoot: "files" }));

const server = serve({ fetch: app.fetch, port: Number(process.argv[2] ?? 8000) }); // prints "Listening on http://localhost:8000/"
await server.ready();
process.on("SIGINT", () => void server.close());
