/**
 * The Autobahn TestSuite's cases for a server, categories 1–7, 9.1–9.8, 10, 12 and 13, written
 * from the published definitions (crossbario/autobahn-testsuite, `autobahntestsuite/case/`):
 * the same frames, expected events, close expectations and waits. Category 9.9/9.10 (a message
 * of unlimited size) is left out: the server bounds messages by `maxPayload`. Categories 12 and
 * 13 use data generated here in place of Autobahn's files (text, JSON, HTML, a bitmap and
 * already-compressed bytes, each ~250 KB).
 */
import * as zlib from "node:zlib";
import type { CaseSpec, ExpectedClose, Observed, Run } from "./autobahn.js";
import { compressionCount } from "./autobahn.js";

const NORMAL = 1000;
const PROTOCOL_ERROR = 1002;
const INVALID_PAYLOAD = 1007;

const okClose: ExpectedClose = { closedByMe: true, closeCode: [NORMAL], requireClean: true };
const failedBy = (code: number, fatal = false): ExpectedClose => ({
  closedByMe: false,
  closeCode: [code],
  requireClean: false,
  ...(fatal ? { closedByWrongEndpointIsFatal: true } : {}),
});

const bin = (s: string) => Buffer.from(s, "latin1");
const message = (payload: string | Buffer, binary: boolean): Observed => ["message", payload, binary];

const cases: CaseSpec[] = [];
const add = (id: string, description: string, open: (c: Run) => void, extra: Partial<CaseSpec> = {}) =>
  cases.push({ id, description, open, ...extra });

// -- 1 Framing --
const SIZES = [0, 125, 126, 127, 128, 65535, 65536];
SIZES.forEach((n, i) =>
  add(`1.1.${i + 1}`, `Send text message with payload ${n}`, (c) => {
    const payload = "*".repeat(n);
    c.expected.OK = [message(payload, false)];
    c.expectedClose = okClose;
    c.sendFrame({ opcode: 1, payload });
    c.killAfter(n >= 65535 ? 10 : 1);
  }),
);
add("1.1.8", "Send text message with payload 65536, in chops of 997 octets", (c) => {
  const payload = "*".repeat(65536);
  c.expected.OK = [message(payload, false)];
  c.expectedClose = okClose;
  c.sendFrame({ opcode: 1, payload, chopsize: 997 });
  c.killAfter(10);
});
SIZES.forEach((n, i) =>
  add(`1.2.${i + 1}`, `Send binary message with payload ${n}`, (c) => {
    const payload = Buffer.alloc(n, 0xfe);
    c.expected.OK = [message(payload, true)];
    c.expectedClose = okClose;
    c.sendFrame({ opcode: 2, payload });
    c.killAfter(n >= 65535 ? 10 : 1);
  }),
);
add("1.2.8", "Send binary message with payload 65536, in chops of 997 octets", (c) => {
  const payload = Buffer.alloc(65536, 0xfe);
  c.expected.OK = [message(payload, true)];
  c.expectedClose = okClose;
  c.sendFrame({ opcode: 2, payload, chopsize: 997 });
  c.killAfter(10);
});

// -- 2 Pings/Pongs --
const pingCase = (id: string, description: string, payload: Buffer, chopsize?: number) =>
  add(id, description, (c) => {
    c.expected.OK = [["pong", payload]];
    c.expectedClose = okClose;
    c.sendFrame({ opcode: 9, payload, chopsize });
    c.closeAfter(chopsize ? 2 : 1);
  });
pingCase("2.1", "Send ping without payload", Buffer.alloc(0));
pingCase("2.2", "Send ping with small text payload", bin("Hello, world!"));
pingCase("2.3", "Send ping with small binary (non UTF-8) payload", bin("\x00\xff\xfe\xfd\xfc\xfb\x00\xff"));
pingCase("2.4", "Send ping with binary payload of 125 octets", Buffer.alloc(125, 0xfe));
add("2.5", "Send ping with binary payload of 126 octets", (c) => {
  c.expected.OK = [];
  c.expectedClose = failedBy(PROTOCOL_ERROR);
  c.sendFrame({ opcode: 9, payload: Buffer.alloc(126, 0xfe) });
  c.killAfter(1);
});
pingCase("2.6", "Send ping with binary payload of 125 octets, in octet-wise chops", Buffer.alloc(125, 0xfe), 1);
add("2.7", "Send unsolicited pong without payload", (c) => {
  c.expected.OK = [];
  c.expectedClose = okClose;
  c.sendFrame({ opcode: 10 });
  c.sendClose(NORMAL);
  c.closeAfter(1);
});
add("2.8", "Send unsolicited pong with payload", (c) => {
  c.expected.OK = [];
  c.expectedClose = okClose;
  c.sendFrame({ opcode: 10, payload: "unsolicited pong payload" });
  c.sendClose(NORMAL);
  c.closeAfter(1);
});
add("2.9", "Send unsolicited pong with payload, then ping with payload", (c) => {
  c.expected.OK = [["pong", bin("ping payload")]];
  c.expectedClose = okClose;
  c.sendFrame({ opcode: 10, payload: "unsolicited pong payload" });
  c.sendFrame({ opcode: 9, payload: "ping payload" });
  c.closeAfter(1);
});
for (const [id, chopsize] of [
  ["2.10", undefined],
  ["2.11", 1],
] as const) {
  add(id, `Send 10 pings with payload${chopsize ? ", in octet-wise chops" : ""}`, (c) => {
    c.expected.OK = [];
    for (let i = 0; i < 10; i++) {
      c.expected.OK.push(["pong", bin(`payload-${i}`)]);
      c.sendFrame({ opcode: 9, payload: `payload-${i}`, chopsize });
    }
    c.expectedClose = okClose;
    c.closeAfter(3);
  });
}

