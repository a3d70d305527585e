/**
 * A process-wide fair scheduler for the CPU work of TlsSockets (handshake
 * flights, decrypting what arrived, sealing what is written), so that many
 * connections cannot hold the event loop: timers (handshake timeouts
 * included) and I/O get their turn every few milliseconds.
 *
 * A task does its work in bounded steps (`step()`: one piece, e.g. at most
 * 64 KiB fed to the Connection, then says whether it has more). The scheduler
 * runs the ready tasks round-robin, one step each in turn, until the time
 * budget of this event-loop turn is spent, then continues in a setImmediate.
 *
 * When nothing else is waiting and the budget is not spent, a task runs at
 * once, inside the call that scheduled it (a 'data' event, a write): an idle
 * process keeps the latency and throughput of doing the work inline. The
 * budget is reset by the setImmediate, once per event-loop turn with work.
 *
 * Within a task nothing is reordered: the task chooses what its next step is.
 */
import { performance } from 'node:perf_hooks';

export interface Task {
  /** Do one bounded piece of work. Returns true when more work is ready now. */
  step(): boolean;
}

/** Default time budget per event-loop turn, in ms. */
export const DEFAULT_BUDGET_MS = 5;

export class Scheduler {
  /** Work per event-loop turn, in ms, before the rest waits for a setImmediate (at least one step runs per turn). */
  budgetMs: number;
  private ready: (Task | undefined)[] = [];
  private head = 0;
  private readonly queued = new Set<Task>();
  private running = false;
  private spent = 0;
  private armed = false;
  /** Turns that ended with work left for the next one (for tests and diagnostics). */
  deferredTurns = 0;

  constructor(budgetMs = DEFAULT_BUDGET_MS) {
    this.budgetMs = budgetMs;
  }

  /** Tasks waiting for a step. */
  get pending(): number {
    return this.ready.length - this.head;
  }

  /** `task` has work ready: queue it (once) and, if nothing else waits and the budget allows, run it now. */
  schedule(task: Task): void {
    if (!this.queued.has(task)) {
      this.queued.add(task);
      this.ready.push(task);
    }
    if (this.running) return; // the running loop reaches it
    if (this.pending > 1) return; // others wait: the armed setImmediate runs them in order
    if (this.spent < this.budgetMs) this.run();
    else this.arm();
  }

  private run(): void {
    this.running = true;
    let t = performance.now();
    try {
      do {
        const task = this.ready[this.head]!;
        this.ready[this.head++] = undefined;
        this.queued.delete(task);
        if (task.step() && !this.queued.has(task)) {
          this.queued.add(task);
          this.ready.push(task);
        }
        const now = performance.now();
        this.spent += now - t;
        t = now;
      } while (this.pending > 0 && this.spent < this.budgetMs);
    } finally {
      // A step that threw (a listener's exception) propagates; the queue stays consistent.
      this.running = false;
      this.compact();
      if (this.pending > 0) this.deferredTurns++;
      this.arm();
    }
  }

  /** A setImmediate: a new turn's budget, and the waiting tasks. */
  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    setImmediate(this.turn);
  }

  private readonly turn = (): void => {
    this.armed = false;
    this.spent = 0;
    if (this.pending > 0) this.run();
  };

  private compact(): void {
    if (this.head === this.ready.length) {
      this.ready = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
  }
}

/** The one scheduler all TlsSockets of this process share. */
export const scheduler = new Scheduler();
