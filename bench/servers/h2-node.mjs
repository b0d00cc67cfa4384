// node:http2 for the HTTP/2 benchmark (nghttp2 in C): `/hello` (13 bytes) and files of DIR with
// `respondWithFile` (Content-Length, Last-Modified), over TLS or cleartext (h2c). Prints
// `LISTENING <port>` once bound.
// Usage: node bench/servers/h2-node.mjs DIR [CERT KEY]
import { readFileSync } from "node:fs";
import * as http2 from "node:http2";
import { join, normalize } from "node:path";

const [dir, cert, key] = process.argv.slice(2);
const onStream = (stream, headers) => {
  // h2load closes its connections with streams in flight: not an error worth dying of.
  stream.on("error", () => {});
  const path = headers[":path"];
  if (path === "/hello") {
    stream.respond({ ":status": 200, "content-type": "text/plain", "content-length": 13 });
    stream.end("Hello, World!");
    return;
  }
  const file = join(dir, normalize(decodeURIComponent(path)));
  stream.respondWithFile(
    file,
    { "content-type": "application/octet-stream" },
    {
      statCheck(stat, headers) {
        headers["last-modified"] = stat.mtime.toUTCString();
      },
      onError() {
        stream.respond({ ":status": 404 });
        stream.end();
      },
    },
  );
};
const server = cert === undefined ? http2.createServer() : http2.createSecureServer({ cert: readFileSync(cert), key: readFileSync(key) });
server.on("stream", onStream);
server.on("sessionError", () => {});
process.on("SIGTERM", () => process.exit(0));
server.listen(0, "127.0.0.1", () => console.log(`LISTENING ${server.address().port}`));
