// Live updates by polling the API. Why polling and not server-sent events: the API runs on API Gateway HTTP APIs
// and Lambda, which buffer a response and end it within 30 s, so a stream cannot be held open; polling works the
// same locally and on AWS, through the same JWT checks, and costs one small indexed read per interval. Polls pause
// while the tab is hidden and never overlap; countdowns tick every second in the browser without any request.
import { tickCountdowns } from './format.ts';

export interface Poller {
  stop(): void;
  /** Poll now (after an action), then carry on at the interval. */
  now(): Promise<void>;
}

export function poll(everyMs: number, fn: () => Promise<void>): Poller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = async () => {
    clearTimeout(timer);
    if (stopped) return;
    if (document.visibilityState === 'visible') {
      running ??= fn()
        .catch((e: unknown) => console.warn('poll failed', e))
        .finally(() => (running = undefined));
      await running;
    }
    if (!stopped) timer = setTimeout(() => void run(), everyMs);
  };
  const onVisible = () => document.visibilityState === 'visible' && void run();
  document.addEventListener('visibilitychange', onVisible);
  void run();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    },
    now: run,
  };
}

let ticker: ReturnType<typeof setInterval> | undefined;
export function startTicker(): void {
  ticker ??= setInterval(() => tickCountdowns(), 1000);
}
