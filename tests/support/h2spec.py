#!/usr/bin/python3
"""h2spec's conformance cases (summerwind/h2spec: http2, hpack, generic), rewritten here for a
server under test, plus the HTTP/2 attacks the server must bound. Run with Debian's python3
(python3-hyperframe, python3-hpack).

Usage: h2spec.py HOST PORT [--tls] [--only PREFIX] [--attacks]
Prints one JSON object per line: {"id", "section", "desc", "result": "pass"|"fail"|"skip", "detail"}.

Stricter than h2spec's own checker, which passes on any eventual close: a connection error must
come as GOAWAY with the error code RFC 9113 requires (5.4.1), a stream error as RST_STREAM (or
GOAWAY) with its code. Case numbers are h2spec's (RFC 7540's sections); "section" gives RFC 9113's.
"""
import json
import socket
import ssl
import struct
import sys
import time

from hpack import Decoder, Encoder

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
ES, ACK, EH, PADDED, PRIO = 0x1, 0x1, 0x4, 0x8, 0x20
NO_ERROR, PROTOCOL, INTERNAL, FLOW, TIMEOUT, CLOSED, FRAME_SIZE, REFUSED, CANCEL, COMPRESSION = range(10)
CALM = 0xB
S_TABLE, S_PUSH, S_MCS, S_IWS, S_MFS, S_MHLS = range(1, 7)
WAIT = 2.0


def raw(ftype, flags, sid, payload=b""):
    n = len(payload)
    return struct.pack(">BHBBL", n >> 16, n & 0xFFFF, ftype, flags, sid) + payload


def settings(*pairs, ack=False):
    return raw(SETTINGS, ACK if ack else 0, 0, b"".join(struct.pack(">HL", k, v) for k, v in pairs))


class Closed(Exception):
    pass


class Conn:
    def __init__(self, host, port, tls, handshake=True, local_settings=((S_IWS, 65535),)):
        sock = socket.create_connection((host, port), timeout=WAIT)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            sock = ctx.wrap_socket(sock, server_hostname="localhost")
            assert sock.selected_alpn_protocol() == "h2", sock.selected_alpn_protocol()
        self.sock = sock
        self.host, self.port, self.scheme = host, port, "https" if tls else "http"
        self.enc = Encoder()
        self.dec = Decoder()
        self.fields = {}
        self.buf = b""
        self.server_settings = {}
        self.recv_conn = 65535
        self.recv_streams = {}
        if handshake:
            self.handshake(local_settings)

    def send(self, *chunks):
        self.sock.sendall(b"".join(chunks))

    def handshake(self, local_settings):
        self.send(PREFACE, settings(*local_settings))
        got_settings = got_ack = False
        deadline = time.time() + WAIT
        while not (got_settings and got_ack):
            f = self.next(deadline)
            if f is None:
                raise Closed("no SETTINGS from the server")
            t, fl, sid, p = f
            if t == SETTINGS and not fl & ACK:
                for i in range(0, len(p), 6):
                    k, v = struct.unpack(">HL", p[i : i + 6])
                    self.server_settings[k] = v
                self.send(settings(ack=True))
                got_settings = True
            elif t == SETTINGS:
                got_ack = True

    def block(self, extra=(), method="GET", path="/", base=True):
        fields = [(":method", method), (":scheme", self.scheme), (":path", path), (":authority", f"{self.host}:{self.port}")] if base else []
        return self.enc.encode(fields + list(extra))

    def headers(self, sid, flags, extra=(), method="GET", path="/"):
        return raw(HEADERS, flags, sid, self.block(extra, method, path))

    def next(self, deadline):
        """The next frame (type, flags, stream, payload); None at EOF or timeout."""
        while True:
            if len(self.buf) >= 9:
                n = (self.buf[0] << 16) | (self.buf[1] << 8) | self.buf[2]
                if len(self.buf) >= 9 + n:
                    t, fl = self.buf[3], self.buf[4]
                    sid = struct.unpack(">L", self.buf[5:9])[0] & 0x7FFFFFFF
                    p = self.buf[9 : 9 + n]
                    self.buf = self.buf[9 + n :]
                    if t == DATA and n > 0:
                        self._data(sid, n)
                    if t == HEADERS and fl & EH:
                        self.fields[sid] = self.dec.decode(p)
                    return t, fl, sid, p
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
                return None
            if not chunk:
                return None
            self.buf += chunk

    def _data(self, sid, n):
        # As h2spec: a WINDOW_UPDATE when the 65,535-byte count runs out.
        self.recv_conn -= n
        self.recv_streams[sid] = self.recv_streams.get(sid, 65535) - n
        if self.recv_conn <= 0:
            self.send(raw(WINDOW_UPDATE, 0, 0, struct.pack(">L", 65535)))
            self.recv_conn += 65535
        if self.recv_streams[sid] <= 0:
            self.send(raw(WINDOW_UPDATE, 0, sid, struct.pack(">L", 65535)))
            self.recv_streams[sid] += 65535

    def closed_soon(self):
        deadline = time.time() + WAIT
        while True:
            if self.next(deadline) is None:
                return time.time() < deadline


def name(code):
    names = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
             "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM"]
    return names[code] if code < len(names) else hex(code)


def codes(cs):
    return "|".join(name(c) for c in cs)


# -- Expectations: each returns (ok, detail) --

def conn_error(c, *want):
    """GOAWAY with one of `want`, then the connection closes."""
    deadline = time.time() + WAIT
    while True:
        f = c.next(deadline)
        if f is None:
            return False, f"no GOAWAY ({codes(want)}): connection closed or silent"
        t, _, _, p = f
        if t == GOAWAY:
            code = struct.unpack(">L", p[4:8])[0]
            if code not in want:
                return False, f"GOAWAY {name(code)}, want {codes(want)}"
            if not c.closed_soon():
                return False, f"GOAWAY {name(code)} but the connection stayed open"
            return True, f"GOAWAY {name(code)}"
        if t == RST_STREAM:
            code = struct.unpack(">L", p)[0]
            return False, f"RST_STREAM {name(code)}, want a connection error {codes(want)}"


