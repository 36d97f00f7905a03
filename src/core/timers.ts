/**
 * Timer delays from user-given timeouts. Node's setTimeout takes at most 2^31-1 ms (~24.8 days);
 * a larger delay fires after 1 ms with a TimeoutOverflowWarning, so a generous per-call timeout
 * would fail at once. Every delay that comes from a user's timeout or deadline goes through
 * `timerDelay`: clamped to what a timer can wait (a wait that long is as good as unbounded).
 */

/** setTimeout's largest delay. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** `ms` as a delay setTimeout honours: never negative, never above MAX_TIMER_DELAY. */
export function timerDelay(ms: number): number {
  return ms > MAX_TIMER_DELAY ? MAX_TIMER_DELAY : ms > 0 ? ms : 0;
}
