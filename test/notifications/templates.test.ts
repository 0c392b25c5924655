import { describe, expect, it } from 'vitest';
import { emptyStats, type CaseRecord, type Level, type TimelineEvent } from '../../functions/domain/model.ts';
import { notificationsFor, type TemplateName } from '../../functions/domain/notifications.ts';
import { parsePolicy, type Policy } from '../../functions/domain/policy.ts';
import { CUSTOMER_TEMPLATES, escapeHtml, renderEmail, renderWarningDigest, type RenderInput } from '../../functions/notifications/templates.ts';

// Every template name, checked against the union at compile time (a new TemplateName fails the type-check here).
const ALL = Object.keys({
  acknowledgement: 1,
  'status-update': 1,
  'public-comment': 1,
  resolution: 1,
  'overdue-apology': 1,
  'follow-up': 1,
  'escalation-alert': 1,
  'breach-warning': 1,
  'breach-alert': 1,
  'overdue-alert': 1,
  'approval-request': 1,
  'customer-reply': 1,
} satisfies Record<TemplateName, 1>) as TemplateName[];
const CUSTOMER = ALL.filter((t) => CUSTOMER_TEMPLATES.has(t));
const INTERNAL = ALL.filter((t) => !CUSTOMER_TEMPLATES.has(t));

const ID = '01JDQ8ZK4R7M2N6P3T5V9WXY0B'; // ULID alphabet: no I, L, O, U
const REF = 'ESC-7K2M9Q'; // the short reference people see
const budgets = { L0: 'PT4H', L1: 'PT8H', L2: 'P1D', L3: 'P2D' };

function policy(over: Record<string, unknown> = {}): Policy {
  return parsePolicy({
    name: 'test',
    budgets: { P1: budgets, P2: budgets, P3: budgets, P4: budgets },
    departments: { support: {}, 'billing-ops': {} },
    routing: { defaultDepartment: 'support' },
    compensation: {
      currency: 'USD',
      authority: { L0: 25, L1: 100, L2: 500, L3: 5000 },
      tierMultiplier: { standard: 1, gold: 1.5, platinum: 2 },
    },
    notifications: { from: 'help@example.com', publicBaseUrl: 'https://api.example.com', companyName: 'Acme', ...over },
  });
}

function makeCase(over: Partial<CaseRecord> = {}): CaseRecord {
  return {
    id: ID,
    reference: REF,
    status: 'OPEN',
    priority: 'P2',
    level: 'L0',
    department: 'support',
    customer: { id: 'cust-1', email: 'ada@example.com', name: 'Ada Lovelace', tier: 'gold', lifetimeValue: 12500 },
    subject: 'Order 1234 arrived damaged',
    description: 'The box was crushed and the mug inside is broken.',
    createdAt: '2026-11-20T09:00:00.000Z',
    updatedAt: '2026-11-22T05:00:00.000Z',
    version: 3,
    sla: {
      levelStartedAt: '2026-11-22T01:00:00.000Z',
      levelDueAt: '2026-11-22T09:00:00.000Z',
      closeBy: '2026-12-20T09:00:00.000Z',
      warned: false,
      breached: false,
      overdue: false,
    },
    reopenCount: 0,
    compensations: [],
    newEvents: [],
    owedEmails: [],
    stats: emptyStats(),
    timer: { version: 1, pending: false },
    ...over,
  };
}

function makeEvent(type: string, over: Partial<TimelineEvent> = {}): TimelineEvent {
  return { id: 'EV1', at: '2026-11-22T05:00:00.000Z', actor: { kind: 'client', id: 'agent-7' }, type, ...over };
}

const surveyLinks = {
  1: `https://api.example.com/cases/${ID}/feedback?rating=1&sig=a1`,
  2: `https://api.example.com/cases/${ID}/feedback?rating=2&sig=b2`,
  3: `https://api.example.com/cases/${ID}/feedback?rating=3&sig=c3`,
  4: `https://api.example.com/cases/${ID}/feedback?rating=4&sig=d4`,
  5: `https://api.example.com/cases/${ID}/feedback?rating=5&sig=e5`,
} as const;

const history = [
  { id: '01JCPREV00000000000000000A', subject: 'Late delivery', status: 'CLOSED', createdAt: '2026-10-01T10:00:00.000Z', resolvedAt: '2026-10-02T10:00:00.000Z' },
  { id: '01JBPREV00000000000000000B', subject: 'Wrong size', status: 'RESOLVED', createdAt: '2026-09-01T10:00:00.000Z' },
];