def stream_error(c, sid, *want):
    """RST_STREAM on `sid` (or GOAWAY) with one of `want`."""
    deadline = time.time() + WAIT
    while True:
        f = c.next(deadline)
        if f is None:
            return False, f"no RST_STREAM ({codes(want)})"
        t, _, fsid, p = f
        if t == RST_STREAM and fsid == sid:
            code = struct.unpack(">L", p)[0]
            return (code in want), f"RST_STREAM {name(code)}" + ("" if code in want else f", want {codes(want)}")
        if t == GOAWAY:
            code = struct.unpack(">L", p[4:8])[0]
            return (code in want), f"GOAWAY {name(code)}" + ("" if code in want else f", want {codes(want)}")


def response(c, sid=1):
    deadline = time.time() + WAIT
    while True:
        f = c.next(deadline)
        if f is None:
            return False, "no response HEADERS"
        t, _, fsid, p = f
        if t == HEADERS and fsid == sid:
            return True, "HEADERS"
        if t in (RST_STREAM, GOAWAY):
            return False, f"{'RST_STREAM' if t == RST_STREAM else 'GOAWAY'} {name(struct.unpack('>L', p[-4:] if t == RST_STREAM else p[4:8])[0])}"


def ping_ack(c, data=b"h2spec\0\0", or_close=False):
    deadline = time.time() + WAIT
    while True:
        f = c.next(deadline)
        if f is None:
            return (or_close, "connection closed" if or_close else "no PING ACK")
        t, fl, _, p = f
        if t == PING and fl & ACK:
            return (p == data), f"PING ACK {p!r}"
        if t == GOAWAY and not or_close:
            return False, f"GOAWAY {name(struct.unpack('>L', p[4:8])[0])}"


def first_data(c, sid, length):
    deadline = time.time() + WAIT
    while True:
        f = c.next(deadline)
        if f is None:
            return False, "no DATA"
        t, _, fsid, p = f
        if t == DATA and fsid == sid:
            return (len(p) == length), f"DATA of {len(p)} bytes, want {length}"
        if t in (RST_STREAM, GOAWAY):
            return False, "reset"


def response_end(c, sid=1):
    """Reads until the stream's END_STREAM (or RST_STREAM NO_ERROR)."""
    deadline = time.time() + WAIT
    while True:
        f = c.next(deadline)
        if f is None:
            return False
        t, fl, fsid, p = f
        if fsid == sid and ((t in (HEADERS, DATA) and fl & ES) or t == RST_STREAM):
            return True


DUM = [("x-dummy0", "x" * 4000)]
CASES = []


def case(cid, section, desc, handshake=True, local=((S_IWS, 65535),)):
    def register(fn):
        CASES.append((cid, section, desc, handshake, local, fn))
        return fn
    return register


# ---- http2: RFC 9113 ----

@case("http2/3.5/1", "3.4", "the server's first frame is SETTINGS", handshake=False)
def _(c):
    c.send(PREFACE, settings())
    f = c.next(time.time() + WAIT)
    return (f is not None and f[0] == SETTINGS and not f[1] & ACK), f"first frame {f[0] if f else None}"


@case("http2/3.5/2", "3.4", "an invalid connection preface", handshake=False)
def _(c):
    c.send(b"INVALID CONNECTION PREFACE\r\n\r\n")
    return conn_error(c, PROTOCOL)


@case("http2/4.1/1", "4.1", "an unknown frame type is ignored")
def _(c):
    c.send(raw(0x16, 0, 0, b"\0" * 8), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c)


@case("http2/4.1/2", "4.1", "undefined flags are ignored")
def _(c):
    c.send(raw(PING, 0x16, 0, b"h2spec\0\0"))
    return ping_ack(c)


@case("http2/4.1/3", "4.1", "the reserved bit of the stream identifier is ignored")
def _(c):
    c.send(struct.pack(">BHBBL", 0, 8, PING, 0, 0x80000000) + b"h2spec\0\0")
    return ping_ack(c)


@case("http2/4.2/1", "4.2", "DATA of SETTINGS_MAX_FRAME_SIZE bytes")
def _(c):
    size = c.server_settings.get(S_MFS, 16384)
    c.send(c.headers(1, EH, method="POST"), raw(DATA, ES, 1, b"x" * size))
    return response(c)


@case("http2/4.2/2", "4.2", "DATA over SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR")
def _(c):
    size = c.server_settings.get(S_MFS, 16384)
    c.send(c.headers(1, EH, method="POST"), raw(DATA, ES, 1, b"x" * (size + 1)))
    return stream_error(c, 1, FRAME_SIZE)


@case("http2/4.2/3", "4.2", "HEADERS over SETTINGS_MAX_FRAME_SIZE: connection FRAME_SIZE_ERROR")
def _(c):
    c.send(c.headers(1, ES | EH, [(f"x-dummy{i}", "x" * 4000) for i in range(5)]))
    return conn_error(c, FRAME_SIZE)


@case("http2/4.3/1", "4.3", "an invalid field block: COMPRESSION_ERROR")
def _(c):
    c.send(raw(HEADERS, ES | EH, 1, b"\x40"))
    return conn_error(c, COMPRESSION)


@case("http2/4.3/2", "4.3", "PRIORITY between HEADERS and CONTINUATION")
def _(c):
    c.send(c.headers(1, ES), raw(PRIORITY, 0, 1, struct.pack(">LB", 0, 255)), raw(CONTINUATION, EH, 1, c.block(DUM, base=False)))
    return conn_error(c, PROTOCOL)


@case("http2/4.3/3", "4.3", "HEADERS of another stream between HEADERS and CONTINUATION")
def _(c):
    c.send(c.headers(1, ES), c.headers(3, ES | EH), raw(CONTINUATION, EH, 1, c.block(DUM, base=False)))
    return conn_error(c, PROTOCOL)


@case("http2/5.1/1", "5.1", "idle: DATA")
def _(c):
    c.send(raw(DATA, ES, 1, b"test"))
    return stream_error(c, 1, PROTOCOL, CLOSED)


@case("http2/5.1/2", "5.1", "idle: RST_STREAM")
def _(c):
    c.send(raw(RST_STREAM, 0, 1, struct.pack(">L", CANCEL)))
    return conn_error(c, PROTOCOL)


@case("http2/5.1/3", "5.1", "idle: WINDOW_UPDATE")
def _(c):
    c.send(raw(WINDOW_UPDATE, 0, 1, struct.pack(">L", 100)))
    return conn_error(c, PROTOCOL)


