// The ceiling: a raw TCP server that counts request heads (CRLF CRLF) and writes a fixed 13-byte
// response per head, with no HTTP parsing. node:net on Node, Bun.listen on Bun, Deno.listen with a
// read/write loop on Deno. Prints `LISTENING <port>` once bound.
// Usage: <runtime> bench/servers/hello-raw.mjs
const REPLY = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!");

/** Counts complete heads in `chunk`, carrying a partial terminator across chunks in `state`. */
function countHeads(state, chunk) {
  let n = 0;
  let m = state.matched;
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i];
    if (c === (m === 0 || m === 2 ? 13 : 10)) {
      if (++m === 4) {
        n++;
        m = 0;
      }
    } else {
      m = c === 13 ? 1 : 0;
    }
  }
  state.matched = m;
  return n;
}

/** `n` copies of the reply, as one buffer. */
function replies(n) {
  if (n === 1) return REPLY;
  const out = new Uint8Array(REPLY.length * n);
  for (let i = 0; i < n; i++) out.set(REPLY, i * REPLY.length);
  return out;
}

if (globalThis.Deno) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(`LISTENING ${listener.addr.port}`);
  for await (const conn of listener) {
    (async () => {
      conn.setNoDelay(true);
      const buffer = new Uint8Array(16384);
      const state = { matched: 0 };
      try {
        for (;;) {
          const got = await conn.read(buffer);
          if (got === null) break;
          const n = countHeads(state, buffer.subarray(0, got));
          if (n === 0) continue;
          const out = replies(n);
          let written = 0;
          while (written < out.length) written += await conn.write(out.subarray(written));
        }
      } catch {
        // reset by the client
      }
      try {
        conn.close();
      } catch {
        // already closed
      }
    })();
  }
} else if (globalThis.Bun) {
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { matched: 0 };
      },
      data(socket, chunk) {
        const n = countHeads(socket.data, chunk);
        if (n > 0) socket.write(replies(n));
      },
    },
  });
  console.log(`LISTENING ${server.port}`);
} else {
  const net = await import("node:net");
  const server = net.createServer({ noDelay: true }, (socket) => {
    const state = { matched: 0 };
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      const n = countHeads(state, chunk);
      if (n > 0) socket.write(replies(n));
    });
  });
  server.listen(0, "127.0.0.1", () => console.log(`LISTENING ${server.address().port}`));
}
