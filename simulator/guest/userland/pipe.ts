// A byte pipe between simulated processes (and between a process and
// whoever started it). One reader: either pulled with read() or pushed to
// onData listeners. A reader that goes away (`head` has its lines) makes
// writes fail, which is how `yes | head -n 3` ends: SIGPIPE, in effect.

export class Pipe {
  private chunks: Buffer[] = [];
  private ended = false;
  private readerGone = false;
  private waiter: (() => void) | undefined;
  private dataListeners: ((d: Buffer) => void)[] = [];
  private endListeners: (() => void)[] = [];

  /** false when nobody will read it any more (the writer should stop) */
  write(data: Buffer | string): boolean {
    if (this.readerGone) return false;
    if (this.ended) return false;
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    if (buf.length === 0) return true;
    if (this.dataListeners.length) for (const l of this.dataListeners) l(buf);
    else {
      this.chunks.push(buf);
      this.wake();
    }
    return true;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.wake();
    if (this.dataListeners.length || this.endListeners.length) for (const l of this.endListeners.splice(0)) l();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get isBroken(): boolean {
    return this.readerGone;
  }

  /** The next chunk, or null at the end. `abort` ends the wait early with null. */
  async read(abort?: AbortSignal): Promise<Buffer | null> {
    for (;;) {
      if (this.chunks.length) return this.chunks.shift()!;
      if (this.ended || abort?.aborted) return null;
      await new Promise<void>((resolve) => {
        const done = () => {
          abort?.removeEventListener("abort", done);
          this.waiter = undefined;
          resolve();
        };
        this.waiter = done;
        abort?.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** Everything until the end. */
  async readAll(abort?: AbortSignal): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let c = await this.read(abort); c; c = await this.read(abort)) parts.push(c);
    return Buffer.concat(parts);
  }

  /** Push mode: what is queued is delivered now, the rest as it comes. */
  onData(listener: (d: Buffer) => void): void {
    this.dataListeners.push(listener);
    for (const c of this.chunks.splice(0)) listener(c);
  }

  onEnd(listener: () => void): void {
    if (this.ended && this.chunks.length === 0) listener();
    else this.endListeners.push(listener);
  }

  /** The reader is done: later writes fail. */
  close(): void {
    this.readerGone = true;
    this.chunks = [];
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
    if (this.ended && this.dataListeners.length) for (const l of this.endListeners.splice(0)) l();
  }
}

/** Lines of a pipe, as `read` in a shell sees them; the last one may lack its newline. */
export class LineReader {
  private buf = "";
  private done = false;
  constructor(private readonly pipe: Pipe, private readonly abort?: AbortSignal) {}

  async next(): Promise<string | null> {
    for (;;) {
      const i = this.buf.indexOf("\n");
      if (i >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        return line;
      }
      if (this.done) {
        if (this.buf === "") return null;
        const line = this.buf;
        this.buf = "";
        return line;
      }
      const c = await this.pipe.read(this.abort);
      if (c === null) this.done = true;
      else this.buf += c.toString("utf8");
    }
  }
}