@case("http2/5.1/4", "5.1", "idle: CONTINUATION")
def _(c):
    c.send(raw(CONTINUATION, EH, 1, c.block()))
    return conn_error(c, PROTOCOL)


@case("http2/5.1/5", "5.1", "half-closed (remote): DATA")
def _(c):
    c.send(c.headers(1, ES | EH), raw(DATA, ES, 1, b"test"))
    return stream_error(c, 1, CLOSED)


@case("http2/5.1/6", "5.1", "half-closed (remote): HEADERS")
def _(c):
    c.send(c.headers(1, ES | EH), c.headers(1, ES | EH))
    return stream_error(c, 1, CLOSED)


@case("http2/5.1/7", "5.1", "half-closed (remote): CONTINUATION")
def _(c):
    c.send(c.headers(1, ES | EH), raw(CONTINUATION, EH, 1, c.block(DUM, base=False)))
    return stream_error(c, 1, CLOSED, PROTOCOL)


@case("http2/5.1/8", "5.1", "closed by RST_STREAM: DATA")
def _(c):
    c.send(c.headers(1, EH), raw(RST_STREAM, 0, 1, struct.pack(">L", CANCEL)), raw(DATA, ES, 1, b"test"))
    return stream_error(c, 1, CLOSED)


@case("http2/5.1/9", "5.1", "closed by RST_STREAM: HEADERS")
def _(c):
    c.send(c.headers(1, EH), raw(RST_STREAM, 0, 1, struct.pack(">L", CANCEL)), c.headers(1, ES | EH))
    return stream_error(c, 1, CLOSED)


@case("http2/5.1/10", "5.1", "closed by RST_STREAM: CONTINUATION")
def _(c):
    c.send(c.headers(1, EH), raw(RST_STREAM, 0, 1, struct.pack(">L", CANCEL)), raw(CONTINUATION, EH, 1, c.block(DUM, base=False)))
    return stream_error(c, 1, CLOSED, PROTOCOL)


@case("http2/5.1/11", "5.1", "closed by END_STREAM: DATA")
def _(c):
    c.send(c.headers(1, ES | EH))
    if not response_end(c):
        return False, "no end of response"
    c.send(raw(DATA, ES, 1, b"test"))
    return stream_error(c, 1, CLOSED)


@case("http2/5.1/12", "5.1", "closed by END_STREAM: HEADERS")
def _(c):
    c.send(c.headers(1, ES | EH))
    if not response_end(c):
        return False, "no end of response"
    c.send(c.headers(1, ES | EH))
    return conn_error(c, CLOSED)


@case("http2/5.1/13", "5.1", "closed by END_STREAM: CONTINUATION")
def _(c):
    c.send(c.headers(1, ES | EH))
    if not response_end(c):
        return False, "no end of response"
    c.send(raw(CONTINUATION, EH, 1, c.block(DUM, base=False)))
    return conn_error(c, CLOSED, PROTOCOL)


@case("http2/5.1.1/1", "5.1.1", "an even stream identifier")
def _(c):
    c.send(c.headers(2, ES | EH))
    return conn_error(c, PROTOCOL)


@case("http2/5.1.1/2", "5.1.1", "a stream identifier below one used")
def _(c):
    c.send(c.headers(5, ES | EH), c.headers(3, ES | EH))
    return conn_error(c, PROTOCOL)


@case("http2/5.1.2/1", "5.1.2", "one stream over SETTINGS_MAX_CONCURRENT_STREAMS is refused")
def _(c):
    n = c.server_settings.get(S_MCS)
    if n is None:
        return None, "no SETTINGS_MAX_CONCURRENT_STREAMS"
    c.send(settings((S_IWS, 0)))
    c.send(*[c.headers(2 * i + 1, ES | EH) for i in range(n + 1)])
    return stream_error(c, 2 * n + 1, PROTOCOL, REFUSED)


@case("http2/5.3.1/1", "5.3.1", "HEADERS depending on its own stream")
def _(c):
    c.send(raw(HEADERS, ES | EH | PRIO, 1, struct.pack(">LB", 1, 255) + c.block()))
    return stream_error(c, 1, PROTOCOL)


@case("http2/5.3.1/2", "5.3.1", "PRIORITY depending on its own stream")
def _(c):
    c.send(raw(PRIORITY, 0, 1, struct.pack(">LB", 1, 255)))
    return stream_error(c, 1, PROTOCOL)


@case("http2/5.4.1/1", "5.4.1", "after a connection error, the connection closes")
def _(c):
    c.send(raw(PING, 0, 3, b"h2spec\0\0"))
    return conn_error(c, PROTOCOL)


@case("http2/5.4.1/2", "5.4.1", "a connection error sends GOAWAY")
def _(c):
    c.send(raw(PING, 0, 3, b"h2spec\0\0"))
    return conn_error(c, PROTOCOL)


@case("http2/5.5/1", "5.5", "an unknown extension frame is ignored")
def _(c):
    c.send(raw(0x16, 0, 0, b"\0" * 8), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c)


@case("http2/5.5/2", "5.5", "an unknown frame inside a header block")
def _(c):
    c.send(c.headers(1, ES), raw(0x16, 0, 1, b"\0" * 8))
    return conn_error(c, PROTOCOL)


@case("http2/6.1/1", "6.1", "DATA on stream 0")
def _(c):
    c.send(raw(DATA, ES, 0, b"test"))
    return conn_error(c, PROTOCOL)


@case("http2/6.1/2", "6.1", "DATA on a half-closed (remote) stream")
def _(c):
    c.send(c.headers(1, ES | EH, method="POST"), raw(DATA, ES, 1, b"test"))
    return stream_error(c, 1, CLOSED)


@case("http2/6.1/3", "6.1", "padding as long as the DATA payload")
def _(c):
    c.send(c.headers(1, EH, [("content-length", "4")], method="POST"), raw(DATA, ES | PADDED, 1, b"\x06Test"))
    return conn_error(c, PROTOCOL)


@case("http2/6.2/1", "6.2", "PRIORITY between HEADERS and CONTINUATION")
def _(c):
    c.send(c.headers(1, ES), raw(PRIORITY, 0, 1, struct.pack(">LB", 0, 255)), raw(CONTINUATION, EH, 1, c.block(DUM, base=False)))
    return conn_error(c, PROTOCOL)


