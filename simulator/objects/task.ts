// Task: the handle a *_Task method returns. Its info moves queued → running →
// success | error through update(), so WaitForUpdates sees every step.
import type { CallContext, Args, SavedState } from "./managed-object.ts";
import { ManagedObject } from "./managed-object.ts";
import { VimFault } from "../../vim25/soap/index.ts";

export class Task extends ManagedObject {
  /** set by CancelTask; the running body looks at it */
  cancelRequested = false;

  override saveState(): SavedState & { cancelRequested: boolean } {
    return { ...super.saveState(), cancelRequested: this.cancelRequested };
  }

  override loadState(s: SavedState & { cancelRequested: boolean }): void {
    super.loadState(s);
    this.cancelRequested = s.cancelRequested;
  }

  get info(): Record<string, unknown> {
    return this.props.info as Record<string, unknown>;
  }

  /** success or error: nothing moves it any more */
  get finished(): boolean {
    return isFinalState(this.info.state);
  }

  CancelTask(_args: Args, _ctx: CallContext): void {
    if (this.finished) throw new VimFault("InvalidState", {}, "The task has already completed.");
    if (!this.info.cancelable) throw new VimFault("NotSupported", {}, "The task cannot be cancelled.");
    this.cancelRequested = true;
    this.update({ "info.cancelled": true });
  }

  SetTaskState(args: Args): void {
    if (this.finished) throw new VimFault("InvalidState", {}, "The task has already completed.");
    const now = this.sim.clock.now();
    this.update({
      "info.state": args.state,
      "info.result": args.result,
      "info.error": args.fault,
      ...(args.state === "running" ? { "info.startTime": now } : {}),
      ...(isFinalState(args.state) ? { "info.completeTime": now } : {}),
    });
    if (this.finished) this.sim.tasks.completed(this);
  }

  UpdateProgress(args: Args): void {
    this.update({ "info.progress": args.percentDone });
  }
}

function isFinalState(state: unknown): boolean {
  return state === "success" || state === "error";
}