/** A realistic input for each template: the event that owes it and the case after the change. */
function inputFor(template: TemplateName, o: { case?: Partial<CaseRecord>; event?: Partial<TimelineEvent>; policy?: Policy } = {}): RenderInput {
  const base: Record<TemplateName, [Partial<CaseRecord>, TimelineEvent]> = {
    acknowledgement: [{}, makeEvent('created', { summary: 'Opened at L0 in support.' })],
    'status-update': [
      { level: 'L1' },
      makeEvent('escalated', { summary: 'Customer is upset', changes: { level: { before: 'L0', after: 'L1' } }, data: { kind: 'hierarchical', automatic: false } }),
    ],
    'public-comment': [{}, makeEvent('commented', { summary: 'We have shipped a replacement today.', data: { visibility: 'public' } })],
    resolution: [
      { status: 'RESOLVED', resolution: 'Replacement delivered and refund issued.', resolvedAt: '2026-11-23T10:00:00.000Z' },
      makeEvent('resolved', { summary: 'Replacement delivered and refund issued.' }),
    ],
    'overdue-apology': [
      { level: 'L3', sla: { ...makeCase().sla, levelDueAt: '2026-12-22T09:00:00.000Z', overdue: true } },
      makeEvent('sla.overdue', { at: '2026-12-20T09:00:00.000Z', actor: { kind: 'system', id: 'escalation-timer' }, summary: 'Not resolved by the close-by deadline; escalated from L1 to L3.' }),
    ],
    'follow-up': [
      { status: 'CLOSED', resolution: 'Fixed.', resolvedAt: '2026-11-23T10:00:00.000Z' },
      makeEvent('followed-up', { summary: 'Sent the customer the satisfaction survey.' }),
    ],
    'escalation-alert': [
      { level: 'L2' },
      makeEvent('escalated', { summary: 'Third damaged delivery; customer threatens to cancel.', changes: { level: { before: 'L1', after: 'L2' } }, data: { kind: 'hierarchical' } }),
    ],
    'breach-warning': [
      { level: 'L1' },
      makeEvent('sla.warning', { at: '2026-11-22T07:24:00.000Z', actor: { kind: 'system', id: 'escalation-timer' }, data: { level: 'L1', dueAt: '2026-11-22T09:00:00.000Z' } }),
    ],
    'breach-alert': [
      { level: 'L3', sla: { ...makeCase().sla, breached: true } },
      makeEvent('sla.breached', { at: '2026-11-22T09:00:00.000Z', actor: { kind: 'system', id: 'escalation-timer' }, summary: 'The L3 time budget ran out.' }),
    ],
    'overdue-alert': [
      { level: 'L3', sla: { ...makeCase().sla, overdue: true } },
      makeEvent('sla.overdue', { at: '2026-12-20T09:00:00.000Z', actor: { kind: 'system', id: 'escalation-timer' }, summary: 'Not resolved by the close-by deadline.' }),
    ],
    'approval-request': [
      {
        level: 'L1',
        compensations: [
          {
            id: 'COMP1',
            kind: 'refund',
            amount: 300,
            currency: 'USD',
            note: 'Goodwill for three failed deliveries',
            status: 'PENDING_APPROVAL',
            offeredBy: { kind: 'client', id: 'agent-7' },
            offeredAt: '2026-11-22T05:00:00.000Z',
            authorityLimit: 150,
          },
        ],
      },
      makeEvent('compensation.offered', {
        summary: 'refund of 300 USD, above the L1 authority of 150 USD: waits for a manager.',
        data: { compensationId: 'COMP1', status: 'PENDING_APPROVAL', amount: 300, currency: 'USD', authorityLimit: 150 },
      }),
    ],
    'customer-reply': [
      {},
      makeEvent('commented', {
        actor: { kind: 'customer', id: 'ana@example.org' },
        summary: 'The replacement arrived broken too. Photo attached.',
        data: {
          visibility: 'public',
          source: 'email',
          from: 'ana@example.org',
          attachments: [
            { name: 'photo.jpg', type: 'image/jpeg', size: 245_000, inline: false, storedAs: 'attachments/x/0-photo.jpg' },
            { name: 'video.mov', type: 'video/quicktime', size: 31_000_000, inline: false, refused: 'larger than the 10 MB limit' },
          ],
        },
      }),
    ],
  };
  const [caseOver, event] = base[template];
  return {
    template,
    case: makeCase({ ...caseOver, ...o.case }),
    event: { ...event, ...o.event },
    recipient: CUSTOMER_TEMPLATES.has(template) ? 'ada@example.com' : 'manager@example.com',
    policy: o.policy ?? policy(),
    ...(template === 'follow-up' ? { surveyLinks } : {}),
    ...(CUSTOMER_TEMPLATES.has(template) ? {} : { customerHistory: history }),
  };
}

