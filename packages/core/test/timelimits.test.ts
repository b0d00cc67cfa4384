/**
 * The time-limit arithmetic on its own: which limit applies to each wait, when it ends and why.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { BODY_WAIT, HEAD_WAIT, type Limits, NO_WAIT, TimeLimits } from "../src/server/timelimits.js";

const NONE: Limits = { headersMs: null, keepAliveMs: null, requestMs: null, sendMs: null };

describe("TimeLimits", () => {
  test("the first head counts from the accept, whether bytes came or not", () => {
    const t = new TimeLimits({ ...NONE, headersMs: 1000, keepAliveMs: 200 }, 5000);
    t.awaitHead(5300, false, true);
    t.beginRead(HEAD_WAIT, 5300);
    expect(t.readDeadline()).toBe(6000);
    expect(t.readExpiry(false)).toBe("idle");
    expect(t.readExpiry(true)).toBe("head");
  });

  test("a later head: keepAlive while nothing came, then headersTimeout from its first byte", () => {
    const t = new TimeLimits({ ...NONE, headersMs: 1000, keepAliveMs: 200 }, 0);
    t.awaitHead(10_000, false, false);
    t.beginRead(HEAD_WAIT, 10_000);
    expect(t.readDeadline()).toBe(10_200);
    t.received(10_150);
    expect(t.readDeadline()).toBe(11_150);
    // More bytes do not move the head's deadline.
    t.received(11_000);
    expect(t.readDeadline()).toBe(11_150);
    // A next head already partly buffered when awaited starts then.
    t.endRead();
    t.awaitHead(20_000, true, false);
    t.beginRead(HEAD_WAIT, 20_000);
    expect(t.readDeadline()).toBe(21_000);
  });

  test("a body wait restarts with each byte; Python's timeout wins when shorter", () => {
    const t = new TimeLimits({ ...NONE, requestMs: 500 }, 0);
    t.beginRead(BODY_WAIT, 100);
    expect(t.readDeadline()).toBe(600);
    t.received(400);
    expect(t.readDeadline()).toBe(900);
    expect(t.readExpiry(false)).toBe("body");
    t.pythonMs = 300;
    expect(t.readDeadline()).toBe(700);
    expect(t.readExpiry(false)).toBe("python");
  });

  test("no wait, no deadline; no limit, no deadline", () => {
    const t = new TimeLimits(NONE, 0);
    expect(t.wait).toBe(NO_WAIT);
    expect(t.readDeadline()).toBe(Infinity);
    t.beginRead(HEAD_WAIT, 0);
    expect(t.readDeadline()).toBe(Infinity);
    t.beginRead(BODY_WAIT, 0);
    expect(t.readDeadline()).toBe(Infinity);
    expect(t.writeDeadline(true)).toBe(Infinity);
    const limited = new TimeLimits({ ...NONE, requestMs: 1 }, 0);
    limited.beginRead(BODY_WAIT, 0);
    limited.endRead();
    expect(limited.readDeadline()).toBe(Infinity);
  });

  test("a drain wait: only a shrinking queue is progress", () => {
    const t = new TimeLimits({ ...NONE, sendMs: 1000 }, 0);
    t.beginDrain(0, 5000);
    expect(t.writeDeadline(false)).toBe(Infinity);
    expect(t.writeDeadline(true)).toBe(1000);
    t.sendProgress(900, 5000);
    expect(t.writeDeadline(true)).toBe(1000);
    t.sendProgress(950, 4000);
    expect(t.writeDeadline(true)).toBe(1950);
    expect(t.writeExpiry()).toBe("send");
    t.pythonMs = 1000;
    expect(t.writeExpiry()).toBe("python");
    expect(t.seconds("sendMs")).toBe(1);
  });

  test("property: a byte ends no wait early, a body wait only moves later, a trickling head never passes headersTimeout", () => {
    const limit = fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null });
    fc.assert(
      fc.property(
        fc.record({ headersMs: limit, keepAliveMs: limit, requestMs: limit, sendMs: limit }),
        limit,
        fc.constantFrom(HEAD_WAIT, BODY_WAIT),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 10 }),
        (limits, pythonMs, kind, gaps) => {
          const t = new TimeLimits(limits, 0);
          t.pythonMs = pythonMs;
          t.awaitHead(0, false, false);
          t.beginRead(kind, 0);
          let now = 0;
          let first = -1;
          let deadline = t.readDeadline();
          for (const gap of gaps) {
            now += gap;
            t.received(now);
            if (first < 0) first = now;
            const next = t.readDeadline();
            const headDue = kind === HEAD_WAIT && limits.headersMs !== null ? first + limits.headersMs : null;
            // A byte is activity: the wait ends after it, unless the head's own deadline is due.
            if (next !== Infinity && next !== headDue) expect(next).toBeGreaterThan(now);
            // A body wait only moves later; a head trickling in never gets past headersTimeout.
            if (kind === BODY_WAIT) expect(next).toBeGreaterThanOrEqual(deadline);
            if (headDue !== null) expect(next).toBeLessThanOrEqual(headDue);
            deadline = next;
          }
        },
      ),
    );
  });
});
