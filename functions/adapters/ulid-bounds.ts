// Secondary adapter helper: time windows as ranges of ULIDs (case ids sort by creation time).

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A ULID's time part is 48 bits of Unix milliseconds: 1970-01-01T00:00:00.000Z to the year 10889. */
export const ULID_TIME_MAX = 2 ** 48 - 1;

/**
 * The smallest ULID minted at an instant: its 10-character time prefix. Instants outside the ULID range are
 * clamped to its ends, which gives the right answer for a window: no case was created before 1970 (a bound before
 * it is the start of all ids) and none after the year 10889. Throws on a string that is not an instant.
 */
export function ulidFloor(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an instant: ${iso}`);
  let t = Math.min(Math.max(ms, 0), ULID_TIME_MAX);
  let s = '';
  for (let i = 0; i < 10; i++) {
    s = CROCKFORD[t % 32] + s;
    t = Math.floor(t / 32);
  }
  return s;
}