const render = (t: TemplateName, o?: Parameters<typeof inputFor>[1]) => renderEmail(inputFor(t, o));
const all = (e: { subject: string; text: string; html: string }) => [e.subject, e.text, e.html];

describe('renderEmail', () => {
  it.each(ALL)('%s renders a subject, a text part and an HTML part naming the case by its short reference', (t) => {
    const e = render(t);
    for (const part of all(e)) {
      expect(part.length).toBeGreaterThan(0);
      expect(part).toContain(REF);
    }
    // Customers never see the 26-character id; managers get it among the facts, for ops.
    // (The survey links' fixture URLs carry the id; the text around them does not.)
    if (CUSTOMER_TEMPLATES.has(t)) for (const part of all(e)) expect(part.replaceAll(/https:\/\/api\.example\.com\/\S+/g, '')).not.toContain(ID);
    else expect(e.subject).not.toContain(ID);
    expect(e.html).toMatch(/^<!doctype html>/);
    expect(e.text).toContain(CUSTOMER_TEMPLATES.has(t) ? 'The Acme team' : 'Acme escalations');
    expect(e.html).toContain('Acme');
  });

  it('rejects an unknown template', () => {
    expect(() => renderEmail({ ...inputFor('acknowledgement'), template: 'nope' as TemplateName })).toThrow(/unknown email template/);
  });
});

describe('HTML escaping', () => {
  const nasty = {
    case: { subject: '<script>alert(1)</script> Tom & Jerry', customer: { id: 'c', email: 'ada@example.com', name: '<b>Ada</b> & Co', tier: 'standard' as const } },
  };

  it('escapeHtml escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(escapeHtml('plain text')).toBe('plain text');
  });

  it.each(ALL)('%s: subject and customer name arrive inert in HTML', (t) => {
    const e = render(t, nasty);
    expect(e.html).not.toContain('<script');
    expect(e.html).not.toContain('<b>');
    expect(e.html).not.toContain('Tom & Jerry');
    expect(e.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Tom &amp; Jerry');
    // the text part keeps the words as written
    expect(e.text).toContain('<script>alert(1)</script> Tom & Jerry');
    expect(e.subject).toContain('<script>alert(1)</script> Tom & Jerry');
  });

  it('greets the customer by escaped name', () => {
    const e = render('acknowledgement', nasty);
    expect(e.html).toContain('Hi &lt;b&gt;Ada&lt;/b&gt; &amp; Co,');
    expect(e.text).toContain('Hi <b>Ada</b> & Co,');
  });

  it('escapes a public comment body and keeps its line breaks', () => {
    const e = render('public-comment', { event: { summary: '<img src=x onerror=alert(1)> Fish & chips\nsecond line' } });
    expect(e.html).not.toContain('<img');
    expect(e.html).toContain('&lt;img src=x onerror=alert(1)&gt; Fish &amp; chips<br>second line');
    expect(e.text).toContain('> <img src=x onerror=alert(1)> Fish & chips\n> second line');
  });

  it('escapes the company name and internal values', () => {
    const p = policy({ companyName: 'Smith & <Sons>' });
    for (const t of ALL) {
      const e = render(t, { policy: p, event: { summary: '<script>x</script>' } });
      expect(e.html).not.toContain('<Sons>');
      expect(e.html).not.toContain('<script');
      expect(e.html).toContain('Smith &amp; &lt;Sons&gt;');
    }
  });
});

describe('subjects are header-safe', () => {
  it.each(ALL)('%s strips CR/LF from the subject', (t) => {
    const e = render(t, { case: { subject: 'Broken\r\nBcc: victim@example.com\nX-Evil: 1\r' } });
    expect(e.subject).not.toMatch(/[\r\n]/);
    expect(e.subject).toContain('Broken Bcc: victim@example.com X-Evil: 1');
  });
});