// -- 3 Reserved bits --
add("3.1", "Send small text message with RSV = 1", (c) => {
  c.expected.OK = [];
  c.expectedClose = failedBy(PROTOCOL_ERROR);
  c.sendFrame({ opcode: 1, payload: "Hello, world!", rsv: 1 });
  c.killAfter(1);
});
for (const [id, rsv, how] of [
  ["3.2", 2, {}],
  ["3.3", 3, { sync: true }],
  ["3.4", 4, { chopsize: 1 }],
] as const) {
  add(id, `Send small text message, then again with RSV = ${rsv}, then ping`, (c) => {
    const payload = "Hello, world!";
    c.expected.OK = [message(payload, false)];
    c.expected["NON-STRICT"] = [];
    c.expectedClose = failedBy(PROTOCOL_ERROR);
    c.sendFrame({ opcode: 1, payload, ...how });
    c.sendFrame({ opcode: 1, payload, rsv, ...how });
    c.sendFrame({ opcode: 9, ...how });
    c.killAfter(1);
  });
}
add("3.5", "Send small binary message with RSV = 5", (c) => {
  c.expected.OK = [];
  c.expectedClose = failedBy(PROTOCOL_ERROR);
  c.sendFrame({ opcode: 2, payload: bin("\x00\xff\xfe\xfd\xfc\xfb\x00\xff"), rsv: 5 });
  c.killAfter(1);
});
add("3.6", "Send ping with RSV = 6", (c) => {
  c.expected.OK = [];
  c.expectedClose = failedBy(PROTOCOL_ERROR);
  c.sendFrame({ opcode: 2, payload: "Hello, world!", rsv: 6 });
  c.killAfter(1);
});
add("3.7", "Send close with RSV = 7", (c) => {
  c.expected.OK = [];
  c.expectedClose = failedBy(PROTOCOL_ERROR);
  c.sendFrame({ opcode: 8, rsv: 7 });
  c.killAfter(1);
});

// -- 4 Opcodes --
const reserved = (id: string, opcode: number, withPayload: boolean, afterMessage: boolean, chopsize?: number) =>
  add(id, `Send frame with reserved opcode ${opcode}${afterMessage ? " after a text message, then ping" : ""}`, (c) => {
    const payload = "Hello, world!";
    c.expected.OK = afterMessage ? [message(payload, false)] : [];
    if (afterMessage) c.expected["NON-STRICT"] = [];
    c.expectedClose = failedBy(PROTOCOL_ERROR);
    if (afterMessage) c.sendFrame({ opcode: 1, payload, chopsize });
    c.sendFrame({ opcode, payload: withPayload ? (afterMessage ? payload : "reserved opcode payload") : undefined, chopsize });
    if (afterMessage) c.sendFrame({ opcode: 9, chopsize });
    c.killAfter(1);
  });
reserved("4.1.1", 3, false, false);
reserved("4.1.2", 4, true, false);
reserved("4.1.3", 5, false, true);
reserved("4.1.4", 6, true, true);
reserved("4.1.5", 7, true, true, 1);
reserved("4.2.1", 11, false, false);
reserved("4.2.2", 12, true, false);
reserved("4.2.3", 13, false, true);
reserved("4.2.4", 14, true, true);
reserved("4.2.5", 15, true, true, 1);

