// The case page (/console/cases/{id}): details, customer and their history, SLA deadlines with countdowns and what
// the timer does next, the actions the token's scopes allow, compensations, the timeline with emails, and the
// workflow drawn from its definition with every execution and why it ended. Polls the case and its workflow.
import { ApiError, get, post } from './api.ts';
import { can, type Session } from './auth.ts';
import { flags } from './badges.ts';
import { announce, h, replace } from './dom.ts';
import { countdown, tickCountdowns, when } from './format.ts';
import { poll } from './live.ts';
import type { CaseView, CustomerHistory, TimelineEvent, Workflow } from './types.ts';
import { workflowGraph } from './workflow-graph.ts';

const EVERY_MS = 3_000;
/** The timeline shows its newest events; older ones on request. */
const TIMELINE_PAGE = 50;
const MAX_TIMELINE_PAGES = 20;

const PURPOSE: Record<NonNullable<Workflow['nextWakeUpPurpose']>, string> = {
  warning: 'pre-breach warning to the managers',
  escalation: 'escalation to the next level if still open',
  breach: 'the top level runs out: flagged breached',
  'close-by': 'the close-by deadline: escalated to L3 and flagged overdue',
  'follow-up': 'follow-up survey to the customer, then closed',
};

export function casePage(main: HTMLElement, id: string, s: Session | undefined): () => void {
  let current: CaseView | undefined;
  let shownTimeline = TIMELINE_PAGE;
  let actionsFor = '';

  const title = h('h1', { id: 'case-title' }, 'Case');
  const head = h('div', { class: 'case-head' });
  const details = h('section', { class: 'card', 'aria-labelledby': 'details-h' });
  const sla = h('section', { class: 'card', 'aria-labelledby': 'sla-h' });
  const customer = h('section', { class: 'card', 'aria-labelledby': 'customer-h' });
  const message = h('p', { role: 'status', class: 'message', id: 'action-status' });
  const actions = h('section', { class: 'card actions', 'aria-labelledby': 'actions-h' });
  const compensations = h('section', { class: 'card', 'aria-labelledby': 'comp-h' });
  const timeline = h('section', { class: 'card', 'aria-labelledby': 'timeline-h' });
  const workflow = h('section', { class: 'card', id: 'workflow', 'aria-labelledby': 'workflow-h', tabindex: -1 });
  replace(
    main,
    h('p', {}, h('a', { href: '/console/' }, '← Queue')),
    title,
    head,
    h('div', { class: 'grid' }, details, sla, customer),
    message,
    actions,
    compensations,
    timeline,
    workflow,
  );

  // ---- actions ----
  /**
   * Moves decided from what is on screen (escalate, transfer, priority) carry If-Match: if the timer escalated the case
   * meanwhile, the person sees the new level instead of escalating twice. Everything else is applied to the case as
   * it is (the API re-checks its status): a comment must not be lost because a warning was recorded a second earlier.
   */
  const act = async (label: string, path: string, body: unknown) => {
    if (!current) return;
    message.className = 'message';
    message.textContent = `${label}…`;
    const conditional = path === '/escalations' || path === '/priority';
    try {
      current = await post<CaseView>(`/cases/${id}${path}`, body, conditional ? current.version : undefined);
      message.textContent = `${label}: done.`;
      render(current);
      await refresh().catch(() => undefined); // the next poll catches up
      return true;
    } catch (e) {
      await refresh().catch(() => undefined); // show the case as it is now, whatever went wrong
      message.className = 'message error';
      if (e instanceof ApiError && e.status === 409 && /version|changed/i.test(e.message)) message.textContent = `${label}: the case changed meanwhile (now ${current?.status} at ${current?.level}) — check and try again.`;
      else if (e instanceof ApiError) message.textContent = `${label} refused: ${e.message}${e.problem.errors?.length ? ` (${e.problem.errors.map((x) => `${x.path}: ${x.message}`).join('; ')})` : ''}`;
      else message.textContent = `${label} failed: ${(e as Error).message}`;
      return false;
    }
  };

  const form = (name: string, label: string, fields: HTMLElement[], submit: (data: FormData) => unknown, path: string) => {
    const f = h('form', { class: 'action', 'aria-labelledby': `${name}-h` }, h('h3', { id: `${name}-h` }, label), ...fields, h('button', { type: 'submit' }, label));
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      void act(label, path, submit(new FormData(f))).then((ok) => ok && f.reset());
    });
    return f;
  };
  const text = (name: string, label: string, opts: { rows?: number; required?: boolean; value?: string } = {}) => {
    const fid = `a-${name}-${Math.random().toString(36).slice(2, 7)}`;
    return h(
      'div',
      { class: 'field' },
      h('label', { for: fid }, label),
      opts.rows ? h('textarea', { id: fid, name, rows: opts.rows, required: opts.required ?? true }) : h('input', { id: fid, name, required: opts.required ?? true, value: opts.value ?? '' }),
    );
  };
  const choice = (name: string, label: string, options: [string, string][]) => {
    const fid = `a-${name}-${Math.random().toString(36).slice(2, 7)}`;
    return h('div', { class: 'field' }, h('label', { for: fid }, label), h('select', { id: fid, name }, ...options.map(([v, t]) => h('option', { value: v }, t))));
  };
  const str = (d: FormData, k: string) => String(d.get(k) ?? '').trim();

  const renderActions = (c: CaseView) => {
    // Forms are rebuilt only when what is allowed changes, so a refresh never wipes what someone is typing.
    const key = `${c.status}|${c.level}|${c.priority}|${s?.scopes.join(' ')}`;
    if (key === actionsFor) return;
    actionsFor = key;
    const write = can(s, 'cases/write');
    const manage = can(s, 'cases/manage');
    const open = c.status === 'OPEN' || c.status === 'PAUSED';
    const items: HTMLElement[] = [];
    if (!write) items.push(h('p', { class: 'muted' }, 'Your sign-in may read cases only (no cases/write scope).'));
    if (write && c.status !== 'CLOSED')
      items.push(
        form('comment', 'Add comment', [text('body', 'Comment', { rows: 3 }), choice('visibility', 'Visibility', [['internal', 'Internal note'], ['public', 'Public reply (emailed to the customer)']])], (d) => ({ body: str(d, 'body'), visibility: str(d, 'visibility') }), '/comments'),
      );
    if (write && open) {
      if (c.level !== 'L3') items.push(form('escalate', 'Escalate up a level', [text('summary', 'Summary for the next level', { rows: 2 })], (d) => ({ kind: 'hierarchical', summary: str(d, 'summary') }), '/escalations'));
      items.push(form('transfer', 'Transfer', [text('toDepartment', 'To department'), text('summary', 'Summary', { rows: 2 })], (d) => ({ kind: 'functional', toDepartment: str(d, 'toDepartment'), summary: str(d, 'summary') }), '/escalations'));
      items.push(
        form('priority', 'Change priority', [choice('priority', 'Priority', (['P1', 'P2', 'P3', 'P4'] as const).filter((p) => p !== c.priority).map((p) => [p, p])), text('summary', 'Why', { rows: 2 })], (d) => ({ priority: str(d, 'priority'), summary: str(d, 'summary') }), '/priority'),
      );
      items.push(
        c.status === 'OPEN'
          ? form('pause', 'Pause', [text('reason', 'Reason (optional)', { required: false })], (d) => (str(d, 'reason') ? { reason: str(d, 'reason') } : {}), '/pause')
          : form('resume', 'Resume', [text('reason', 'Reason (optional)', { required: false })], (d) => (str(d, 'reason') ? { reason: str(d, 'reason') } : {}), '/resume'),
      );
      items.push(form('resolve', 'Resolve', [text('resolution', 'Resolution (the customer receives it)', { rows: 3 })], (d) => ({ resolution: str(d, 'resolution') }), '/resolve'));
    }
    if (write && c.status !== 'CLOSED')
      items.push(
        form(
          'compensate',
          'Offer compensation',
          [choice('kind', 'Kind', [['refund', 'Refund'], ['credit', 'Credit'], ['replacement', 'Replacement'], ['other', 'Other']]), text('amount', 'Amount'), text('currency', 'Currency', { value: 'USD' }), text('note', 'Note (optional)', { required: false })],
          (d) => ({ kind: str(d, 'kind'), amount: Number(str(d, 'amount')), currency: str(d, 'currency'), ...(str(d, 'note') ? { note: str(d, 'note') } : {}) }),
          '/compensations',
        ),
      );
    if (write && (c.status === 'RESOLVED' || c.status === 'CLOSED')) items.push(form('reopen', 'Reopen', [text('reason', 'Reason (optional)', { required: false })], (d) => (str(d, 'reason') ? { reason: str(d, 'reason') } : {}), '/reopen'));
    if (manage && c.status === 'RESOLVED') items.push(form('close', 'Close', [text('reason', 'Reason (optional)', { required: false })], (d) => (str(d, 'reason') ? { reason: str(d, 'reason') } : {}), '/close'));
    replace(actions, h('h2', { id: 'actions-h' }, 'Actions'), h('div', { class: 'action-grid' }, ...items));
  };

  // ---- the case ----
  const dl = (rows: [string, Node | string][]) => h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  const due = (at: string | undefined) => (at ? h('span', {}, h('strong', { 'data-due': at }, countdown(at)), h('span', { class: 'small muted' }, ` · ${when(at)}`)) : '—');

  const render = (c: CaseView) => {
    document.title = `${c.subject} · Escalator`;
    replace(title, c.subject);
    replace(head, h('span', { class: 'mono small' }, c.id), ' ', h('span', { class: `badge status-${c.status.toLowerCase()}` }, c.status), ' ', h('span', { class: 'badge' }, c.level), ' ', h('span', { class: 'badge' }, c.priority), ' ', flags(c));
    replace(
      details,
      h('h2', { id: 'details-h' }, 'Details'),
      dl([
        ['Status', c.status],
        ['Level', h('span', { id: 'case-level' }, c.level)],
        ['Department', c.department],
        ['Priority', c.priority],
        ['Category', c.category ?? '—'],
        ['Created', when(c.createdAt)],
        ['Updated', when(c.updatedAt)],
        ['Version', String(c.version)],
        ['Description', c.description],
        ...(c.resolution ? ([['Resolution', c.resolution]] as [string, string][]) : []),
        ...(c.feedback ? ([['Rating', `${c.feedback.rating}/5${c.feedback.comment ? ` — ${c.feedback.comment}` : ''}`]] as [string, string][]) : []),
      ]),
    );
    const open = c.status === 'OPEN';
    replace(
      sla,
      h('h2', { id: 'sla-h' }, 'Deadlines'),
      dl([
        [`${c.level} budget ends`, open ? due(c.sla.levelDueAt) : c.status === 'PAUSED' ? `paused since ${when(c.sla.pausedAt)}` : '—'],
        ['Close-by', c.status === 'OPEN' || c.status === 'PAUSED' ? due(c.sla.closeBy) : when(c.sla.closeBy)],
        ['Breached', c.sla.breached ? 'yes' : 'no'],
        ['Overdue', c.sla.overdue ? 'yes' : 'no'],
        ['Next', h('span', { id: 'next-wake' }, nextText)],
      ]),
    );
    renderActions(c);
    replace(
      compensations,
      h('h2', { id: 'comp-h' }, 'Compensations'),
      c.compensations.length
        ? h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ...['Offered', 'Kind', 'Amount', 'Status', 'Authority', ''].map((x) => h('th', { scope: 'col' }, x)))),
            h(
              'tbody',
              {},
              ...c.compensations.map((x) =>
                h(
                  'tr',
                  {},
                  h('td', {}, when(x.offeredAt)),
                  h('td', {}, x.kind),
                  h('td', {}, `${x.amount} ${x.currency}`),
                  h('td', {}, x.status === 'APPROVED' ? `approved by ${x.approvedBy?.id ?? '—'}` : 'waiting for a manager'),
                  h('td', {}, `${x.authorityLimit} ${x.currency}`),
                  h('td', {}, x.status === 'PENDING_APPROVAL' && can(s, 'cases/manage') ? h('button', { type: 'button', onclick: () => void act('Approve', `/compensations/${x.id}/approve`, {}) }, 'Approve') : ''),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'None offered.'),
    );
    tickCountdowns(main);
  };

  let nextText = '—';
  const renderTimeline = (events: TimelineEvent[]) => {
    const shown = events.slice(-shownTimeline);
    replace(
      timeline,
      h('h2', { id: 'timeline-h' }, `Timeline (${events.length})`),
      events.length > shown.length ? h('button', { type: 'button', class: 'secondary', onclick: () => { shownTimeline += TIMELINE_PAGE; renderTimeline(events); } }, `Show ${Math.min(TIMELINE_PAGE, events.length - shown.length)} earlier events`) : null,
      h(
        'ol',
        { class: 'timeline' },
        ...shown.map((e) =>
          h(
            'li',
            { class: `ev ${e.type.startsWith('email.') ? 'email' : ''}`, 'data-type': e.type },
            h('time', { datetime: e.at }, when(e.at)),
            ' ',
            h('strong', {}, e.type),
            h('span', { class: 'muted small' }, ` by ${e.actor.id}`),
            e.summary ? h('div', {}, e.summary) : null,
            e.changes ? h('div', { class: 'small muted' }, Object.entries(e.changes).map(([k, v]) => `${k}: ${String(v.before)} → ${String(v.after)}`).join(' · ')) : null,
          ),
        ),
      ),
    );
  };

  let historyAll = false;
  const renderWorkflow = (w: Workflow) => {
    nextText = w.nextWakeUp ? `${countdown(w.nextWakeUp)}: ${w.nextWakeUpPurpose ? PURPOSE[w.nextWakeUpPurpose] : 'wake-up'}` : 'nothing left to wait for';
    const next = document.getElementById('next-wake');
    if (next) next.textContent = nextText;
    const meaningful = w.history.filter((x) => historyAll || x.meaning);
    replace(
      workflow,
      h('h2', { id: 'workflow-h' }, 'Workflow'),
      h(
        'p',
        {},
        `Timer v${w.timerVersion}${w.timerPending ? ' (start not yet confirmed)' : ''} · `,
        w.currentState ? h('span', {}, 'now in ', h('strong', { id: 'current-state' }, w.currentState)) : 'not running',
        ' · next wake-up ',
        w.nextWakeUp ? h('strong', { 'data-due': w.nextWakeUp }, countdown(w.nextWakeUp)) : 'none',
        w.nextWakeUpPurpose ? ` for the ${w.nextWakeUpPurpose}` : '',
      ),
      workflowGraph(w),
      h('h3', {}, 'Executions'),
      h(
        'table',
        { class: 'executions' },
        h('thead', {}, h('tr', {}, ...['Timer', 'Status', 'Started', 'Ended', 'Why it ended', ''].map((x) => h('th', { scope: 'col' }, x)))),
        h(
          'tbody',
          {},
          ...w.executions.map((e) =>
            h(
              'tr',
              {},
              h('td', {}, `v${e.timerVersion}${e.current ? ' (current)' : ''}`),
              h('td', {}, e.status),
              h('td', {}, when(e.startDate)),
              h('td', {}, when(e.stopDate)),
              h('td', { class: 'end-reason' }, e.endReason ?? (e.status === 'RUNNING' ? 'running' : '—')),
              h('td', {}, e.consoleUrl && !e.consoleUrl.includes('/console/cases/') ? h('a', { href: e.consoleUrl, target: '_blank', rel: 'noopener' }, 'AWS console') : ''),
            ),
          ),
        ),
      ),
      h('h3', {}, `History of v${w.timerVersion}`),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: historyAll, onchange: (ev: Event) => { historyAll = (ev.target as HTMLInputElement).checked; renderWorkflow(w); } }), ' every Step Functions event'),
      h(
        'ol',
        { class: 'history' },
        ...meaningful.map((x) =>
          h(
            'li',
            {},
            h('time', { datetime: x.timestamp ?? '' }, when(x.timestamp)),
            ' ',
            h('span', { class: 'mono small' }, x.type),
            x.state ? h('span', { class: 'small muted' }, ` ${x.state}`) : null,
            x.meaning ? h('div', {}, x.meaning) : null,
            x.applied?.length ? h('ul', { class: 'applied' }, ...x.applied.map((a) => h('li', {}, h('strong', {}, a.type), a.summary ? ` — ${a.summary}` : ''))) : null,
          ),
        ),
      ),
    );
    tickCountdowns(workflow);
  };

  /**
   * The timeline, oldest first, following `nextCursor` where the route pages (at most MAX_TIMELINE_PAGES pages: the page
   * shows the newest events and a case with more history than that is read up to there).
   */
  const timelineEvents = async () => {
    const events: TimelineEvent[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TIMELINE_PAGES; page++) {
      const p = await get<{ events: TimelineEvent[]; nextCursor?: string | null }>(`/cases/${id}/timeline${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
      events.push(...p.events);
      cursor = p.nextCursor ?? undefined;
      if (!cursor) break;
    }
    return events;
  };

  const refresh = async () => {
    const [c, events, w] = await Promise.all([get<CaseView>(`/cases/${id}`), timelineEvents(), get<Workflow>(`/cases/${id}/workflow`)]);
    const moved = current && (current.level !== c.level || current.status !== c.status);
    current = c;
    renderWorkflow(w);
    render(c);
    renderTimeline(events);
    if (moved) announce(`The case is now ${c.status} at ${c.level}.`);
  };

  const loadCustomer = async () => {
    const hist = await get<CustomerHistory>(`/cases/${id}/customer-history`);
    const c = current!;
    replace(
      customer,
      h('h2', { id: 'customer-h' }, 'Customer'),
      dl([
        ['Name', c.customer.name ?? '—'],
        ['Id', c.customer.id],
        ['Email', c.customer.email],
        ['Tier', c.customer.tier ?? 'standard'],
        ['Lifetime value', c.customer.lifetimeValue !== undefined ? String(c.customer.lifetimeValue) : '—'],
        ['Cases', `${hist.counts.total} in all, ${hist.counts.open} open, ${hist.counts.breached} breached, ${hist.counts.reopened} reopened${hist.counts.averageRating !== null ? `, rated ${hist.counts.averageRating.toFixed(1)}/5` : ''}`],
      ]),
      hist.cases.length
        ? h('ul', { class: 'plain' }, ...hist.cases.map((o) => h('li', {}, h('a', { href: `/console/cases/${o.id}` }, o.subject), h('span', { class: 'small muted' }, ` ${o.status} · ${when(o.createdAt)}`))))
        : h('p', { class: 'muted small' }, 'No other case.'),
      h('p', {}, h('a', { href: `/console/?customerId=${encodeURIComponent(c.customer.id)}` }, 'Their open cases in the queue')),
    );
  };

  let p: ReturnType<typeof poll> | undefined;
  let stopped = false;
  // The first read decides between the page and "not found"; then polling keeps it live.
  refresh()
    .then(async () => {
      if (stopped) return;
      p = poll(EVERY_MS, refresh);
      if (location.hash === '#workflow') workflow.focus();
      await loadCustomer();
    })
    .catch((e: unknown) => {
      replace(main, h('h1', {}, 'Case not found'), h('p', {}, e instanceof ApiError && e.status === 404 ? `There is no case ${id}.` : String((e as Error).message)), h('p', {}, h('a', { href: '/console/' }, '← Queue')));
    });
  return () => {
    stopped = true;
    p?.stop();
  };
}
