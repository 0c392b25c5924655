// Signed customer links (the CSAT survey) on the local stack: the follow-up email's links record one rating once;
// a reused, tampered, expired, re-purposed or foreign link is refused and changes nothing.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLink, type LinkPurpose } from '../../functions/commons/signed-links.ts';
import type { LocalStack } from '../../local/stack.ts';
import { eventually, newCaseBody, policyFile, startTestStack, type TestApi } from '../support/stack.ts';

let stack: LocalStack;
let api: TestApi;

interface Surveyed {
  id: string;
  /** The token shared by the email's five links. */
  token: string;
  links: Record<number, string>;
}

const LINK = /(https?:\/\/[^\s"'<>]+\/feedback\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\?rating=([1-5]))/g;

/** A case that was resolved and followed up: its survey email has arrived. */
async function surveyedCase(name: string): Promise<Surveyed> {
  const email = `${name}@example.org`;
  const c = await api.post('/cases', newCaseBody({ customer: { id: `links-${name}`, email } }));
  expect(c.status).toBe(201);
  expect((await api.post(`/cases/${c.body.id}/resolve`, { resolution: 'A replacement is on its way.' })).status).toBe(200);
  const mail = await eventually(async () =>
    (await api.emails()).find((m) => m.destination.to.includes(email) && /how did we do/i.test(m.subject)),
  );
  const text = `${mail.body.text ?? ''}\n${mail.body.html ?? ''}`;
  const links: Record<number, string> = {};
  const tokens = new Set<string>();
  for (const m of text.matchAll(LINK)) {
    links[Number(m[3])] = m[1]!;
    tokens.add(m[2]!);
  }
  expect(Object.keys(links).sort()).toEqual(['1', '2', '3', '4', '5']);
  expect(tokens.size).toBe(1);
  // The follow-up closes the case; wait for that write so the snapshots below start from a settled case.
  await eventually(async () => (await api.get(`/cases/${c.body.id}`)).body.status === 'CLOSED');
  return { id: c.body.id, token: [...tokens][0]!, links };
}

async function state(id: string) {
  const c = await api.get(`/cases/${id}`);
  const t = await api.get(`/cases/${id}/timeline`);
  return { version: c.body.version as number, feedback: c.body.feedback as unknown, status: c.body.status as string, events: t.body.events.length as number };
}

/** GET a link as a browser would (the API's own URL, whatever host the email names). */
async function open(url: string) {
  const u = new URL(url);
  const r = await fetch(`${api.url}${u.pathname}${u.search}`, { redirect: 'manual' });
  return { status: r.status, type: r.headers.get('content-type') ?? '', headers: r.headers, html: await r.text() };
}

const postFeedback = (token: string, body: unknown) => api.post(`/feedback/${token}`, body, { token: null });
const key = () => process.env['LINK_SIGNING_KEY']!;
const linkFor = (token: string, rating: number) => `${api.url}/feedback/${token}?rating=${rating}`;
/** Change one character of the token at `i` to another base64url character. */
const flipAt = (token: string, i: number) => token.slice(0, i) + (token[i] === 'x' ? 'y' : 'x') + token.slice(i + 1);

let first: Surveyed;
let second: Surveyed;
let third: Surveyed;

beforeAll(async () => {
  ({ stack, api } = await startTestStack({ policyPath: policyFile({ followUpAfter: 'PT1S' }) }));
  [first, second, third] = await Promise.all([surveyedCase('first'), surveyedCase('second'), surveyedCase('third')]);
});
afterAll(async () => {
  await stack?.stop();
});

describe('the survey link in the follow-up email', () => {
  it('points at this API and carries a signed, expiring token bound to the case', () => {
    expect(first.links[4]!.startsWith(`${stack.urls.api}/feedback/`)).toBe(true);
    const [body] = first.token.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ c: first.id, p: 'feedback' });
    expect(claims.e * 1000).toBeGreaterThan(Date.now() + 29 * 86_400_000);
  });

  it('records the rating once: 200 page, case.feedback set, one timeline event by the customer', async () => {
    const was = await state(first.id);
    const r = await open(first.links[4]!);
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/html');
    expect(r.html).toContain('4 out of 5');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    const now = await state(first.id);
    expect(now.version).toBe(was.version + 1);
    expect(now.feedback).toMatchObject({ rating: 4 });
    const timeline = (await api.get(`/cases/${first.id}/timeline`)).body.events;
    expect(timeline.filter((e: { type: string }) => e.type === 'feedback.received')).toEqual([
      expect.objectContaining({ actor: { kind: 'customer', id: first.id }, data: { rating: 4 } }),
    ]);
  });

  it('refuses the same link again (409 page) and any other rating or the JSON form of it, changing nothing', async () => {
    const was = await state(first.id);
    const again = await open(first.links[4]!);
    expect(again.status).toBe(409);
    expect(again.type).toContain('text/html');
    expect(again.html).toContain('already');
    expect((await open(first.links[1]!)).status).toBe(409);
    const posted = await postFeedback(first.token, { rating: 1, comment: 'changed my mind' });
    expect(posted.status).toBe(409);
    expect(posted.headers.get('content-type')).toContain('application/problem+json');
    expect(await state(first.id)).toEqual(was);
  });

  it('refuses a tampered token (body or signature) with 403 and changes nothing; the genuine link still works', async () => {
    const was = await state(second.id);
    const dot = second.token.indexOf('.');
    const tampered = [
      flipAt(second.token, 3), // in the claims
      flipAt(second.token, dot - 1),
      flipAt(second.token, dot + 5), // in the signature
      flipAt(second.token, second.token.length - 1),
      `${second.token}x`,
      second.token.slice(0, -1),
      second.token.replace('.', '.x'),
      `${second.token}.extra`,
      second.token.split('.')[0]!,
      `${second.token.split('.')[0]}.`,
      second.token.toUpperCase(),
    ];
    for (const t of tampered) {
      const r = await open(linkFor(t, 5));
      expect(r.status, t).toBe(403);
      expect(r.type).toContain('text/html');
      const posted = await postFeedback(t, { rating: 5 });
      expect(posted.status, t).toBe(403);
      expect(posted.body).toMatchObject({ status: 403, title: 'Invalid link' });
    }
    expect(await state(second.id)).toEqual(was);
    expect((await open(second.links[2]!)).status).toBe(200);
    expect((await state(second.id)).feedback).toMatchObject({ rating: 2 });
  });

  it('refuses an expired token with 403 and changes nothing', async () => {
    const was = await state(third.id);
    const expired = signLink(third.id, 'feedback', new Date(Date.now() - 60_000), key());
    const r = await open(linkFor(expired, 5));
    expect(r.status).toBe(403);
    expect(r.html).toContain('no longer valid');
    expect((await postFeedback(expired, { rating: 5 })).status).toBe(403);
    expect(await state(third.id)).toEqual(was);
  });

  it('refuses a token for another purpose, signed with another key, or with its case swapped, changing nothing', async () => {
    const was = await state(third.id);
    const future = new Date(Date.now() + 3_600_000);
    const otherPurpose = signLink(third.id, 'status' as LinkPurpose, future, key());
    const otherKey = signLink(third.id, 'feedback', future, 'another-key-of-at-least-32-characters!!');
    // The first case's genuine token with its claims pointing at the third case (the MAC no longer matches).
    const [, firstMac] = first.token.split('.');
    const swappedBody = Buffer.from(JSON.stringify({ c: third.id, p: 'feedback', e: Math.floor(future.getTime() / 1000) })).toString('base64url');
    const swapped = `${swappedBody}.${firstMac}`;
    // Well-signed claims of the wrong shape (as if the key leaked into a test): still refused.
    const sign = (claims: unknown) => {
      const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${body}.${createHmac('sha256', key()).update(body).digest('base64url')}`;
    };
    const oddShapes = [
      sign({ c: third.id, p: 'feedback', e: 'never' }),
      sign({ c: third.id, p: 'feedback', e: 1e300 }),
      sign({ c: [third.id], p: 'feedback', e: Math.floor(future.getTime() / 1000) }),
      sign({ c: `${third.id}#x`, p: 'feedback', e: Math.floor(future.getTime() / 1000) }),
      sign(['feedback', third.id]),
      sign(null),
    ];
    for (const t of [otherPurpose, otherKey, swapped, ...oddShapes]) {
      expect((await open(linkFor(t, 5))).status, t).toBe(403);
      expect((await postFeedback(t, { rating: 5 })).status, t).toBe(403);
    }
    expect(await state(third.id)).toEqual(was);
  });

  it('a genuine token rates only its own case', async () => {
    const wasThird = await state(third.id);
    const firstNow = await state(first.id);
    // The first case's link (already used) cannot be pointed at the third case: there is no case in the URL to change.
    expect((await open(`${api.url}/feedback/${first.token}?rating=5&caseId=${third.id}`)).status).toBe(409);
    expect(await state(third.id)).toEqual(wasThird);
    expect(await state(first.id)).toEqual(firstNow);
  });

  it('refuses garbage tokens with 403, never a 500', async () => {
    for (const t of ['abc', 'a.b', 'a'.repeat(5000), '%00', '%E0%A4%A', encodeURIComponent('<script>alert(1)</script>'), '__proto__', 'constructor.prototype']) {
      const r = await fetch(`${api.url}/feedback/${t}?rating=3`);
      expect(r.status, t).toBe(403);
      const p = await fetch(`${api.url}/feedback/${t}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"rating":3}' });
      expect(p.status, t).toBe(403);
    }
  });

  it('asks for a rating when the link lacks one or has a bad one, and ignores tracking parameters', async () => {
    const fresh = await surveyedCase('fourth');
    const was = await state(fresh.id);
    for (const q of ['', '?rating=0', '?rating=6', '?rating=4.5', '?rating=abc', '?rating=1&rating=5', '?rating=']) {
      const r = await open(`${api.url}/feedback/${fresh.token}${q}`);
      expect(r.status, q).toBe(400);
      expect(r.type).toContain('text/html');
    }
    expect(await state(fresh.id)).toEqual(was);
    const tracked = await open(`${fresh.links[5]}&utm_source=newsletter&utm_medium=email`);
    expect(tracked.status).toBe(200);
    expect((await state(fresh.id)).feedback).toMatchObject({ rating: 5 });
  });

  it('takes the rating as JSON with a comment, once; a rating that is not an integer 1–5 is a 400 naming it', async () => {
    const fresh = await surveyedCase('fifth');
    const was = await state(fresh.id);
    for (const rating of ['5', true, [4], null, 0, 6, 2.5]) {
      const r = await postFeedback(fresh.token, { rating });
      expect(r.status, JSON.stringify(rating)).toBe(400);
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain('rating');
    }
    expect(await state(fresh.id)).toEqual(was);
    const ok = await postFeedback(fresh.token, { rating: 3, comment: 'fine in the end' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ received: true });
    expect((await state(fresh.id)).feedback).toMatchObject({ rating: 3, comment: 'fine in the end' });
    expect((await postFeedback(fresh.token, { rating: 5 })).status).toBe(409);
  });

  it('refuses the link of a case that was reopened (409 page) and changes nothing', async () => {
    const fresh = await surveyedCase('sixth');
    expect((await api.post(`/cases/${fresh.id}/reopen`, { reason: 'still broken' })).status).toBe(200);
    const was = await state(fresh.id);
    const r = await open(fresh.links[5]!);
    expect(r.status).toBe(409);
    expect(r.html).toContain('open again');
    expect(await state(fresh.id)).toEqual(was);
  });
});