// -- 5 Fragmentation --
add("5.1", "Send ping fragmented into 2 fragments", (c) => {
  c.expected.OK = [];
  c.expectedClose = failedBy(PROTOCOL_ERROR);
  c.sendFrame({ opcode: 9, fin: false, payload: "fragment1" });
  c.sendFrame({ opcode: 0, fin: true, payload: "fragment2" });
  c.killAfter(1);
});
add("5.2", "Send pong fragmented into 2 fragments", (c) => {
  c.expected.OK = [];
  c.expectedClose = failedBy(PROTOCOL_ERROR);
  c.sendFrame({ opcode: 10, fin: false, payload: "fragment1" });
  c.sendFrame({ opcode: 0, fin: true, payload: "fragment2" });
  c.killAfter(1);
});
for (const [id, how] of [
  ["5.3", {}],
  ["5.4", { sync: true }],
  ["5.5", { chopsize: 1 }],
] as const) {
  add(id, "Send text message fragmented into 2 fragments", (c) => {
    c.expected.OK = [message("fragment1fragment2", false)];
    c.expectedClose = okClose;
    c.sendFrame({ opcode: 1, fin: false, payload: "fragment1", ...how });
    c.sendFrame({ opcode: 0, fin: true, payload: "fragment2", ...how });
    c.closeAfter(1);
  });
}
for (const [id, how] of [
  ["5.6", {}],
  ["5.7", { sync: true }],
  ["5.8", { chopsize: 1 }],
] as const) {
  add(id, "Send text message fragmented into 2 fragments, one ping with payload in-between", (c) => {
    c.expected.OK = [["pong", bin("ping payload")], message("fragment1fragment2", false)];
    c.expectedClose = okClose;
    c.sendFrame({ opcode: 1, fin: false, payload: "fragment1", ...how });
    c.sendFrame({ opcode: 9, fin: true, payload: "ping payload", ...how });
    c.sendFrame({ opcode: 0, fin: true, payload: "fragment2", ...how });
    c.closeAfter(1);
  });
}
for (const [id, fin, how] of [
  ["5.9", true, {}],
  ["5.10", true, { sync: true }],
  ["5.11", true, { chopsize: 1 }],
  ["5.12", false, {}],
  ["5.13", false, { sync: true }],
  ["5.14", false, { chopsize: 1 }],
] as const) {
  add(id, `Send unfragmented text message after a continuation frame with FIN = ${fin}, where there is nothing to continue`, (c) => {
    c.expected.OK = [];
    c.expectedClose = failedBy(PROTOCOL_ERROR);
    c.sendFrame({ opcode: 0, fin, payload: "non-continuation payload", ...how });
    c.sendFrame({ opcode: 1, fin: true, payload: "Hello, world!", ...how });
    c.killAfter(1);
  });
}
add("5.15", "Send text message in 2 fragments, then a continuation with nothing to continue, then a text message", (c) => {
  c.expected.OK = [message("fragment1fragment2", false)];
  c.expected["NON-STRICT"] = [];
  c.expectedClose = failedBy(PROTOCOL_ERROR);
  c.sendFrame({ opcode: 1, fin: false, payload: "fragment1" });
  c.sendFrame({ opcode: 0, fin: true, payload: "fragment2" });
  c.sendFrame({ opcode: 0, fin: false, payload: "fragment3" });
  c.sendFrame({ opcode: 1, fin: true, payload: "fragment4" });
  c.killAfter(1);
});
for (const [id, fin] of [
  ["5.16", false],
  ["5.17", true],
] as const) {
  add(id, `Repeated 2x: continuation with FIN = ${fin} (nothing to continue), then a text message in 2 fragments`, (c) => {
    c.expected.OK = [];
    c.expectedClose = failedBy(PROTOCOL_ERROR);
    for (let i = 0; i < 2; i++) {
      c.sendFrame({ opcode: 0, fin, payload: "fragment1" });
      c.sendFrame({ opcode: 1, fin: false, payload: "fragment2" });
      c.sendFrame({ opcode: 0, fin: true, payload: "fragment3" });
    }
    c.killAfter(1);
  });
}
add("5.18", "Send text message in 2 fragments, both with opcode text", (c) => {
  c.expected.OK = [];
  c.expectedClose = failedBy(PROTOCOL_ERROR);
  c.sendFrame({ opcode: 1, fin: false, payload: "fragment1" });
  c.sendFrame({ opcode: 1, fin: true, payload: "fragment2" });
  c.killAfter(1);
});
for (const [id, sync] of [
  ["5.19", false],
  ["5.20", true],
] as const) {
  add(id, "A fragmented text message with pings in between, with a wait of 1 s in the middle", (c) => {
    const fragments = ["fragment1", "fragment2", "fragment3", "fragment4", "fragment5"];
    const pings = ["pongme 1!", "pongme 2!"];
    c.expected.OK = [["pong", bin(pings[0])], ["pong", bin(pings[1])], message(fragments.join(""), false)];
    c.expectedClose = okClose;
    c.sendFrame({ opcode: 1, fin: false, payload: fragments[0], sync });
    c.sendFrame({ opcode: 0, fin: false, payload: fragments[1], sync });
    c.sendFrame({ opcode: 9, payload: pings[0], sync });
    c.continueLater(1, () => {
      c.sendFrame({ opcode: 0, fin: false, payload: fragments[2], sync });
      c.sendFrame({ opcode: 0, fin: false, payload: fragments[3], sync });
      c.sendFrame({ opcode: 9, payload: pings[1], sync });
      c.sendFrame({ opcode: 0, fin: true, payload: fragments[4], sync });
      c.closeAfter(1);
    });
  });
}