@case("http2/6.2/2", "6.2", "HEADERS of another stream inside a header block")
def _(c):
    c.send(c.headers(1, ES), c.headers(3, ES | EH), raw(CONTINUATION, EH, 1, c.block(DUM, base=False)))
    return conn_error(c, PROTOCOL)


@case("http2/6.2/3", "6.2", "HEADERS on stream 0")
def _(c):
    c.send(c.headers(0, ES | EH))
    return conn_error(c, PROTOCOL)


@case("http2/6.2/4", "6.2", "HEADERS padding as long as the payload")
def _(c):
    blk = c.block()
    c.send(raw(HEADERS, ES | EH | PADDED, 1, bytes([len(blk) + 2]) + blk))
    return stream_error(c, 1, PROTOCOL)


@case("http2/6.3/1", "6.3", "PRIORITY on stream 0")
def _(c):
    c.send(raw(PRIORITY, 0, 0, struct.pack(">LB", 0, 255)))
    return conn_error(c, PROTOCOL)


@case("http2/6.3/2", "6.3", "PRIORITY of 4 bytes")
def _(c):
    c.send(c.headers(1, ES | EH), raw(PRIORITY, 0, 1, struct.pack(">L", 0x80000001)))
    return stream_error(c, 1, FRAME_SIZE)


@case("http2/6.4/1", "6.4", "RST_STREAM on stream 0")
def _(c):
    c.send(raw(RST_STREAM, 0, 0, struct.pack(">L", CANCEL)))
    return conn_error(c, PROTOCOL)


@case("http2/6.4/2", "6.4", "RST_STREAM on an idle stream")
def _(c):
    c.send(raw(RST_STREAM, 0, 1, struct.pack(">L", CANCEL)))
    return conn_error(c, PROTOCOL)


@case("http2/6.4/3", "6.4", "RST_STREAM of 3 bytes")
def _(c):
    c.send(c.headers(1, ES | EH), raw(RST_STREAM, 0, 1, b"\0\0\0"))
    return conn_error(c, FRAME_SIZE)


@case("http2/6.5/1", "6.5", "SETTINGS ACK with a payload")
def _(c):
    c.send(raw(SETTINGS, ACK, 0, b"\0"))
    return conn_error(c, FRAME_SIZE)


@case("http2/6.5/2", "6.5", "SETTINGS on a stream")
def _(c):
    c.send(raw(SETTINGS, 0, 1, struct.pack(">HL", S_MCS, 100)))
    return conn_error(c, PROTOCOL)


@case("http2/6.5/3", "6.5", "SETTINGS of 3 bytes")
def _(c):
    c.send(raw(SETTINGS, 0, 0, b"\0\x03\0"))
    return conn_error(c, FRAME_SIZE)


@case("http2/6.5.2/1", "6.5.2", "SETTINGS_ENABLE_PUSH 2")
def _(c):
    c.send(settings((S_PUSH, 2)))
    return conn_error(c, PROTOCOL)


@case("http2/6.5.2/2", "6.5.2", "SETTINGS_INITIAL_WINDOW_SIZE 2^31")
def _(c):
    c.send(settings((S_IWS, 2**31)))
    return conn_error(c, FLOW)


@case("http2/6.5.2/3", "6.5.2", "SETTINGS_MAX_FRAME_SIZE 16,383")
def _(c):
    c.send(settings((S_MFS, 16383)))
    return conn_error(c, PROTOCOL)


@case("http2/6.5.2/4", "6.5.2", "SETTINGS_MAX_FRAME_SIZE 2^24")
def _(c):
    c.send(settings((S_MFS, 2**24)))
    return conn_error(c, PROTOCOL)


@case("http2/6.5.2/5", "6.5.2", "an unknown setting is ignored")
def _(c):
    c.send(settings((0xFF, 1)), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c)


@case("http2/6.5.3/1", "6.5.3", "settings apply in order: the last INITIAL_WINDOW_SIZE wins")
def _(c):
    c.send(settings((S_IWS, 100), (S_IWS, 1)))
    if not ack_of_settings(c):
        return False, "no SETTINGS ACK"
    c.send(c.headers(1, ES | EH))
    return first_data(c, 1, 1)


@case("http2/6.5.3/2", "6.5.3", "SETTINGS are acknowledged")
def _(c):
    c.send(settings((S_PUSH, 0)))
    return (ack_of_settings(c), "SETTINGS ACK")


def ack_of_settings(c):
    deadline = time.time() + WAIT
    while True:
        f = c.next(deadline)
        if f is None:
            return False
        if f[0] == SETTINGS and f[1] & ACK:
            return True


@case("http2/6.7/1", "6.7", "PING is answered")
def _(c):
    c.send(raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c)


@case("http2/6.7/2", "6.7", "a PING ACK is not answered")
def _(c):
    c.send(raw(PING, ACK, 0, b"invalid\0"), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c)


@case("http2/6.7/3", "6.7", "PING on a stream")
def _(c):
    c.send(raw(PING, 0, 1, b"h2spec\0\0"))
    return conn_error(c, PROTOCOL)


@case("http2/6.7/4", "6.7", "PING of 6 bytes")
def _(c):
    c.send(raw(PING, 0, 0, b"\0" * 6))
    return conn_error(c, FRAME_SIZE)


@case("http2/6.8/1", "6.8", "GOAWAY on a stream")
def _(c):
    c.send(raw(GOAWAY, 0, 1, b"\0" * 8))
    return conn_error(c, PROTOCOL)


@case("http2/6.9/1", "6.9", "WINDOW_UPDATE of 0 on the connection")
def _(c):
    c.send(raw(WINDOW_UPDATE, 0, 0, struct.pack(">L", 0)))
    return conn_error(c, PROTOCOL)


@case("http2/6.9/2", "6.9", "WINDOW_UPDATE of 0 on a stream")
def _(c):
    c.send(c.headers(1, EH, method="POST"), raw(WINDOW_UPDATE, 0, 1, struct.pack(">L", 0)))
    return stream_error(c, 1, PROTOCOL)


@case("http2/6.9/3", "6.9", "WINDOW_UPDATE of 3 bytes")
def _(c):
    c.send(raw(WINDOW_UPDATE, 0, 0, b"\0\0\x01"))
    return conn_error(c, FRAME_SIZE)


