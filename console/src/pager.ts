// Paging through an API list that only pages forward (nextCursor): the cursors of the pages before this one are kept
// here, so "back" works without the API paging backwards.
import { h, replace } from './dom.ts';

export interface CursorPager {
  /** The nav element holding the buttons. */
  readonly element: HTMLElement;
  /** The cursor of the page to fetch (undefined: the first page). */
  cursor(): string | undefined;
  /** Show the buttons for the page just fetched. */
  show(nextCursor: string | null | undefined): void;
}

export function cursorPager(opts: { label: string; back: string; forward: string; start?: string; onMove: () => void }): CursorPager {
  const element = h('nav', { class: 'pager', 'aria-label': opts.label });
  const before: (string | undefined)[] = [];
  let current = opts.start;
  const move = (to: string | undefined) => {
    current = to;
    opts.onMove();
  };
  return {
    element,
    cursor: () => current,
    show(nextCursor) {
      replace(
        element,
        before.length ? h('button', { type: 'button', class: 'secondary', onclick: () => move(before.pop()) }, opts.back) : null,
        nextCursor
          ? h('button', { type: 'button', class: 'secondary', onclick: () => { before.push(current); move(nextCursor); } }, opts.forward)
          : null,
      );
    },
  };
}
