// ULIDs sort by the instant they were minted: a window of creation times is a range of ids.
import { encodeTime } from 'ulid';

/** The smallest ULID of an instant: its 10-character time prefix (instants before 1970 clamp to the first). */
export function ulidFloor(iso: string): string {
  return encodeTime(Math.max(0, Date.parse(iso)), 10);
}