describe('customer templates', () => {
  const secret = 'INTERNAL: customer is a pain';

  it.each([
    ['escalated', { level: 'L1' as Level }, { changes: { level: { before: 'L0', after: 'L1' } } }],
    ['escalated (automatic)', { level: 'L2' as Level }, { type: 'escalated', actor: { kind: 'system' as const, id: 'escalation-timer' }, data: { automatic: true, reason: 'sla' } }],
    ['transferred', { department: 'billing-ops' }, { type: 'transferred', changes: { department: { before: 'support', after: 'billing-ops' } } }],
    ['reopened', { level: 'L1' as Level, reopenCount: 1 }, { type: 'reopened', changes: { status: { before: 'RESOLVED', after: 'OPEN' } } }],
  ])('a status-update for %s never includes the internal summary', (_name, c, ev) => {
    const e = render('status-update', { case: c, event: { ...ev, summary: secret } });
    for (const part of all(e)) {
      expect(part).not.toContain('INTERNAL');
      expect(part).not.toContain('pain');
    }
  });

  it.each(CUSTOMER.filter((t) => t !== 'public-comment'))('%s never includes the event summary', (t) => {
    const e = render(t, { event: { summary: secret } });
    for (const part of all(e)) expect(part).not.toContain(secret);
  });

  it.each([
    ['L1', 'a senior support specialist'],
    ['L2', 'a specialist team lead'],
    ['L3', 'our leadership team'],
  ] as const)('a status-update to %s names the owner in plain words', (level, words) => {
    const e = render('status-update', { case: { level }, event: { changes: { level: { before: 'L0', after: level } } } });
    expect(e.text).toContain(words);
    expect(e.html).toContain(words);
  });

  it('a transfer names the department title-cased', () => {
    const e = render('status-update', {
      case: { department: 'billing-ops' },
      event: { type: 'transferred', changes: { department: { before: 'support', after: 'billing-ops' } } },
    });
    expect(e.text).toContain('our Billing Ops team');
    expect(e.text).not.toContain('billing-ops');
  });

  it('acknowledgement says when the customer will hear back, in words, with no internal jargon', () => {
    const e = render('acknowledgement');
    expect(e.text).toContain('by Sunday 22 November 2026, 09:00 UTC');
    expect(e.html).toContain('by Sunday 22 November 2026, 09:00 UTC');
    expect(e.text).toContain('Order 1234 arrived damaged');
    for (const part of all(e)) {
      expect(part).not.toMatch(/SLA|L0|L1/);
      expect(part).not.toContain('2026-11-22T09:00');
    }
  });

  it.each(CUSTOMER)('%s uses no internal jargon at any level', (t) => {
    for (const level of ['L0', 'L1', 'L2', 'L3'] as const) {
      const e = render(t, { case: { level } });
      for (const part of all(e)) expect(part).not.toMatch(/\bSLA\b|\bL[0-3]\b|\blevels?\b|escalat|timer|budget/i);
    }
  });

  it('public-comment carries the comment body', () => {
    const e = render('public-comment');
    expect(e.text).toContain('We have shipped a replacement today.');
    expect(e.html).toContain('We have shipped a replacement today.');
  });

  it('resolution quotes the resolution and says to reply if it is not fixed', () => {
    const e = render('resolution');
    expect(e.text).toContain('Replacement delivered and refund issued.');
    expect(e.text).toMatch(/reply to this email/i);
  });

  it('overdue-apology apologises and says leadership now owns the case', () => {
    const e = render('overdue-apology');
    expect(e.text).toMatch(/apolog/i);
    expect(e.text).toContain('longer than we promised');
    expect(e.text).toContain('Our leadership team now personally owns your case');
    expect(e.text).toContain('Friday 20 November 2026');
    expect(e.text).toContain('by Tuesday 22 December 2026, 09:00 UTC');
  });

  it('follow-up offers all five one-click ratings', () => {
    const e = render('follow-up');
    for (const r of [1, 2, 3, 4, 5] as const) {
      expect(e.text).toContain(surveyLinks[r]);
      expect(e.html).toContain(`href="${escapeHtml(surveyLinks[r])}"`);
    }
    expect(e.text).toContain('1 – Very dissatisfied');
    expect(e.text).toContain('5 – Very satisfied');
    expect(e.html).toContain('1 – Very dissatisfied');
    expect(e.html).toContain('5 – Very satisfied');
  });

  it('follow-up refuses to render without survey links, and never links a non-web URL', () => {
    const { surveyLinks: _s, ...noLinks } = inputFor('follow-up');
    expect(() => renderEmail(noLinks)).toThrow(/surveyLinks/);
    const e = renderEmail({ ...inputFor('follow-up'), surveyLinks: { ...surveyLinks, 3: 'javascript:alert(1)' } });
    expect(e.html).not.toContain('javascript:');
    expect(e.html).toContain('3 – Neither satisfied nor dissatisfied');
  });
});