@case("http2/6.9.1/1", "6.9.1", "DATA within INITIAL_WINDOW_SIZE 1")
def _(c):
    c.send(settings((S_IWS, 1)))
    if not ack_of_settings(c):
        return False, "no SETTINGS ACK"
    c.send(c.headers(1, ES | EH))
    return first_data(c, 1, 1)


@case("http2/6.9.1/2", "6.9.1", "the connection window over 2^31-1")
def _(c):
    c.send(raw(WINDOW_UPDATE, 0, 0, struct.pack(">L", 2**31 - 1)), raw(WINDOW_UPDATE, 0, 0, struct.pack(">L", 2**31 - 1)))
    return conn_error(c, FLOW)


@case("http2/6.9.1/3", "6.9.1", "a stream window over 2^31-1")
def _(c):
    c.send(c.headers(1, EH, method="POST"))
    c.send(raw(WINDOW_UPDATE, 0, 1, struct.pack(">L", 2**31 - 1)), raw(WINDOW_UPDATE, 0, 1, struct.pack(">L", 2**31 - 1)))
    ok, detail = stream_error(c, 1, FLOW)
    return ok and detail.startswith("RST_STREAM"), detail


@case("http2/6.9.2/1", "6.9.2", "INITIAL_WINDOW_SIZE raised from 0 after the request")
def _(c):
    c.send(settings((S_IWS, 0)))
    if not ack_of_settings(c):
        return False, "no SETTINGS ACK"
    c.send(c.headers(1, ES | EH))
    time.sleep(0.2)
    c.send(settings((S_IWS, 1)))
    return first_data(c, 1, 1)


@case("http2/6.9.2/2", "6.9.2", "a window made negative by INITIAL_WINDOW_SIZE")
def _(c):
    c.send(settings((S_IWS, 3)))
    if not ack_of_settings(c):
        return False, "no SETTINGS ACK"
    c.send(c.headers(1, ES | EH))
    ok, detail = first_data(c, 1, 3)
    if not ok:
        return ok, detail
    c.send(settings((S_IWS, 2)))
    if not ack_of_settings(c):
        return False, "no SETTINGS ACK"
    c.send(raw(WINDOW_UPDATE, 0, 1, struct.pack(">L", 2)))
    return first_data(c, 1, 1)


@case("http2/6.9.2/3", "6.9.2", "INITIAL_WINDOW_SIZE 2^31: FLOW_CONTROL_ERROR")
def _(c):
    c.send(raw(SETTINGS, 0, 0, struct.pack(">HL", S_IWS, 0x80000000)))
    return conn_error(c, FLOW)


@case("http2/6.10/1", "6.10", "CONTINUATION frames complete a block")
def _(c):
    c.send(c.headers(1, ES), raw(CONTINUATION, 0, 1, c.block(DUM, base=False)), raw(CONTINUATION, EH, 1, c.block([("x-dummy1", "x" * 4000)], base=False)))
    return response(c)


@case("http2/6.10/2", "6.10", "DATA inside a header block")
def _(c):
    c.send(c.headers(1, 0, method="POST"), raw(CONTINUATION, 0, 1, c.block(DUM, base=False)), raw(DATA, ES, 1, b"test"))
    return conn_error(c, PROTOCOL)


@case("http2/6.10/3", "6.10", "CONTINUATION on stream 0")
def _(c):
    c.send(c.headers(1, ES), raw(CONTINUATION, EH, 0, c.block(DUM, base=False)))
    return conn_error(c, PROTOCOL)


@case("http2/6.10/4", "6.10", "CONTINUATION after END_HEADERS")
def _(c):
    c.send(c.headers(1, ES | EH), raw(CONTINUATION, EH, 1, c.block(DUM, base=False)))
    return conn_error(c, PROTOCOL)


@case("http2/6.10/5", "6.10", "CONTINUATION after a CONTINUATION with END_HEADERS")
def _(c):
    c.send(c.headers(1, ES), raw(CONTINUATION, EH, 1, c.block(DUM, base=False)), raw(CONTINUATION, EH, 1, c.block([("x-dummy1", "x")], base=False)))
    return conn_error(c, PROTOCOL)


@case("http2/6.10/6", "6.10", "CONTINUATION after DATA")
def _(c):
    c.send(c.headers(1, 0, method="POST"), raw(DATA, ES, 1, b"test"), raw(CONTINUATION, 0, 1, c.block(DUM, base=False)), raw(CONTINUATION, EH, 0, b""))
    return conn_error(c, PROTOCOL)


@case("http2/7/1", "7", "an unknown error code in GOAWAY")
def _(c):
    c.send(raw(GOAWAY, 0, 0, struct.pack(">LL", 0, 0xFF)), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c, or_close=True)


@case("http2/7/2", "7", "an unknown error code in RST_STREAM")
def _(c):
    c.send(c.headers(1, EH, method="POST"), raw(RST_STREAM, 0, 1, struct.pack(">L", 0xFF)), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c, or_close=True)


@case("http2/8.1/1", "8.1", "a second HEADERS without END_STREAM")
def _(c):
    c.send(c.headers(1, EH, method="POST"), raw(DATA, 0, 1, b"test"), raw(HEADERS, EH, 1, c.block([("x-test", "ok")], base=False)))
    return stream_error(c, 1, PROTOCOL)


def malformed(cid, section, desc, fields=None, extra=(), method="POST"):
    @case(cid, section, desc)
    def _(c):
        if fields is not None:
            c.send(raw(HEADERS, ES | EH, 1, c.enc.encode(fields(c))))
        else:
            c.send(c.headers(1, ES | EH, extra))
        return stream_error(c, 1, PROTOCOL)


def base(c, skip=(), extra=()):
    fields = [(":method", "GET"), (":scheme", c.scheme), (":path", "/"), (":authority", f"{c.host}:{c.port}")]
    return [f for f in fields if f[0] not in skip] + list(extra)


