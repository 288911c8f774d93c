// The system clock's timers: Node holds a delay of at most 2^31-1 ms (about
// 24.8 days) and fires a longer one at once, so a scheduled task a month
// away (ScheduledTaskManager) would run immediately under `npm run sim`.
import { afterEach, describe, expect, it, vi } from "vitest";
import { systemClock } from "../../simulator/clock.ts";

const DAY = 24 * 3600 * 1000;

describe("systemClock.setTimeout", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits the whole delay when it is longer than a Node timer can hold", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    systemClock.setTimeout(fn, 40 * DAY);
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * DAY);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10 * DAY);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("can be cancelled across the re-arming", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const cancel = systemClock.setTimeout(fn, 60 * DAY);
    vi.advanceTimersByTime(30 * DAY);
    cancel();
    vi.advanceTimersByTime(40 * DAY);
    expect(fn).not.toHaveBeenCalled();
  });

  it("fires a short delay once", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    systemClock.setTimeout(fn, 500);
    vi.advanceTimersByTime(499);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