describe('internal templates', () => {
  it('breach-warning sent after the case moved on: subject and body name the warned level, and say where it is now', () => {
    // Prepare: the L1 warning (L1 from 06:00 to 09:00) drained once the case is at L2
    const e = render('breach-warning', {
      case: { level: 'L2', sla: { ...makeCase().sla, levelStartedAt: '2026-11-22T09:00:00.000Z', levelDueAt: '2026-11-23T09:00:00.000Z' } },
      event: { data: { level: 'L1', startedAt: '2026-11-22T06:00:00.000Z', dueAt: '2026-11-22T09:00:00.000Z' } },
    });
    // Assess
    expect(e.subject).toMatch(/^\[P2 L1\] Case .* has used 47% of its L1 time budget/);
    expect(e.text).toContain('47% of the L1 time budget');
    expect(e.text).toContain('Since then the case has moved on: it is now at');
  });

  it('escalation-alert carries the summary, the customer, their history and the deadlines', () => {
    const e = render('escalation-alert');
    for (const part of [e.text, e.html]) {
      expect(part).toContain('Third damaged delivery; customer threatens to cancel.');
      expect(part).toContain('Ada Lovelace');
      expect(part).toContain('ada@example.com');
      expect(part).toContain('gold');
      expect(part).toContain('12,500 USD');
      expect(part).toContain('P2');
      expect(part).toContain('L2');
      expect(part).toContain('support');
      expect(part).toContain('01JCPREV00000000000000000A');
      expect(part).toContain('Late delivery');
      expect(part).toContain('2026-11-22T09:00:00.000Z');
      expect(part).toContain('2026-12-20T09:00:00.000Z');
    }
    expect(e.subject).toContain('escalated to L2');
    expect(e.text).toContain('from L1');
  });

  it.each(INTERNAL)('%s links to the case in the ops console when the policy names it, and not otherwise', (t) => {
    const e = render(t, { policy: policy({ consoleUrl: 'https://ops.example.com/console/' }) });
    for (const part of [e.text, e.html]) expect(part).toContain(`https://ops.example.com/console/cases/${ID}`);
    expect(render(t).text).not.toContain('/console/');
  });

  it('escalation-alert for a transfer and a reopen says so', () => {
    const t = render('escalation-alert', { case: { department: 'billing-ops' }, event: { type: 'transferred', changes: { department: { before: 'support', after: 'billing-ops' } } } });
    expect(t.subject).toContain('transferred to billing-ops');
    const r = render('escalation-alert', { case: { reopenCount: 2 }, event: { type: 'reopened', changes: { status: { before: 'RESOLVED', after: 'OPEN' } } } });
    expect(r.subject).toContain('reopened');
    expect(r.text).toContain('reopen #2');
  });

  it('escalation-alert is about the move its recipients were chosen for, even when the case has moved on since', () => {
    // The L1 managers' alert rendered late (a timer that woke late moved the case on to L3 in the same step).
    const e = render('escalation-alert', { case: { level: 'L3' }, event: { changes: { level: { before: 'L0', after: 'L1' } } } });
    expect(e.subject).toContain('escalated to L1');
    expect(e.text).toContain('to L1 (senior agent) in support');
    expect(e.text).toContain('as a manager for L1 in support');
    expect(e.text).toContain('Since then the case has moved on: it is now at L3 (executive) in support.');
    const t = render('escalation-alert', {
      case: { department: 'billing-ops' },
      event: { type: 'transferred', changes: { department: { before: 'support', after: 'tech' } } },
    });
    expect(t.subject).toContain('transferred to tech');
    expect(t.text).toContain('as a manager for L2 in tech');
    expect(t.text).toContain('it is now at L2 (specialist/manager) in billing-ops');
    // up to date: no "moved on" line
    expect(render('escalation-alert').text).not.toContain('moved on');
  });

  it('escalation-alert without history says so', () => {
    const e = renderEmail({ ...inputFor('escalation-alert'), customerHistory: [] });
    expect(e.text).toContain('No other cases from this customer.');
  });

  it('breach-warning says how much budget is used and when it runs out', () => {
    const e = render('breach-warning');
    expect(e.text).toContain('80% of the L1 time budget');
    expect(e.text).toContain('Sunday 22 November 2026, 09:00 UTC');
    expect(e.text).toContain('in 1 hour 36 minutes');
    expect(e.text).toContain('L2');
  });

  it('breach-alert and overdue-alert name the deadlines', () => {
    expect(render('breach-alert').text).toContain('breached');
    const o = render('overdue-alert');
    expect(o.text).toContain('Sunday 20 December 2026, 09:00 UTC');
    expect(o.text).toContain('30 days');
  });

  it('approval-request shows amount, currency, kind and the authority limit', () => {
    const e = render('approval-request');
    for (const part of [e.text, e.html]) {
      expect(part).toContain('refund');
      expect(part).toContain('300 USD');
      expect(part).toContain('150 USD');
      expect(part).toContain('USD');
    }
    expect(e.subject).toContain('Approval needed: refund of 300 USD');
  });

  it.each(INTERNAL)('%s includes the case facts', (t) => {
    const e = render(t);
    expect(e.text).toContain('Order 1234 arrived damaged');
    expect(e.text).toContain('ada@example.com');
  });
});