malformed("http2/8.1.2/1", "8.2", "an uppercase field name", extra=[("X-TEST", "ok")])
malformed("http2/8.1.2.1/1", "8.3", "an unknown pseudo-header field", extra=[(":test", "ok")])
malformed("http2/8.1.2.1/2", "8.3", "a response pseudo-header field in a request", extra=[(":status", "200")])
malformed("http2/8.1.2.1/4", "8.3", "a pseudo-header field after a regular one", fields=lambda c: [("x-test", "ok")] + base(c))
malformed("http2/8.1.2.2/1", "8.2.2", "a connection-specific field", extra=[("connection", "keep-alive")])
malformed("http2/8.1.2.2/2", "8.2.2", "TE other than trailers", extra=[("trailers", "test"), ("te", "trailers, deflate")])
malformed("http2/8.1.2.3/1", "8.3.1", "an empty :path", fields=lambda c: base(c, skip=[":path"]) + [(":path", "")])
malformed("http2/8.1.2.3/2", "8.3.1", "no :method", fields=lambda c: base(c, skip=[":method"]))
malformed("http2/8.1.2.3/3", "8.3.1", "no :scheme", fields=lambda c: base(c, skip=[":scheme"]))
malformed("http2/8.1.2.3/4", "8.3.1", "no :path", fields=lambda c: base(c, skip=[":path"]))
malformed("http2/8.1.2.3/5", "8.3.1", "two :method", fields=lambda c: base(c) + [(":method", "GET")])
malformed("http2/8.1.2.3/6", "8.3.1", "two :scheme", fields=lambda c: base(c) + [(":scheme", "http")])
malformed("http2/8.1.2.3/7", "8.3.1", "two :path", fields=lambda c: base(c) + [(":path", "/")])


@case("http2/8.1.2.1/3", "8.1", "a pseudo-header field in trailers")
def _(c):
    c.send(c.headers(1, EH, method="POST"), raw(DATA, 0, 1, b"test"), raw(HEADERS, ES | EH, 1, c.block([(":method", "POST")], base=False)))
    return stream_error(c, 1, PROTOCOL)


@case("http2/8.1.2.6/1", "8.1.1", "content-length above the DATA sent")
def _(c):
    c.send(c.headers(1, EH, [("content-length", "1")], method="POST"), raw(DATA, ES, 1, b"test"))
    return stream_error(c, 1, PROTOCOL)


@case("http2/8.1.2.6/2", "8.1.1", "DATA frames adding up past content-length")
def _(c):
    c.send(c.headers(1, EH, [("content-length", "1")], method="POST"), raw(DATA, 0, 1, b"test"), raw(DATA, ES, 1, b"test"))
    return stream_error(c, 1, PROTOCOL)


@case("http2/8.2/1", "8.4", "PUSH_PROMISE from a client")
def _(c):
    c.send(raw(PUSH_PROMISE, EH, 1, struct.pack(">L", 3) + c.block()))
    return conn_error(c, PROTOCOL)


# ---- hpack: RFC 7541 ----

def hpack_case(cid, section, desc, suffix, prefix=b""):
    @case(cid, section, desc)
    def _(c):
        c.send(raw(HEADERS, ES | EH, 1, prefix + c.block() + suffix))
        return conn_error(c, COMPRESSION)


hpack_case("hpack/2.3.3/1", "7541 2.3.3", "an index past the dynamic table", b"\xc6")
hpack_case("hpack/2.3.3/2", "7541 2.3.3", "a literal's name index past the tables", b"\x7f\x07\x00")
hpack_case("hpack/4.2/1", "7541 4.2", "a table size update after a field", b"\x21")
hpack_case("hpack/5.2/1", "7541 5.2", "Huffman padding longer than 7 bits", bytes.fromhex("0085f2b24a84ff8449509fff"))
hpack_case("hpack/5.2/2", "7541 5.2", "Huffman padding not EOS's prefix", bytes.fromhex("0085f2b24a84ff83495090"))
hpack_case("hpack/5.2/3", "7541 5.2", "EOS inside a Huffman string", bytes.fromhex("0085f2b24a84ff874951fffffffa7f"))
hpack_case("hpack/6.1/1", "7541 6.1", "index 0", b"\x80")


@case("hpack/6.3/1", "7541 6.3", "a table size update over SETTINGS_HEADER_TABLE_SIZE")
def _(c):
    size = c.server_settings.get(S_TABLE, 4096) + 1
    update = bytes([0x3F])
    rest = size - 31
    while rest >= 128:
        update += bytes([(rest & 0x7F) | 0x80])
        rest >>= 7
    update += bytes([rest])
    c.send(raw(HEADERS, ES | EH, 1, update + c.block()))
    return conn_error(c, COMPRESSION)


# ---- generic: what a server must simply do ----

@case("generic/1/1", "3.4", "the preface and SETTINGS", handshake=False)
def _(c):
    c.send(PREFACE, settings())
    f = c.next(time.time() + WAIT)
    return (f is not None and f[0] == SETTINGS), "SETTINGS"


@case("generic/2/1", "5.1", "PRIORITY on an idle stream")
def _(c):
    c.send(raw(PRIORITY, 0, 1, struct.pack(">LB", 0, 255)), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c)


@case("generic/2/2", "5.1", "WINDOW_UPDATE on a half-closed (remote) stream")
def _(c):
    c.send(settings((S_IWS, 0)))
    ack_of_settings(c)
    c.send(c.headers(1, ES | EH), raw(WINDOW_UPDATE, 0, 1, struct.pack(">L", 1)))
    return first_data(c, 1, 1)


@case("generic/2/3", "5.1", "PRIORITY on a half-closed (remote) stream")
def _(c):
    c.send(settings((S_IWS, 0)))
    ack_of_settings(c)
    c.send(c.headers(1, ES | EH), raw(PRIORITY, 0, 1, struct.pack(">LB", 0, 255)), raw(WINDOW_UPDATE, 0, 1, struct.pack(">L", 1)))
    return first_data(c, 1, 1)


@case("generic/2/4", "5.1", "RST_STREAM on a half-closed (remote) stream")
def _(c):
    c.send(c.headers(1, ES | EH), raw(RST_STREAM, 0, 1, struct.pack(">L", CANCEL)), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c, or_close=True)


@case("generic/2/5", "5.1", "PRIORITY on a closed stream")
def _(c):
    c.send(c.headers(1, ES | EH))
    response_end(c)
    c.send(raw(PRIORITY, 0, 1, struct.pack(">LB", 0, 255)), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c)


@case("generic/3.1/1", "6.1", "DATA")
def _(c):
    c.send(c.headers(1, EH, method="POST"), raw(DATA, ES, 1, b"test"))
    return response(c)


@case("generic/3.1/2", "6.1", "DATA in two frames")
def _(c):
    c.send(c.headers(1, EH, method="POST"), raw(DATA, 0, 1, b"test"), raw(DATA, ES, 1, b"test"))
    return response(c)


