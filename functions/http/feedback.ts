// Primary adapters: the customer's satisfaction answer from the survey email's signed one-click links.
import { cases } from '../app/wiring.ts';
import { getPolicy } from '../commons/config.ts';
import { json, parseQuery, type HttpEvent, type HttpResult } from '../commons/http.ts';
import { linkSigningKey, verifyLink } from '../commons/signed-links.ts';
import { ConflictError, InvalidLinkError, NotFoundError, VersionConflictError } from '../domain/errors.ts';
import { recordFeedback } from '../domain/operations.ts';
import { escapeHtml } from '../notifications/templates.ts';
import * as routes from '../routes.ts';
import { route } from './route-handler.ts';

/**
 * The case was rated already: the link was used (a link may change the case once). Keeps the name ConflictError
 * so the one error mapper (by name) answers 409; the page tells it apart with instanceof.
 */
class AlreadyRatedError extends ConflictError {
  override name = 'ConflictError';
}

async function record(event: HttpEvent, rating: number, comment?: string): Promise<void> {
  const caseId = verifyLink(event.pathParameters?.['token'] ?? '', 'feedback', await linkSigningKey());
  await cases.changeCase(
    caseId,
    (c, ctx) => {
      if (c.feedback) throw new AlreadyRatedError('this case has already been rated');
      return recordFeedback(c, { rating, comment }, ctx);
    },
    { actor: { kind: 'customer', id: caseId } },
  );
}

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The page loads nothing, may not be framed, and never sends the link (a bearer secret) on as a Referer.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

function page(status: number, title: string, message: string): HttpResult {
  const company = escapeHtml(getPolicy().notifications.companyName);
  return {
    statusCode: status,
    headers: PAGE_HEADERS,
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222">
<h1 style="font-size:1.5rem">${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p style="color:#666">— ${company}</p></body></html>`,
  };
}

const SURVEY_LINK = routes.answerSurveyLink;

/**
 * GET /feedback/{token}?rating=N: the link in the email. Answers with a page a person reads, whatever happens.
 * Only `rating` is read: mail clients and link trackers append parameters (utm_*…) a customer cannot help.
 */
async function answerWithPage(event: HttpEvent): Promise<HttpResult> {
  let rating: number | undefined;
  const given = event.queryStringParameters?.['rating'];
  if (given !== undefined && !/^[1-5]$/.test(given.trim())) {
    return page(400, 'That link looks incomplete', 'Please use one of the rating links (1 to 5) from our email.');
  }
  try {
    rating = parseQuery({ ...event, queryStringParameters: given === undefined ? {} : { rating: given } }, SURVEY_LINK.query).rating;
  } catch {
    return page(400, 'That link looks incomplete', 'Please use one of the rating links (1 to 5) from our email.');
  }
  try {
    await record(event, rating);
  } catch (e) {
    if (e instanceof InvalidLinkError) return page(403, 'This link is no longer valid', 'It may have expired. If you still want to tell us how we did, just reply to our email.');
    if (e instanceof AlreadyRatedError) return page(409, 'We already have your answer', 'Thank you — your rating was already recorded.');
    if (e instanceof VersionConflictError) return page(409, 'Please try again', 'We could not record your answer just now; please use the link again in a moment.');
    if (e instanceof ConflictError) return page(409, 'Your request is open again', 'We are working on it again; we will ask how we did once it is resolved.');
    if (e instanceof NotFoundError) return page(404, 'We could not find that request', 'If you still want to tell us how we did, just reply to our email.');
    throw e;
  }
  return page(200, 'Thank you!', `You rated us ${rating} out of 5. Your answer helps us do better.`);
}

// Every answer is a page for a person, a bad rating too: the handler reads the query itself.
// Each route is marked pure: a function's bundle holds only its own (lib/function-entry.ts).
export const answerSurveyLink = /* @__PURE__ */ route(import.meta, SURVEY_LINK, ({ event }) => answerWithPage(event), { ownQuery: true });

/** POST /feedback/{token}: the same answer with an optional comment, as JSON. */
export const submitFeedback = /* @__PURE__ */ route(import.meta, routes.submitFeedback, async ({ body: input, event }) => {
  await record(event, input.rating, input.comment);
  return json(200, { received: true });
});