describe('who is owed an email (notificationsFor)', () => {
  it('sends one alert per manager even when the policy lists an address twice, in two spellings', () => {
    // Prepare
    const p = parsePolicy({
      ...JSON.parse(JSON.stringify(policy())),
      departments: { support: { managers: { L1: ['lead@example.com', 'Lead@Example.com', 'deputy@example.com'] } }, 'billing-ops': {} },
    });
    const c = makeCase({ level: 'L1' });
    const e = makeEvent('escalated', { changes: { level: { before: 'L0', after: 'L1' } } });

    // Act
    const owed = notificationsFor(e, makeCase(), c, p);

    // Assess
    expect(owed.map((o) => [o.template, o.to])).toEqual([
      ['status-update', 'ada@example.com'],
      ['escalation-alert', 'lead@example.com'],
      ['escalation-alert', 'deputy@example.com'],
    ]);
    expect(new Set(owed.map((o) => o.key)).size).toBe(owed.length);
  });

  it('never owes the customer anything for an internal note, a pause, a priority change or a compensation offer', () => {
    const c = makeCase();
    for (const e of [
      makeEvent('commented', { summary: 'internal', data: { visibility: 'internal' } }),
      makeEvent('paused'),
      makeEvent('resumed'),
      makeEvent('priority.changed'),
      makeEvent('compensation.offered', { data: { status: 'PENDING_APPROVAL' } }),
      makeEvent('compensation.approved'),
      makeEvent('feedback.received'),
      makeEvent('closed'),
    ]) {
      expect(notificationsFor(e, c, c, policy()).filter((o) => o.audience === 'customer')).toEqual([]);
    }
  });
});

describe('the warning digest', () => {
  it('lists every case once, soonest deadline first as given, with when each runs out and what happens then, escaped', () => {
    // Prepare: three warnings at 08:48; deadlines 09:00, 09:04 and 09:08; one subject with markup in it
    const at = '2026-12-07T08:48:00.000Z';
    const warning = (n: number, subject: string) => ({
      case: makeCase({ id: `01JDQ8ZK4R7M2N6P3T5V9WXY${n}B`, reference: `ESC-7K2M9${n}`, subject }),
      event: makeEvent('sla.warning', { at, data: { level: 'L0', dueAt: `2026-12-07T09:0${4 * n}:00.000Z` } }),
    });
    const p = policy({ consoleUrl: 'https://ops.acme.example/console' });
    // Act
    const r = renderWarningDigest({ recipient: 'l0@acme.example', policy: p, warnings: [warning(0, 'Refund not received'), warning(1, '<b>App</b> crashes'), warning(2, 'Wrong VAT')] });
    // Assess
    expect(r.subject).toMatch(/^\[P\d L0\] 3 cases will escalate soon; the first, ESC-7K2M90, in 12 minutes$/);
    const order = ['ESC-7K2M90', 'ESC-7K2M91', 'ESC-7K2M92'].map((ref) => r.text.indexOf(ref));
    expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!))).toBe(true);
    expect(r.text).toContain('in 16 minutes');
    expect(r.text).toMatch(/Then it:\s+escalates to L1/);
    expect(r.html).toContain('&lt;b&gt;App&lt;/b&gt; crashes');
    expect(r.html).not.toContain('<b>App</b>');
    expect(r.html).toContain('href="https://ops.acme.example/console/cases/01JDQ8ZK4R7M2N6P3T5V9WXY1B"');
  });
});