@case("generic/3.1/3", "6.1", "padded DATA")
def _(c):
    c.send(c.headers(1, EH, method="POST"), raw(DATA, ES | PADDED, 1, b"\x05test" + b"\0" * 5))
    return response(c)


@case("generic/3.2/1", "6.2", "HEADERS")
def _(c):
    c.send(c.headers(1, ES | EH))
    return response(c)


@case("generic/3.2/2", "6.2", "padded HEADERS")
def _(c):
    c.send(raw(HEADERS, ES | EH | PADDED, 1, b"\x08" + c.block() + b"\0" * 8))
    return response(c)


@case("generic/3.2/3", "6.2", "HEADERS with priority")
def _(c):
    c.send(raw(HEADERS, ES | EH | PRIO, 1, struct.pack(">LB", 0, 255) + c.block()))
    return response(c)


def priority_case(cid, desc, prio_sid, dep, weight):
    @case(cid, "6.3", desc)
    def _(c):
        c.send(raw(PRIORITY, 0, prio_sid, struct.pack(">LB", dep, weight)), c.headers(1, ES | EH))
        return response(c)


priority_case("generic/3.3/1", "PRIORITY with weight 0", 1, 0, 0)
priority_case("generic/3.3/2", "PRIORITY with weight 255", 1, 0, 255)
priority_case("generic/3.3/3", "PRIORITY on another stream", 3, 1, 16)
priority_case("generic/3.3/4", "PRIORITY, exclusive", 3, 0x80000001, 16)
priority_case("generic/3.3/5", "PRIORITY of a stream not opened", 3, 0, 255)


@case("generic/3.4/1", "6.4", "RST_STREAM")
def _(c):
    c.send(c.headers(1, EH, method="POST"), raw(RST_STREAM, 0, 1, struct.pack(">L", CANCEL)), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c, or_close=True)


@case("generic/3.5/1", "6.5", "SETTINGS with each setting")
def _(c):
    c.send(settings((S_TABLE, 4096), (S_PUSH, 1), (S_MCS, 100), (S_IWS, 65535), (S_MFS, 16384), (S_MHLS, 100)))
    return ack_of_settings(c), "SETTINGS ACK"


@case("generic/3.7/1", "6.7", "PING")
def _(c):
    c.send(raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c)


@case("generic/3.8/1", "6.8", "GOAWAY")
def _(c):
    c.send(raw(GOAWAY, 0, 0, struct.pack(">LL", 0, NO_ERROR) + b"h2spec"), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c, or_close=True)


@case("generic/3.9/1", "6.9", "WINDOW_UPDATE on the connection")
def _(c):
    c.send(raw(WINDOW_UPDATE, 0, 0, struct.pack(">L", 1)), raw(PING, 0, 0, b"h2spec\0\0"))
    return ping_ack(c)


@case("generic/3.9/2", "6.9", "WINDOW_UPDATE on a stream")
def _(c):
    c.send(c.headers(1, ES | EH), raw(WINDOW_UPDATE, 0, 1, struct.pack(">L", 1)))
    return response(c)


@case("generic/3.10/1", "6.10", "HEADERS and one CONTINUATION")
def _(c):
    blk = c.block()
    c.send(raw(HEADERS, ES, 1, blk[:5]), raw(CONTINUATION, EH, 1, blk[5:]))
    return response(c)


@case("generic/3.10/2", "6.10", "HEADERS and two CONTINUATION")
def _(c):
    blk = c.block()
    c.send(raw(HEADERS, ES, 1, blk[:5]), raw(CONTINUATION, 0, 1, blk[5:10]), raw(CONTINUATION, EH, 1, blk[10:]))
    return response(c)


@case("generic/4/1", "8.1", "GET")
def _(c):
    c.send(c.headers(1, ES | EH))
    return response(c)


@case("generic/4/2", "8.1", "HEAD")
def _(c):
    c.send(c.headers(1, ES | EH, method="HEAD"))
    return response(c)


@case("generic/4/3", "8.1", "POST")
def _(c):
    c.send(c.headers(1, EH, method="POST"), raw(DATA, ES, 1, b"test"))
    return response(c)


@case("generic/4/4", "8.1", "POST with trailers")
def _(c):
    c.send(c.headers(1, EH, [("trailer", "x-test")], method="POST"), raw(DATA, 0, 1, b"test"), raw(HEADERS, ES | EH, 1, c.block([("x-test", "ok")], base=False)))
    return response(c)


def field_case(cid, desc, suffix, prefix=b""):
    @case(cid, "7541", desc)
    def _(c):
        c.send(raw(HEADERS, ES | EH, 1, prefix + c.block() + suffix))
        return response(c)


HUF = bytes.fromhex("85f2b24a84ff849c48aca4")
field_case("generic/5/1", "an indexed field (user-agent, static)", b"\xba")
field_case("generic/5/2", "incremental indexing, static name (Huffman)", bytes.fromhex("4087b505b161cc5a93849c48aca4"))
field_case("generic/5/3", "incremental indexing, literal name", b"\x40\x0auser-agent\x06h2spec")
field_case("generic/5/4", "incremental indexing, new name", b"\x40\x06x-test\x06h2spec")
field_case("generic/5/5", "incremental indexing, Huffman name and value", b"\x40" + HUF)
field_case("generic/5/6", "without indexing, literal name", b"\x00\x0auser-agent\x06h2spec")
field_case("generic/5/7", "without indexing, Huffman name (static)", bytes.fromhex("0087b505b161cc5a93849c48aca4"))
field_case("generic/5/8", "without indexing, new name", b"\x00\x06x-test\x06h2spec")
field_case("generic/5/9", "without indexing, Huffman", b"\x00" + HUF)
field_case("generic/5/10", "never indexed, literal name", b"\x10\x0auser-agent\x06h2spec")
field_case("generic/5/11", "never indexed, Huffman name (static)", bytes.fromhex("1087b505b161cc5a93849c48aca4"))
field_case("generic/5/12", "never indexed, Huffman", b"\x10" + HUF)
field_case("generic/5/13", "never indexed, Huffman (again)", b"\x10" + HUF)
field_case("generic/5/14", "a dynamic table size update to 128", b"", prefix=b"\x3f\x61")
field_case("generic/5/15", "two table size updates (128, then 4096)", b"", prefix=bytes.fromhex("3f613fe11f"))


