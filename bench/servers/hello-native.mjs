// "hello" with the runtime's own HTTP server: node:http on Node, Bun.serve on Bun, Deno.serve on
// Deno; the same 13-byte body. Prints `LISTENING <port>` once bound.
// Usage: <runtime> bench/servers/hello-native.mjs
const BODY = "Hello, World!";

if (globalThis.Deno) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(`LISTENING ${port}`) },
    () => new Response(BODY),
  );
  await server.finished;
} else if (globalThis.Bun) {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(BODY) });
  console.log(`LISTENING ${server.port}`);
} else {
  const http = await import("node:http");
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Length": "13" });
    res.end(BODY);
  });
  server.listen(0, "127.0.0.1", () => console.log(`LISTENING ${server.address().port}`));
}
