// The stream consumer reads every item image it is handed, including shapes the Streams API client produces for
// empty maps and lists, so one odd item never fails a batch.
import { describe, expect, it } from 'vitest';
import { image } from '../../functions/stream/effects.ts';

describe('stream images', () => {
  it('reads an empty map given as {} (no type key), at any depth, and empty lists', () => {
    // Prepare
    const raw = { pk: { S: 'CASE#1' }, data: {}, nested: { M: { inner: {}, list: { L: [{}] } } }, compensations: { L: [] } };
    // Act
    const item = image(raw);
    // Assess
    expect(item).toEqual({ pk: 'CASE#1', data: {}, nested: { inner: {}, list: [{}] }, compensations: [] });
  });
});
