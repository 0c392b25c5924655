// The queue (/console/): open and paused cases, the one whose deadline falls first at the top, one API page at a
// time (GET /cases?sort=nextDeadline), with filters kept in the address so a view can be shared, counts per level
// and department, and search by case reference (ESC-…), case id or customer id. Refreshed by polling; countdowns tick locally.
import { get } from './api.ts';
import { h, replace } from './dom.ts';
import { countdown, tickCountdowns } from './format.ts';
import { poll, type Poller } from './live.ts';
import { flags } from './badges.ts';
import { cursorPager } from './pager.ts';
import type { CasePage, CaseView, Metrics } from './types.ts';

const PAGE_SIZE = 25;
/** The queue page is one indexed query; the counts read every open case's index entry, so they refresh less often. */
const QUEUE_EVERY_MS = 5_000;
const COUNTS_EVERY_MS = 15_000;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;
/** A case's short reference, as emails and subjects show it. */
const REFERENCE = /^ESC-[0-9A-HJKMNP-TV-Z]{6}$/i;

const FILTERS = ['status', 'level', 'priority', 'department', 'customerId', 'breached', 'overdue', 'atRisk'] as const;

export function queuePage(main: HTMLElement): () => void {
  const params = new URLSearchParams(location.search);
  const pager = cursorPager({ label: 'Queue pages', back: '← Previous page', forward: 'Next page →', start: params.get('cursor') ?? undefined, onMove: () => void queuePoll.now() });

  const counts = h('section', { class: 'counts', 'aria-labelledby': 'counts-h' }, h('h2', { id: 'counts-h' }, 'Open cases'), h('p', { class: 'muted' }, 'Counting…'));
  const status = h('p', { class: 'muted small', role: 'status', id: 'queue-status' });
  const tbody = h('tbody');

  const select = (name: string, label: string, options: string[]) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: `f-${name}` }, label),
      h('select', { id: `f-${name}`, name }, h('option', { value: '' }, 'any'), ...options.map((o) => h('option', { value: o, selected: params.get(name) === o }, o))),
    );
  const check = (name: string, label: string) =>
    h('div', { class: 'field check' }, h('input', { type: 'checkbox', id: `f-${name}`, name, value: 'true', checked: params.get(name) === 'true' }), h('label', { for: `f-${name}` }, label));
  const department = h('input', { id: 'f-department', name: 'department', value: params.get('department') ?? '', list: 'departments', size: 12, autocomplete: 'off' });
  const departments = h('datalist', { id: 'departments' });

  const filters = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter the queue' },
    select('status', 'Status', ['OPEN', 'PAUSED']),
    select('level', 'Level', ['L0', 'L1', 'L2', 'L3']),
    select('priority', 'Priority', ['P1', 'P2', 'P3', 'P4']),
    h('div', { class: 'field' }, h('label', { for: 'f-department' }, 'Department'), department, departments),
    check('atRisk', 'At risk'),
    check('breached', 'Breached'),
    check('overdue', 'Overdue'),
    h('button', { type: 'submit' }, 'Apply'),
    h('a', { href: '/console/', class: 'button secondary' }, 'Clear'),
  );
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(filters)) if (typeof v === 'string' && v) next.set(k, v);
    if (params.get('customerId')) next.set('customerId', params.get('customerId')!);
    location.assign(`/console/${next.size ? `?${next}` : ''}`);
  });

  const search = h('input', { id: 'search', name: 'q', type: 'search', placeholder: 'ESC-… reference, case id or customer id', value: params.get('customerId') ?? '', autocomplete: 'off' });
  const searchForm = h(
    'form',
    { class: 'search', role: 'search' },
    h('label', { for: 'search' }, 'Find a case or a customer'),
    search,
    h('button', { type: 'submit' }, 'Find'),
  );
  searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = search.value.trim();
    if (!q) return location.assign('/console/');
    // A case id (ULID) goes straight to the case; a short reference (ESC-7K2M9Q) is looked up through the API's
    // reference index; anything else is a customer id.
    if (ULID.test(q)) return location.assign(`/console/cases/${q.toUpperCase()}`);
    if (REFERENCE.test(q)) {
      void get<CasePage>(`/cases?reference=${encodeURIComponent(q.toUpperCase())}`).then((page) => {
        const found = page.items[0];
        location.assign(found ? `/console/cases/${found.id}` : `/console/?customerId=${encodeURIComponent(q)}`);
      });
      return;
    }
    location.assign(`/console/?customerId=${encodeURIComponent(q)}`);
  });

  const table = h(
    'table',
    { class: 'queue' },
    h('caption', {}, 'Next deadline first', params.get('customerId') ? ` · customer ${params.get('customerId')}` : ''),
    h(
      'thead',
      {},
      h('tr', {}, ...['Due', 'Case', 'Customer', 'Priority', 'Level', 'Department', 'Status', 'Flags'].map((c) => h('th', { scope: 'col' }, c))),
    ),
    tbody,
  );

  replace(main, h('h1', {}, 'Queue'), h('div', { class: 'queue-top' }, searchForm, counts), filters, status, h('div', { class: 'table-wrap' }, table), pager.element);

  const query = () => {
    const q = new URLSearchParams({ sort: 'nextDeadline', limit: String(PAGE_SIZE) });
    for (const f of FILTERS) {
      const v = params.get(f);
      if (v) q.set(f, v);
    }
    const cursor = pager.cursor();
    if (cursor) q.set('cursor', cursor);
    return q;
  };

  const row = (c: CaseView) =>
    h(
      'tr',
      { 'data-case': c.id },
      h(
        'td',
        { class: 'due' },
        h('span', { 'data-due': c.nextDeadline?.at ?? '' }, countdown(c.nextDeadline?.at)),
        h('span', { class: 'small muted' }, c.nextDeadline ? (c.nextDeadline.kind === 'close-by' ? ' close-by' : ` ${c.level} ends`) : ''),
      ),
      h('td', {}, h('a', { href: `/console/cases/${c.id}` }, c.subject), h('div', { class: 'small muted mono' }, c.id)),
      h('td', {}, c.customer.name ?? c.customer.id, h('div', { class: 'small muted' }, c.customer.tier ?? '')),
      h('td', {}, c.priority),
      h('td', {}, c.level),
      h('td', {}, c.department),
      h('td', {}, c.status),
      h('td', {}, flags(c)),
    );

  const refresh = async () => {
    const page = await get<CasePage>(`/cases?${query()}`);
    replace(tbody, ...(page.items.length ? page.items.map(row) : [h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No open case matches.'))]));
    tickCountdowns(tbody);
    status.textContent = `${page.items.length} case${page.items.length === 1 ? '' : 's'} on this page · updated ${new Date().toLocaleTimeString()}`;
    pager.show(page.nextCursor);
  };

  const refreshCounts = async () => {
    const m = { open: await get<Metrics['open']>('/queue') };
    const list = (title: string, entries: [string, number][], filter: string) =>
      h(
        'div',
        {},
        h('h3', {}, title),
        h('ul', { class: 'chips' }, ...entries.map(([k, n]) => h('li', {}, h('a', { href: `/console/?${filter}=${encodeURIComponent(k)}` }, `${k} `, h('strong', {}, String(n)))))),
      );
    const depts = Object.entries(m.open.byDepartment).sort((a, b) => b[1] - a[1]);
    replace(departments, ...depts.map(([d]) => h('option', { value: d })));
    replace(counts, h('h2', { id: 'counts-h' }, `Open cases: ${m.open.total}`), list('By level', Object.entries(m.open.byLevel), 'level'), list('By department', depts, 'department'));
  };

  const queuePoll: Poller = poll(QUEUE_EVERY_MS, refresh);
  const countsPoll: Poller = poll(COUNTS_EVERY_MS, refreshCounts);
  return () => {
    queuePoll.stop();
    countsPoll.stop();
  };
}