// -- 6 UTF-8 handling --
add("6.1.1", "Send text message of length 0", (c) => {
  c.expected.OK = [message("", false)];
  c.expectedClose = okClose;
  c.sendFrame({ opcode: 1, payload: "" });
  c.closeAfter(1);
});
add("6.1.2", "Send fragmented text message, 3 fragments each of length 0", (c) => {
  c.expected.OK = [message("", false)];
  c.expectedClose = okClose;
  c.sendFrame({ opcode: 1, fin: false, payload: "" });
  c.sendFrame({ opcode: 0, fin: false, payload: "" });
  c.sendFrame({ opcode: 0, fin: true, payload: "" });
  c.closeAfter(1);
});
add("6.1.3", "Send fragmented text message, 3 fragments, first and last of length 0", (c) => {
  c.expected.OK = [message("middle frame payload", false)];
  c.expectedClose = okClose;
  c.sendFrame({ opcode: 1, fin: false, payload: "" });
  c.sendFrame({ opcode: 0, fin: false, payload: "middle frame payload" });
  c.sendFrame({ opcode: 0, fin: true, payload: "" });
  c.closeAfter(1);
});
const HELLO = "Hello-µ@ßöäüàá-UTF-8!!";
add("6.2.1", "Send a valid UTF-8 text message in one fragment", (c) => {
  c.expected.OK = [message(HELLO, false)];
  c.expectedClose = okClose;
  c.sendMessage(HELLO, false);
  c.closeAfter(1);
});
add("6.2.2", "Send a valid UTF-8 text message in two fragments, split on a code point boundary", (c) => {
  c.expected.OK = [message(HELLO, false)];
  c.expectedClose = okClose;
  c.sendFrame({ opcode: 1, fin: false, payload: Buffer.from("Hello-µ@ßöä") });
  c.sendFrame({ opcode: 0, fin: true, payload: Buffer.from("üàá-UTF-8!!") });
  c.closeAfter(1);
});
add("6.2.3", "Send a valid UTF-8 text message in fragments of 1 octet", (c) => {
  c.expected.OK = [message(HELLO, false)];
  c.expectedClose = okClose;
  c.sendMessage(Buffer.from(HELLO), false, 1);
  c.closeAfter(1);
});
const KOSME = bin("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5");
add("6.2.4", "Send a valid UTF-8 text message in fragments of 1 octet (κόσμε)", (c) => {
  c.expected.OK = [message(KOSME.toString("utf8"), false)];
  c.expectedClose = okClose;
  c.sendMessage(KOSME, false, 1);
  c.closeAfter(1);
});
const INVALID = Buffer.concat([KOSME, bin("\xed\xa0\x80"), bin("edited")]);
add("6.3.1", "Send invalid UTF-8 text message unfragmented", (c) => {
  c.expected.OK = [];
  c.expectedClose = failedBy(INVALID_PAYLOAD, true);
  c.sendMessage(INVALID, false);
  c.killAfter(1);
});
add("6.3.2", "Send invalid UTF-8 text message in fragments of 1 octet", (c) => {
  c.expected.OK = [];
  c.expectedClose = failedBy(INVALID_PAYLOAD, true);
  c.sendMessage(INVALID, false, 1);
  c.killAfter(1);
});
const FAIL_FAST = Buffer.concat([KOSME, bin("\xf4\x90\x80\x80"), bin("edited")]);
const failFast = (id: string, description: string, parts: Buffer[], oneFrame: boolean) =>
  add(id, description, (c) => {
    c.expected.OK = [["timeout", "A"]];
    c.expected["NON-STRICT"] = [
      ["timeout", "A"],
      ["timeout", "B"],
    ];
    c.expectedClose = failedBy(INVALID_PAYLOAD, true);
    const send = (i: number) =>
      oneFrame ? c.sendFrameData(parts[i]) : c.sendFrame({ opcode: i === 0 ? 1 : 0, fin: i === 2, payload: parts[i] });
    if (oneFrame) c.beginFrame(FAIL_FAST.length);
    send(0);
    c.continueLater(1, () => {
      if (!c.isOpen) return;
      c.mark("A");
      send(1);
      c.continueLater(1, () => {
        if (!c.isOpen) return;
        c.mark("B");
        send(2);
        c.killAfter(1);
      });
    });
  });
failFast(
  "6.4.1",
  "Invalid UTF-8 in 3 frames, waiting in between: the 2nd frame fails at once",
  [KOSME, bin("\xf4\x90\x80\x80"), bin("edited")],
  false,
);
failFast(
  "6.4.2",
  "As 6.4.1, the 2nd frame only up to the octet that makes it invalid",
  [FAIL_FAST.subarray(0, 12), FAIL_FAST.subarray(12, 13), FAIL_FAST.subarray(13)],
  false,
);
failFast("6.4.3", "As 6.4.1, in 3 chops of one frame", [KOSME, bin("\xf4\x90\x80\x80"), bin("edited")], true);
failFast(
  "6.4.4",
  "As 6.4.2, in 3 chops of one frame",
  [FAIL_FAST.subarray(0, 12), FAIL_FAST.subarray(12, 13), FAIL_FAST.subarray(13)],
  true,
);

