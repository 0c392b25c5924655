// Kept-aside email (/console/inbound): the inbound messages that did not land on a case, newest first, with why
// (GET /inbound/quarantine, managers only) — a customer writing from another address, a forged reply address, an
// out-of-office, a message that failed SES's checks. Nothing here is on a case's timeline; the case it named is linked.
import { ApiError, get } from './api.ts';
import { h, replace } from './dom.ts';
import { when } from './format.ts';
import { poll, type Poller } from './live.ts';
import { cursorPager } from './pager.ts';
import type { QuarantinePage, QuarantinedMail } from './types.ts';

const PAGE_SIZE = 25;
const EVERY_MS = 15_000;

/** Why a message was kept aside, in words an agent reads at a glance (the API's `detail` says more). */
const REASON: Record<QuarantinedMail['reason'], string> = {
  verdict: 'failed SES checks',
  'auto-reply': 'auto-reply or bounce',
  'unknown-address': 'not a reply address',
  'unknown-case': 'no such case',
  'not-the-customer': 'not the case\'s customer',
};

export function inboundPage(main: HTMLElement): () => void {
  const pager = cursorPager({ label: 'Kept-aside email pages', back: '← Newer', forward: 'Older →', onMove: () => void inboundPoll.now() });
  const status = h('p', { class: 'muted small', role: 'status', id: 'inbound-status' });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'queue inbound' },
    h('caption', {}, 'Newest first'),
    h('thead', {}, h('tr', {}, ...['Received', 'From', 'Subject', 'Why', 'Case'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  replace(
    main,
    h('p', {}, h('a', { href: '/console/' }, '← Queue')),
    h('h1', {}, 'Kept-aside email'),
    h(
      'p',
      { class: 'muted' },
      'Inbound email that did not land on a case: only the case\'s customer, writing to the case\'s own reply address, reaches its timeline. Ask a customer who wrote from another address to reply from the one on the case.',
    ),
    status,
    h('div', { class: 'table-wrap' }, table),
    pager.element,
  );

  const row = (m: QuarantinedMail) =>
    h(
      'tr',
      { 'data-mail': m.id },
      h('td', {}, when(m.receivedAt)),
      h('td', {}, m.from ?? '—', h('div', { class: 'small muted' }, `to ${m.recipients.join(', ')}`)),
      h('td', {}, m.subject || '(no subject)'),
      h('td', {}, h('span', { class: `badge ${m.reason === 'verdict' ? 'breached' : 'risk'}`, 'data-reason': m.reason }, REASON[m.reason] ?? m.reason), h('div', { class: 'small' }, m.detail)),
      h('td', {}, m.caseId ? h('a', { href: `/console/cases/${m.caseId}` }, 'Open case') : h('span', { class: 'muted' }, '—')),
    );

  const refresh = async () => {
    let page: QuarantinePage;
    const cursor = pager.cursor();
    try {
      page = await get<QuarantinePage>(`/inbound/quarantine?${new URLSearchParams({ limit: String(PAGE_SIZE), ...(cursor ? { cursor } : {}) })}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) {
        replace(tbody, h('tr', {}, h('td', { colspan: 5 }, 'Kept-aside email is for managers (the cases/manage scope).')));
        inboundPoll.stop();
        return;
      }
      throw e;
    }
    replace(tbody, ...(page.items.length ? page.items.map(row) : [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'Nothing kept aside.'))]));
    status.textContent = `${page.items.length} message${page.items.length === 1 ? '' : 's'} on this page · updated ${new Date().toLocaleTimeString()}`;
    pager.show(page.nextCursor);
  };
  const inboundPoll: Poller = poll(EVERY_MS, refresh);
  return () => inboundPoll.stop();
}
