// Time as the simulator sees it. Tests inject a manual clock; the CLI uses
// the system one. Nothing in the simulator calls Date.now() directly.
export interface Clock {
  now(): Date;
  /** schedule `fn` after `ms` of this clock's time; returns a cancel function */
  setTimeout(fn: () => void, ms: number): () => void;
}

/** Node's timers hold at most 2^31-1 ms (about 24.8 days) and fire a longer delay at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => new Date(),
  // a longer wait (a scheduled task a month away) is a chain of timers, each re-armed for what is left
  setTimeout(fn, ms) {
    let t: ReturnType<typeof setTimeout>;
    const arm = (left: number) => {
      t = setTimeout(() => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : fn()), Math.min(left, MAX_TIMER_MS));
      t.unref?.();
    };
    arm(Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/** A clock that moves only when told to: `advance(ms)` fires what falls due. */
export class ManualClock implements Clock {
  private t: number;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  constructor(start: Date = new Date("2016-08-06T19:50:00Z")) {
    this.t = start.getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  setTimeout(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return () => {
      this.timers = this.timers.filter((x) => x.id !== id);
    };
  }
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = until;
  }
}