/** Markus Kuhn's UTF-8 decoder test sequences, as Autobahn groups them into 6.5–6.23. */
function utf8Sequences(): [string, [boolean, Buffer][]][] {
  const groups: [string, [boolean, Buffer][]][] = [];
  const g = (name: string, items: [boolean, string][]) => groups.push([name, items.map(([ok, s]) => [ok, bin(s)])]);
  g("Some valid UTF-8 sequences", [
    [true, "hello\x24world"],
    [true, "hello\xC2\xA2world"],
    [true, "hello\xE2\x82\xACworld"],
    [true, "hello\xF0\xA4\xAD\xA2world"],
    [true, KOSME.toString("latin1")],
  ]);
  const prefixes: [boolean, string][] = [];
  for (let i = 1; i <= KOSME.length; i++) {
    const prefix = KOSME.subarray(0, i);
    let valid = true;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(prefix);
    } catch {
      valid = false;
    }
    prefixes.push([valid, prefix.toString("latin1")]);
  }
  g("All prefixes of a valid UTF-8 string that contains multi-byte code points", prefixes);
  g("First possible sequence of a certain length", [
    [true, "\x00"],
    [true, "\xc2\x80"],
    [true, "\xe0\xa0\x80"],
    [true, "\xf0\x90\x80\x80"],
  ]);
  g("First possible sequence length 5/6 (invalid codepoints)", [
    [false, "\xf8\x88\x80\x80\x80"],
    [false, "\xfc\x84\x80\x80\x80\x80"],
  ]);
  g("Last possible sequence of a certain length", [
    [true, "\x7f"],
    [true, "\xdf\xbf"],
    [true, "\xef\xbf\xbf"],
    [true, "\xf4\x8f\xbf\xbf"],
  ]);
  g("Last possible sequence length 4/5/6 (invalid codepoints)", [
    [false, "\xf7\xbf\xbf\xbf"],
    [false, "\xfb\xbf\xbf\xbf\xbf"],
    [false, "\xfd\xbf\xbf\xbf\xbf\xbf"],
  ]);
  g("Other boundary conditions", [
    [true, "\xed\x9f\xbf"],
    [true, "\xee\x80\x80"],
    [true, "\xef\xbf\xbd"],
    [true, "\xf4\x8f\xbf\xbf"],
    [false, "\xf4\x90\x80\x80"],
  ]);
  let continuation = "";
  for (let i = 0x80; i < 0xbf; i++) continuation += String.fromCharCode(i);
  g("Unexpected continuation bytes", [
    [false, "\x80"],
    [false, "\xbf"],
    [false, "\x80\xbf"],
    [false, "\x80\xbf\x80"],
    [false, "\x80\xbf\x80\xbf"],
    [false, "\x80\xbf\x80\xbf\x80"],
    [false, "\x80\xbf\x80\xbf\x80\xbf"],
    [false, continuation],
  ]);
  const lonely: [boolean, string][] = [];
  for (const [from, to] of [
    [0xc0, 0xdf],
    [0xe0, 0xef],
    [0xf0, 0xf7],
    [0xf8, 0xfb],
    [0xfc, 0xfd],
  ]) {
    let s = "";
    for (let i = from; i < to; i++) s += String.fromCharCode(i) + " ";
    lonely.push([false, s]);
  }
  g("Lonely start characters", lonely);
  const missing = [
    "\xc0",
    "\xe0\x80",
    "\xf0\x80\x80",
    "\xf8\x80\x80\x80",
    "\xfc\x80\x80\x80\x80",
    "\xdf",
    "\xef\xbf",
    "\xf7\xbf\xbf",
    "\xfb\xbf\xbf\xbf",
    "\xfd\xbf\xbf\xbf\xbf",
  ];
  g(
    "Sequences with last continuation byte missing",
    missing.map((s) => [false, s]),
  );
  g("Concatenation of incomplete sequences", [[false, missing.join("")]]);
  g("Impossible bytes", [
    [false, "\xfe"],
    [false, "\xff"],
    [false, "\xfe\xfe\xff\xff"],
  ]);
  g("Examples of an overlong ASCII character", [
    [false, "\xc0\xaf"],
    [false, "\xe0\x80\xaf"],
    [false, "\xf0\x80\x80\xaf"],
    [false, "\xf8\x80\x80\x80\xaf"],
    [false, "\xfc\x80\x80\x80\x80\xaf"],
  ]);
  g("Maximum overlong sequences", [
    [false, "\xc1\xbf"],
    [false, "\xe0\x9f\xbf"],
    [false, "\xf0\x8f\xbf\xbf"],
    [false, "\xf8\x87\xbf\xbf\xbf"],
    [false, "\xfc\x83\xbf\xbf\xbf\xbf"],
  ]);
  g("Overlong representation of the NUL character", [
    [false, "\xc0\x80"],
    [false, "\xe0\x80\x80"],
    [false, "\xf0\x80\x80\x80"],
    [false, "\xf8\x80\x80\x80\x80"],
    [false, "\xfc\x80\x80\x80\x80\x80"],
  ]);
  g(
    "Single UTF-16 surrogates",
    ["\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf"].map((s) => [false, s]),
  );
  g(
    "Paired UTF-16 surrogates",
    [
      "\xed\xa0\x80\xed\xb0\x80",
      "\xed\xa0\x80\xed\xbf\xbf",
      "\xed\xad\xbf\xed\xb0\x80",
      "\xed\xad\xbf\xed\xbf\xbf",
      "\xed\xae\x80\xed\xb0\x80",
      "\xed\xae\x80\xed\xbf\xbf",
      "\xed\xaf\xbf\xed\xb0\x80",
      "\xed\xaf\xbf\xed\xbf\xbf",
    ].map((s) => [false, s]),
  );
  const nonCharacters: [boolean, string][] = [
    [true, "\xef\xbf\xbe"],
    [true, "\xef\xbf\xbf"],
  ];
  for (const z1 of ["\xf0", "\xf1", "\xf2", "\xf3", "\xf4"]) {
    for (const z2 of ["\x8f", "\x9f", "\xaf", "\xbf"]) {
      if (z1 === "\xf4" && z2 !== "\x8f") continue;
      for (const z3 of ["\xbe", "\xbf"]) {
        const zz = z1 + z2 + "\xbf" + z3;
        if (zz !== "\xf0\x8f\xbf\xbe" && zz !== "\xf0\x8f\xbf\xbf") nonCharacters.push([true, zz]);
      }
    }
  }
  g("Non-character code points (valid UTF-8)", nonCharacters);
  g(
    "Unicode specials (i.e. replacement char)",
    ["\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf"].map((s) => [true, s]),
  );
  return groups;
}
utf8Sequences().forEach(([name, items], g) =>
  items.forEach(([valid, payload], i) =>
    add(`6.${g + 5}.${i + 1}`, `${name}: ${valid ? "valid" : "invalid"} 0x${payload.toString("hex")}`, (c) => {
      if (valid) {
        c.expected.OK = [message(payload.toString("utf8"), false)];
        c.expectedClose = okClose;
      } else {
        c.expected.OK = [];
        c.expectedClose = failedBy(INVALID_PAYLOAD, true);
      }
      c.sendMessage(payload, false);
      c.killAfter(0.5);
    }),
  ),
);

