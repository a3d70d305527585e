/**
 * A minimal typed event emitter, so the sans-IO core needs no node import.
 * Listeners run synchronously; a throwing listener propagates to the caller.
 */
export class Emitter<Events extends Record<string, unknown>> {
  private listeners: { [K in keyof Events]?: ((arg: Events[K]) => void)[] } = {};

  on<K extends keyof Events>(event: K, fn: (arg: Events[K]) => void): this {
    (this.listeners[event] ??= []).push(fn);
    return this;
  }

  off<K extends keyof Events>(event: K, fn: (arg: Events[K]) => void): this {
    const l = this.listeners[event];
    if (l) this.listeners[event] = l.filter((f) => f !== fn);
    return this;
  }

  hasListeners(event: keyof Events): boolean {
    return (this.listeners[event]?.length ?? 0) > 0;
  }

  protected emit<K extends keyof Events>(event: K, arg: Events[K]): void {
    const l = this.listeners[event];
    if (l) for (const fn of [...l]) fn(arg);
  }
}
