// local/stepfunctions/long-timers.ts — global setTimeout/clearTimeout wrapper so delays above 2^31-1 ms wait their full time.
//
// Why: aws-local-stepfunctions waits with one plain `setTimeout(ms)`, and Node (and vitest's fake timers) clamp any
// delay > 2^31-1 ms (~24.8 days) to 1 ms — a 30-day Wait would finish at once. We cannot reach into the library, so
// we wrap the global functions it calls. Short delays go straight to the wrapped function (unchanged behaviour);
// long ones become a chain of chunks, each re-computing the remaining time from Date.now() so the chain tracks the
// wall clock (and vitest's fake Date) rather than accumulating drift.
import { promisify } from 'node:util';

export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Marks our wrappers, so a second install over them is a no-op (idempotent) but an install over vitest's fakes is not. */
const WRAPPER_MARK = Symbol.for('escalator.local-stepfunctions.long-timers');

type TimerCallback = (...args: unknown[]) => void;
type SetTimeoutFn = (callback: TimerCallback, delay?: number, ...args: unknown[]) => unknown;
type ClearTimeoutFn = (handle: unknown) => void;
interface TimerTarget {
  setTimeout: unknown;
  clearTimeout: unknown;
}

/** Handle returned for long delays; mirrors the parts of Node's Timeout API that callers use. */
class LongTimeout {
  private inner: unknown;
  private dueAt: number;
  private refed = true;
  private closed = false;

  constructor(
    private readonly id: number,
    private readonly callback: TimerCallback,
    private readonly delay: number,
    private readonly args: unknown[],
    private readonly innerSet: SetTimeoutFn,
    private readonly innerClear: ClearTimeoutFn,
    private readonly registry: Map<number, LongTimeout>,
  ) {
    this.dueAt = Date.now() + delay;
    registry.set(id, this);
    this.arm();
  }

  private arm(): void {
    if (this.closed) return;
    const remaining = this.dueAt - Date.now();
    if (remaining <= 0) {
      this.close();
      this.callback(...this.args);
      return;
    }
    this.inner = this.innerSet(() => this.arm(), Math.min(remaining, MAX_TIMER_DELAY_MS));
    if (!this.refed) callOptional(this.inner, 'unref');
  }

  close(): this {
    this.closed = true;
    this.registry.delete(this.id);
    if (this.inner !== undefined) this.innerClear(this.inner);
    this.inner = undefined;
    return this;
  }

  ref(): this {
    this.refed = true;
    callOptional(this.inner, 'ref');
    return this;
  }

  unref(): this {
    this.refed = false;
    callOptional(this.inner, 'unref');
    return this;
  }

  hasRef(): boolean {
    return this.refed;
  }

  /** Node semantics: restart the full delay from now. */
  refresh(): this {
    if (this.closed) return this;
    if (this.inner !== undefined) this.innerClear(this.inner);
    this.dueAt = Date.now() + this.delay;
    this.arm();
    return this;
  }

  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

function callOptional(target: unknown, method: 'ref' | 'unref'): void {
  const fn = (target as Record<string, unknown> | undefined)?.[method];
  if (typeof fn === 'function') fn.call(target);
}

/**
 * Installs the wrapper on `target` (default: globalThis). Idempotent: does nothing when the current functions are
 * already ours. Installing over different functions (e.g. vitest's fake timers) wraps those, so fake clocks see
 * chunked long timers too.
 */
export function installLongTimers(target: TimerTarget = globalThis): void {
  const currentSet = target.setTimeout as SetTimeoutFn & { [WRAPPER_MARK]?: true };
  if (currentSet[WRAPPER_MARK]) return;
  const innerSet = currentSet;
  const innerClear = target.clearTimeout as ClearTimeoutFn;
  const registry = new Map<number, LongTimeout>();
  // Ids far above Node's own timer ids, so clearTimeout(number) can never confuse ours with a native timer.
  let nextId = 2 ** 50;

  const wrappedSet = function setTimeout(callback: TimerCallback, delay?: number, ...args: unknown[]): unknown {
    const ms = Number(delay);
    // NaN, negative, short or non-callable: the wrapped function's own behaviour (including its errors) applies.
    if (!(ms > MAX_TIMER_DELAY_MS) || typeof callback !== 'function') return innerSet(callback, delay, ...args);
    return new LongTimeout(nextId++, callback, ms, args, innerSet, innerClear, registry);
  };
  const wrappedClear = function clearTimeout(handle: unknown): void {
    if (handle instanceof LongTimeout) {
      handle.close();
      return;
    }
    const long = typeof handle === 'number' || typeof handle === 'string' ? registry.get(Number(handle)) : undefined;
    if (long) long.close();
    else innerClear(handle);
  };

  // Keep util.promisify(setTimeout) working: Node attaches its promise form under promisify.custom.
  const custom = (currentSet as unknown as Record<symbol, unknown>)[promisify.custom];
  if (custom !== undefined) Object.defineProperty(wrappedSet, promisify.custom, { value: custom });
  Object.defineProperty(wrappedSet, WRAPPER_MARK, { value: true });
  Object.defineProperty(wrappedClear, WRAPPER_MARK, { value: true });
  target.setTimeout = wrappedSet;
  target.clearTimeout = wrappedClear;
}