// -- 7 Close handling --
const close7 = (id: string, description: string, open: (c: Run) => void, after: CaseSpec["after"] = "close-code-fatal") =>
  add(
    id,
    description,
    (c) => {
      c.suppressClose = id !== "7.1.1";
      open(c);
    },
    { after },
  );
close7("7.1.1", "Send a message followed by a close frame", (c) => {
  c.expected.OK = [message("Hello World!", false)];
  c.expectedClose = okClose;
  c.sendFrame({ opcode: 1, payload: "Hello World!" });
  c.killAfter(1);
});
close7("7.1.2", "Send two close frames", (c) => {
  c.expected.OK = [];
  c.expectedClose = okClose;
  c.sendClose(NORMAL);
  c.sendFrame({ opcode: 8 });
  c.killAfter(1);
});
close7("7.1.3", "Send a ping after close message", (c) => {
  c.expected.OK = [];
  c.expectedClose = okClose;
  c.sendClose(NORMAL);
  c.sendFrame({ opcode: 9 });
  c.killAfter(1);
});
close7("7.1.4", "Send text message after sending a close frame", (c) => {
  c.expected.OK = [];
  c.expectedClose = okClose;
  c.sendClose(NORMAL);
  c.sendFrame({ opcode: 1, payload: "Hello World!" });
  c.killAfter(1);
});
close7("7.1.5", "Send message fragment1 followed by close then fragment", (c) => {
  c.expected.OK = [];
  c.expectedClose = okClose;
  c.sendFrame({ opcode: 1, fin: false, payload: "fragment1" });
  c.sendClose(NORMAL);
  c.sendFrame({ opcode: 0, fin: true, payload: "fragment2" });
  c.killAfter(1);
});
close7(
  "7.1.6",
  "Send 256K message followed by close then a ping",
  (c) => {
    c.expected.OK = [message("Hello World!", false)];
    c.expected["NON-STRICT"] = [];
    c.expectedClose = okClose;
    c.sendFrame({ opcode: 1, payload: "BAsd7&jh23", payloadLen: 256 * 1024 });
    c.sendFrame({ opcode: 1, payload: "Hello World!" });
    c.sendClose(NORMAL);
    c.sendFrame({ opcode: 9 });
    c.killAfter(1);
  },
  "informational",
);
close7("7.3.1", "Send a close frame with payload length 0 (no close code, no close reason)", (c) => {
  c.expected.OK = [];
  c.expectedClose = okClose;
  c.sendCloseFrame();
  c.killAfter(1);
});
close7("7.3.2", "Send a close frame with payload length 1", (c) => {
  c.expected.OK = [];
  c.expectedClose = { closedByMe: true, closeCode: [PROTOCOL_ERROR], requireClean: false };
  c.sendCloseFrame(null, "a");
  c.killAfter(1);
});
close7("7.3.3", "Send a close frame with payload length 2 (regular close with a code)", (c) => {
  c.expected.OK = [];
  c.expectedClose = okClose;
  c.sendClose(NORMAL);
  c.killAfter(1);
});
close7("7.3.4", "Send a close frame with close code and close reason", (c) => {
  c.expected.OK = [];
  c.expectedClose = okClose;
  c.sendClose(NORMAL, "Hello World!");
  c.killAfter(1);
});
close7("7.3.5", "Send a close frame with close code and close reason of maximum length (123)", (c) => {
  c.expected.OK = [];
  c.expectedClose = okClose;
  c.sendClose(NORMAL, "*".repeat(123));
  c.killAfter(1);
});
close7("7.3.6", "Send a close frame with close code and close reason which is too long (124)", (c) => {
  c.expected.OK = [];
  c.expectedClose = { closedByMe: true, closeCode: [PROTOCOL_ERROR], requireClean: false };
  c.sendCloseFrame(NORMAL, "*".repeat(124));
  c.killAfter(1);
});
close7("7.5.1", "Send a close frame with invalid UTF8 payload", (c) => {
  c.expected.OK = [];
  c.expectedClose = { closedByMe: true, closeCode: [PROTOCOL_ERROR, INVALID_PAYLOAD], requireClean: false };
  c.sendCloseFrame(NORMAL, INVALID);
  c.killAfter(1);
});
[1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999].forEach((code, i) =>
  close7(`7.7.${i + 1}`, `Send close with valid close code ${code}`, (c) => {
    c.expected.OK = [];
    c.expectedClose = { closedByMe: true, closeCode: [NORMAL, code], requireClean: true };
    c.sendCloseFrame(code);
    c.killAfter(1);
  }),
);
[0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999].forEach((code, i) =>
  close7(`7.9.${i + 1}`, `Send close with invalid close code ${code}`, (c) => {
    c.expected.OK = [];
    c.expectedClose = { closedByMe: true, closeCode: [PROTOCOL_ERROR], requireClean: false };
    c.sendCloseFrame(code);
    c.killAfter(1);
  }),
);
[5000, 65535].forEach((code, i) =>
  close7(
    `7.13.${i + 1}`,
    `Send close with close code ${code}`,
    (c) => {
      c.expected.OK = [];
      c.expectedClose = { closedByMe: true, closeCode: [NORMAL, code, PROTOCOL_ERROR], requireClean: false };
      c.sendCloseFrame(code);
      c.killAfter(1);
    },
    "informational",
  ),
);

