// Customer links (the survey): HMAC-signed, expiring, bound to one case and one purpose. Single use is enforced
// by the change they make (a case takes one rating), so a replayed link changes nothing.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidLinkError } from '../domain/errors.ts';
import { secretString } from './clients/secrets.ts';

export type LinkPurpose = 'feedback';

/** Case ids are ULIDs. */
const CASE_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

interface LinkClaims {
  c: string; // case id
  p: LinkPurpose;
  e: number; // expiry, epoch seconds
}

function sign(body: string, key: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

export function signLink(caseId: string, purpose: LinkPurpose, expiresAt: Date, key: string): string {
  if (key.length < 32) throw new Error('the link signing key must be at least 32 characters');
  const body = Buffer.from(JSON.stringify({ c: caseId, p: purpose, e: Math.floor(expiresAt.getTime() / 1000) } satisfies LinkClaims)).toString('base64url');
  return `${body}.${sign(body, key)}`;
}

/** A link token is ~100 characters; anything far longer is refused before any hashing or parsing. */
const MAX_TOKEN_CHARS = 512;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** HMAC-SHA256 in base64url without padding. */
const MAC_CHARS = 43;

/** The case the link is for, if it is intact, unexpired and for this purpose; otherwise InvalidLinkError. */
export function verifyLink(token: string, purpose: LinkPurpose, key: string, now = new Date()): string {
  const invalid = () => new InvalidLinkError('this link is not valid');
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) throw invalid();
  const [body, mac, ...rest] = token.split('.');
  if (!body || !mac || rest.length || !BASE64URL.test(body) || !BASE64URL.test(mac) || mac.length !== MAC_CHARS) throw invalid();
  const expected = Buffer.from(sign(body, key));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
  let claims: Partial<LinkClaims>;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<LinkClaims>;
  } catch {
    throw invalid();
  }
  if (!claims || typeof claims !== 'object') throw invalid();
  // Only the purpose asked for (a link for one purpose never works for another), a case id, an integer expiry.
  if (claims.p !== purpose || typeof claims.c !== 'string' || !CASE_ID.test(claims.c) || !Number.isSafeInteger(claims.e)) throw invalid();
  if (claims.e! * 1000 < now.getTime()) throw new InvalidLinkError('this link has expired');
  return claims.c;
}

/**
 * The signing key: on AWS a Secrets Manager secret (LINK_SIGNING_SECRET_ARN, fetched once an hour at most);
 * locally the stack passes a key kept in the data folder as LINK_SIGNING_KEY.
 */
export async function linkSigningKey(): Promise<string> {
  const key = process.env['LINK_SIGNING_KEY'] ?? (await secretKey());
  if (!key || key.length < 32) throw new Error('the link signing key must be at least 32 characters (LINK_SIGNING_KEY or LINK_SIGNING_SECRET_ARN)');
  return key;
}

async function secretKey(): Promise<string | undefined> {
  const arn = process.env['LINK_SIGNING_SECRET_ARN'];
  if (!arn) return undefined;
  return secretString(arn, 3600);
}

// ---- reply addresses ----
// Every customer email carries `Reply-To: reply+<case reference>.<signature>@<inbound domain>`: the address names the
// case and cannot be made up for another case (the signature is an HMAC of the reference with the link key). Hex, not
// base64url: mail systems may change the case of a local part, and hex survives that.

/** The local part's prefix: `reply+…`, so the domain's other addresses stay free for people. */
const REPLY_PREFIX = 'reply+';
/** 80 bits of HMAC: far beyond guessing by sending mail, short enough for a 64-character local part. */
const REPLY_MAC_HEX = 20;
const REFERENCE = /^ESC-[0-9A-HJKMNP-TV-Z]{6}$/;

function replyMac(reference: string, key: string): string {
  return createHmac('sha256', key).update(`reply-to:${reference}`).digest('hex').slice(0, REPLY_MAC_HEX);
}

export function replyAddress(reference: string, domain: string, key: string): string {
  if (key.length < 32) throw new Error('the link signing key must be at least 32 characters');
  return `${REPLY_PREFIX}${reference}.${replyMac(reference, key)}@${domain}`;
}

/** The case reference an address names if it is one of ours, intact, on the inbound domain; otherwise undefined. */
export function verifyReplyAddress(address: string, domain: string, key: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0 || address.length > 254 || address.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return undefined;
  const local = address.slice(0, at).toLowerCase();
  if (!local.startsWith(REPLY_PREFIX)) return undefined;
  const [ref, mac, ...rest] = local.slice(REPLY_PREFIX.length).split('.');
  const reference = (ref ?? '').toUpperCase();
  if (rest.length || !REFERENCE.test(reference) || !mac || mac.length !== REPLY_MAC_HEX) return undefined;
  const expected = Buffer.from(replyMac(reference, key));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given) ? reference : undefined;
}
