/** A tiny external store for React's useSyncExternalStore: an immutable state and
 * listeners told of every change. */

export type Listener = () => void;

export class ExternalStore<S> {
  private listeners = new Set<Listener>();

  constructor(protected state: S) {}

  getState = (): S => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  protected setState(next: S): void {
    if (Object.is(next, this.state)) return;
    this.state = next;
    this.emit();
  }

  protected emit(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