// -- 9 Limits/performance --
/** A case that sends one big message and passes once the echo has its length (Autobahn's 9.1–9.6). */
const big = (id: string, description: string, binary: boolean, length: number, send: (c: Run) => void, wait: number) =>
  add(
    id,
    description,
    (c) => {
      c.behavior = "FAILED";
      c.result = `Did not receive message within ${wait} seconds.`;
      c.expectedClose = okClose;
      send(c);
      c.closeAfter(wait);
    },
    {
      message: (c, data, isBinary) => {
        if (isBinary !== binary) c.result = `Expected ${binary ? "binary" : "text"} message, got ${isBinary ? "binary" : "text"}.`;
        else if (data.length !== length) c.result = `Expected a message of ${length}, got ${data.length}.`;
        else {
          c.behavior = "OK";
          c.result = `Received message of length ${data.length}.`;
        }
        c.sendClose(NORMAL);
      },
    },
  );
const KI = 1024;
const MI = 1024 * 1024;
[64 * KI, 256 * KI, MI, 4 * MI, 8 * MI, 16 * MI].forEach((n, i) => {
  big(
    `9.1.${i + 1}`,
    `Send text message of ${n} bytes`,
    false,
    n,
    (c) => c.sendFrame({ opcode: 1, payload: "BAsd7&jh23", payloadLen: n }),
    n > MI ? 100 : 10,
  );
  big(
    `9.2.${i + 1}`,
    `Send binary message of ${n} bytes`,
    true,
    n,
    (c) => c.sendFrame({ opcode: 2, payload: bin("\x00\xfe\x23\xfa\xf0"), payloadLen: n }),
    n > MI ? 100 : 10,
  );
});
[64, 256, KI, 4 * KI, 16 * KI, 64 * KI, 256 * KI, MI, 4 * MI].forEach((fragment, i) => {
  big(
    `9.3.${i + 1}`,
    `Send a 4 MiB text message in fragments of ${fragment}`,
    false,
    4 * MI,
    (c) => c.sendMessage("*".repeat(4 * MI), false, fragment),
    100,
  );
  big(
    `9.4.${i + 1}`,
    `Send a 4 MiB binary message in fragments of ${fragment}`,
    true,
    4 * MI,
    (c) => c.sendMessage(Buffer.alloc(4 * MI, 0xfe), true, fragment),
    100,
  );
});
[64, 128, 256, 512, 1024, 2048].forEach((chopsize, i) => {
  big(
    `9.5.${i + 1}`,
    `Send a 1 MiB text message in chops of ${chopsize}`,
    false,
    MI,
    (c) => c.sendFrame({ opcode: 1, payload: "BAsd7&jh23", payloadLen: MI, chopsize }),
    1000,
  );
  big(
    `9.6.${i + 1}`,
    `Send a 1 MiB binary message in chops of ${chopsize}`,
    true,
    MI,
    (c) => c.sendFrame({ opcode: 2, payload: bin("\x00\xfe\x23\xfa\xf0"), payloadLen: MI, chopsize }),
    1000,
  );
});
/** Round trips of `count` messages of `length` (9.7, 9.8; 12, 13 with `payloads`). */
function roundTrips(c: Run, binary: boolean, count: number, next: () => Buffer | string, wait: number): void {
  c.behavior = "FAILED";
  c.result = `Case did not finish within ${wait} seconds.`;
  c.expectedClose = okClose;
  c.closeAfter(wait);
  c.vars.count = 0;
  c.vars.next = next;
  c.vars.total = count;
  c.vars.binary = binary;
  sendOne(c);
}
function sendOne(c: Run): void {
  const payload = (c.vars.next as () => Buffer | string)();
  c.vars.expect = payload;
  c.vars.count = (c.vars.count as number) + 1;
  if (c.deflate !== null) c.sendMessage(payload, c.vars.binary as boolean);
  else c.sendFrame({ opcode: c.vars.binary ? 2 : 1, payload: typeof payload === "string" ? Buffer.from(payload) : payload });
}
function checkEcho(c: Run, data: string | Buffer, binary: boolean): void {
  const expected = c.vars.expect as Buffer | string;
  const same = typeof expected === "string" ? data === expected : Buffer.isBuffer(data) && data.equals(expected);
  if (binary !== c.vars.binary || !same) {
    c.behavior = "FAILED";
    c.result = `Echoed message differs from what was sent (binary ${binary}, length ${data.length}).`;
    c.sendClose(NORMAL);
  } else if ((c.vars.count as number) < (c.vars.total as number)) sendOne(c);
  else {
    c.behavior = "OK";
    c.result = "Ok, received all echoed messages in time.";
    c.sendClose(NORMAL);
  }
}
[
  [0, 60],
  [16, 60],
  [64, 60],
  [256, 120],
  [1024, 240],
  [4096, 480],
].forEach(([length, wait], i) => {
  add(`9.7.${i + 1}`, `Send 1000 text messages of ${length} bytes`, (c) => roundTrips(c, false, 1000, () => "*".repeat(length), wait), {
    message: checkEcho,
  });
  add(
    `9.8.${i + 1}`,
    `Send 1000 binary messages of ${length} bytes`,
    (c) => roundTrips(c, true, 1000, () => Buffer.alloc(length, 0xfe), wait),
    { message: checkEcho },
  );
});

// -- 10 Misc --
add("10.1.1", "Send text message of 65536 bytes, auto-fragmented into frames of 1300", (c) => {
  const payload = "*".repeat(65536);
  c.autoFragmentSize = 1300;
  c.expected.OK = [message(payload, false)];
  c.expectedClose = okClose;
  c.sendMessage(payload, false);
  c.killAfter(10);
});