# ---- attacks: bounded, the right code, then the server still serves ----

ATTACKS = []


def attack(cid, desc):
    def register(fn):
        ATTACKS.append((cid, desc, fn))
        return fn
    return register


def goaway_code(c, within=10.0):
    deadline = time.time() + within
    while True:
        f = c.next(deadline)
        if f is None:
            return None
        if f[0] == GOAWAY:
            return struct.unpack(">L", f[3][4:8])[0]


def flood(c, frames, total):
    """Sends `frames` repeatedly up to `total` frames, stopping when the server closes."""
    chunk = b"".join(frames)
    sent = 0
    try:
        while sent < total:
            c.sock.sendall(chunk)
            sent += len(frames)
    except OSError:
        pass
    return sent


@attack("attack/rapid-reset", "CVE-2023-44487: HEADERS then RST_STREAM, 5,000 times")
def _(c):
    frames = []
    for i in range(5000):
        sid = 2 * i + 1
        frames.append(c.headers(sid, ES | EH) + raw(RST_STREAM, 0, sid, struct.pack(">L", CANCEL)))
    try:
        for i in range(0, len(frames), 100):
            c.sock.sendall(b"".join(frames[i : i + 100]))
    except OSError:
        pass
    code = goaway_code(c)
    return code == CALM, f"GOAWAY {name(code) if code is not None else None}"


@attack("attack/made-you-reset", "CVE-2025-8671: WINDOW_UPDATE 0 on each new stream, 20,000 times")
def _(c):
    frames = []
    for i in range(20000):
        sid = 2 * i + 1
        frames.append(c.headers(sid, EH, method="POST") + raw(WINDOW_UPDATE, 0, sid, struct.pack(">L", 0)))
    try:
        for i in range(0, len(frames), 200):
            c.sock.sendall(b"".join(frames[i : i + 200]))
    except OSError:
        pass
    code = goaway_code(c)
    return code == CALM, f"GOAWAY {name(code) if code is not None else None}"


@attack("attack/continuation-flood", "CVE-2024-27316 class: CONTINUATION frames without END_HEADERS")
def _(c):
    c.send(c.headers(1, ES))
    flood(c, [raw(CONTINUATION, 0, 1, b"\x40\x01a\x01b" * 100)], 100_000)
    code = goaway_code(c)
    return code == CALM, f"GOAWAY {name(code) if code is not None else None}"


@attack("attack/hpack-bomb", "CVE-2016-6581 class: one 4 KB entry referenced 1,000 times: 431, connection kept")
def _(c):
    entry = b"\x40\x05x-big\x7f\xa1\x1e" + b"y" * 4000
    c.send(raw(HEADERS, ES | EH, 1, c.block() + entry))
    if not response(c, 1)[0]:
        return False, "no answer to the block that made the entry"
    c.enc = Encoder()  # the table holds x-big at 62 and what the encoder added after
    blk = b"\x82\x86\x84" + b"\x41\x09localhost" + b"\xbf" * 1000
    c.send(raw(HEADERS, ES | EH, 3, blk))
    deadline = time.time() + WAIT
    while True:
        f = c.next(deadline)
        if f is None:
            return False, "no answer"
        if f[0] == HEADERS and f[2] == 3:
            status = dict(c.fields[3]).get(":status")
            return status == "431", f":status {status}"
        if f[0] in (GOAWAY, RST_STREAM):
            return False, f"frame {f[0]}"


@attack("attack/ping-flood", "CVE-2019-9512: PING without end")
def _(c):
    flood(c, [raw(PING, 0, 0, b"floodingx"[:8])] * 100, 200_000)
    code = goaway_code(c)
    return code == CALM, f"GOAWAY {name(code) if code is not None else None}"


@attack("attack/settings-flood", "CVE-2019-9515: SETTINGS without end")
def _(c):
    flood(c, [settings((S_IWS, 65535))] * 100, 200_000)
    code = goaway_code(c)
    return code == CALM, f"GOAWAY {name(code) if code is not None else None}"


@attack("attack/empty-data-flood", "CVE-2019-9518: empty DATA frames without end")
def _(c):
    c.send(c.headers(1, EH, method="POST"))
    flood(c, [raw(DATA, 0, 1, b"")] * 100, 200_000)
    code = goaway_code(c)
    return code == CALM, f"GOAWAY {name(code) if code is not None else None}"


@attack("attack/priority-flood", "CVE-2019-9513: PRIORITY frames without end")
def _(c):
    flood(c, [raw(PRIORITY, 0, 2 * (i % 50) + 1, struct.pack(">LB", 0, 16)) for i in range(100)], 200_000)
    code = goaway_code(c)
    return code == CALM, f"GOAWAY {name(code) if code is not None else None}"


@attack("attack/no-preface", "a connection that never sends the preface is closed (deadline)")
def _(c):
    c.sock.settimeout(15)
    start = time.time()
    try:
        data = c.sock.recv(100)
        while data:
            data = c.sock.recv(100)
    except OSError:
        pass
    return time.time() - start < 14, f"closed after {time.time() - start:.1f} s"


def run_case(host, port, tls, cid, handshake, local, fn):
    try:
        c = Conn(host, port, tls, handshake, local)
    except Exception as e:  # noqa: BLE001 - a failed connection is the case's failure
        return False, f"connect: {e!r}"
    try:
        return fn(c)
    except Exception as e:  # noqa: BLE001
        return False, f"{type(e).__name__}: {e}"
    finally:
        c.sock.close()


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    tls = "--tls" in sys.argv
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
    if "--attacks" in sys.argv:
        for cid, desc, fn in ATTACKS:
            if not cid.startswith(only):
                continue
            handshake = cid != "attack/no-preface"
            ok, detail = run_case(host, port, tls, cid, handshake, ((S_IWS, 65535),), fn)
            print(json.dumps({"id": cid, "section": "10.5", "desc": desc, "result": "pass" if ok else "fail", "detail": detail}), flush=True)
        return
    for cid, section, desc, handshake, local, fn in CASES:
        if not cid.startswith(only):
            continue
        ok, detail = run_case(host, port, tls, cid, handshake, local, fn)
        result = "skip" if ok is None else "pass" if ok else "fail"
        print(json.dumps({"id": cid, "section": section, "desc": desc, "result": result, "detail": detail}), flush=True)


if __name__ == "__main__":
    main()