// -- 12, 13 Compression --
/** Deterministic bytes from a seed (a small xorshift generator). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
const WORDS =
  "und der die das ist nicht ein eine zu mit sich auf dem den des im für von wie auch so mein dich mir Welt Geist Faust Mephistopheles Nacht Himmel Erde".split(
    " ",
  );
function testData(): { name: string; binary: boolean; data: Buffer }[] {
  const r = random(7);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  let text = "";
  while (text.length < 240_000)
    text += Array.from({ length: 8 + Math.floor(r() * 8) }, () => pick(WORDS)).join(" ") + (r() < 0.3 ? ".\n" : ", ");
  const records = Array.from({ length: 1200 }, (_, i) => ({
    id: i,
    name: `user ${i}`,
    email: `u${i}@example.org`,
    tags: [pick(WORDS), pick(WORDS)],
    score: Math.round(r() * 1e6) / 100,
  }));
  let html = "<!DOCTYPE html><html><head><title>Data</title></head><body><table>\n";
  for (let i = 0; html.length < 240_000; i++)
    html += `<tr class="row-${i % 2}"><td>${i}</td><td>${pick(WORDS)} ${pick(WORDS)}</td><td><a href="/item/${i}">Übersicht</a></td></tr>\n`;
  const bitmap = Buffer.alloc(54 + 512 * 512);
  bitmap.write("BM", 0);
  bitmap.writeUInt32LE(bitmap.length, 2);
  bitmap.writeUInt32LE(54, 10);
  for (let i = 54; i < bitmap.length; i++) bitmap[i] = (((i - 54) % 512) + Math.floor((i - 54) / 512) + Math.floor(r() * 16)) & 0xff;
  const pdf = Buffer.concat([
    Buffer.from("%PDF-1.4\n"),
    zlib.deflateSync(Buffer.from(text.repeat(2))),
    Buffer.from(Array.from({ length: 60_000 }, () => Math.floor(r() * 256))),
  ]);
  return [
    { name: "JSON data", binary: false, data: Buffer.from(JSON.stringify(records)) },
    { name: "a 512×512 bitmap", binary: true, data: bitmap },
    { name: "German text", binary: true, data: Buffer.from(text) },
    { name: "HTML", binary: false, data: Buffer.from(html) },
    { name: "a PDF-like mix of compressed and random bytes", binary: true, data: pdf },
  ];
}
const MSG_SIZES: [number, number, number][] = [
  [16, 60, 0],
  [64, 60, 0],
  [256, 120, 0],
  [1024, 240, 0],
  [4096, 480, 0],
  [8192, 480, 0],
  [16384, 480, 0],
  [32768, 480, 0],
  [65536, 480, 0],
  [131072, 480, 0],
  [8192, 480, 256],
  [16384, 480, 256],
  [32768, 480, 256],
  [65536, 480, 256],
  [131072, 480, 256],
  [131072, 480, 1024],
  [131072, 480, 4096],
  [131072, 480, 32768],
];
/** Slices of `data` of `length` bytes, one after another, wrapping around (Autobahn's `sendOne`). */
function slicer(data: Buffer, length: number, binary: boolean): () => Buffer | string {
  // Text is taken in whole characters: the data is cut at code points, as Autobahn cuts a Unicode string.
  const source: Buffer | string = binary ? data : data.toString("utf8");
  let at = 0;
  return () => {
    const to = (at + length) % source.length;
    const piece =
      typeof source === "string"
        ? to > at
          ? source.slice(at, to)
          : source.slice(at) + source.slice(0, to)
        : to > at
          ? source.subarray(at, to)
          : Buffer.concat([source.subarray(at), source.subarray(0, to)]);
    at = to;
    return piece;
  };
}
const compression = (
  id: string,
  description: string,
  offer: string,
  data: { binary: boolean; data: Buffer },
  [length, wait, fragment]: [number, number, number],
) =>
  add(
    id,
    description,
    (c) => {
      c.autoFragmentSize = fragment;
      roundTrips(c, data.binary, compressionCount(), slicer(data.data, length, data.binary), wait);
    },
    {
      offer,
      message: (c, received, binary) => {
        // Text is compared by length in characters, as Autobahn does, and by content.
        checkEcho(c, received, binary);
      },
    },
  );
const DEFAULT_OFFER = "permessage-deflate; client_no_context_takeover; client_max_window_bits";
testData().forEach((set, j) =>
  MSG_SIZES.forEach((size, i) =>
    compression(
      `12.${j + 1}.${i + 1}`,
      `${set.name}: ${size[0]}-byte compressed messages, frames of ${size[2] || "any size"}`,
      DEFAULT_OFFER,
      set,
      size,
    ),
  ),
);
const offer = (noContextTakeover: boolean, bits: number) =>
  DEFAULT_OFFER + (noContextTakeover ? "; server_no_context_takeover" : "") + (bits ? `; server_max_window_bits=${bits}` : "");
const OFFERS = [
  offer(false, 0),
  offer(true, 0),
  offer(false, 9),
  offer(false, 15),
  offer(true, 9),
  offer(true, 15),
  [offer(true, 9), offer(true, 0), offer(false, 0)].join(", "),
];
const json = testData()[0];
OFFERS.forEach((o, j) =>
  MSG_SIZES.forEach((size, i) => compression(`13.${j + 1}.${i + 1}`, `JSON, ${size[0]}-byte messages, offer "${o}"`, o, json, size)),
);

/** Every case, in Autobahn's order. */
export const CASES: readonly CaseSpec[] = cases;
