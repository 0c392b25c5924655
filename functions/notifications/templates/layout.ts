// Notifications: the one email layout. Templates describe their content as blocks; this file turns the blocks
// into a plain-text part and a simple one-column HTML part, escaping every value on the way into HTML.

/** One piece of an email's body. Every string is plain text (never HTML): the layout escapes it. */
export type Block =
  | { kind: 'p'; text: string }
  | { kind: 'heading'; text: string }
  /** Someone's own words (a comment, a resolution, a summary): kept verbatim, line breaks preserved. */
  | { kind: 'quote'; text: string }
  | { kind: 'facts'; rows: [label: string, value: string][] }
  | { kind: 'list'; items: string[] }
  | { kind: 'links'; links: { label: string; href: string }[] };

export interface Draft {
  subject: string;
  /** The headline at the top of the HTML part (and the first line of the text part). */
  title: string;
  greeting?: string;
  blocks: Block[];
  /** Closing lines, e.g. ["Kind regards,", "The Acme team"]. */
  signOff: string[];
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape a string for HTML text and quoted attribute values. */
export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

/** A subject safe for a mail header: no CR/LF (or other control/line-separator characters), single-spaced. */
export function cleanSubject(s: string): string {
  return String(s)
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/** Only http(s) URLs become links; anything else (javascript:, data:, …) is shown as text. */
function isWebUrl(href: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(href);
}

const FONT = 'font-family:Arial,Helvetica,sans-serif;color:#1f2933;font-size:15px;line-height:1.5';
const multiline = (s: string) => escapeHtml(s).replace(/\r\n|\r|\n/g, '<br>');

function blockHtml(b: Block): string {
  switch (b.kind) {
    case 'p':
      return `<p style="margin:0 0 16px">${multiline(b.text)}</p>`;
    case 'heading':
      return `<h2 style="margin:24px 0 8px;font-size:16px">${escapeHtml(b.text)}</h2>`;
    case 'quote':
      return `<blockquote style="margin:0 0 16px;padding:8px 12px;border-left:3px solid #cbd2d9;background:#f5f7fa">${multiline(b.text)}</blockquote>`;
    case 'facts':
      return (
        '<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 16px;border-collapse:collapse">' +
        b.rows
          .map(
            ([label, value]) =>
              `<tr><td style="padding:2px 12px 2px 0;vertical-align:top;color:#616e7c;white-space:nowrap">${escapeHtml(label)}</td>` +
              `<td style="padding:2px 0;vertical-align:top">${multiline(value)}</td></tr>`,
          )
          .join('') +
        '</table>'
      );
    case 'list':
      return `<ul style="margin:0 0 16px;padding-left:20px">${b.items.map((i) => `<li>${multiline(i)}</li>`).join('')}</ul>`;
    case 'links':
      return (
        '<p style="margin:0 0 16px">' +
        b.links
          .map((l) =>
            isWebUrl(l.href)
              ? `<a href="${escapeHtml(l.href)}" style="display:block;margin:0 0 8px;padding:10px 14px;border:1px solid #cbd2d9;border-radius:4px;color:#0b5cad;text-decoration:none">${escapeHtml(l.label)}</a>`
              : `<span style="display:block;margin:0 0 8px">${escapeHtml(l.label)}</span>`,
          )
          .join('') +
        '</p>'
      );
  }
}

function blockText(b: Block): string {
  switch (b.kind) {
    case 'p':
      return b.text;
    case 'heading':
      return `${b.text}\n${'-'.repeat(Math.min(b.text.length, 60))}`;
    case 'quote':
      return b.text
        .split(/\r\n|\r|\n/)
        .map((line) => `> ${line}`)
        .join('\n');
    case 'facts': {
      const width = Math.max(...b.rows.map(([label]) => label.length));
      return b.rows.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`).join('\n');
    }
    case 'list':
      return b.items.map((i) => `- ${i}`).join('\n');
    case 'links':
      return b.links.map((l) => (isWebUrl(l.href) ? `${l.label}: ${l.href}` : l.label)).join('\n');
  }
}

/** The shared layout: the draft's blocks as a text part and a one-column, inline-styled HTML part. */
export function layout(d: Draft): RenderedEmail {
  const blocks = d.blocks.filter((b) => !(b.kind === 'facts' && b.rows.length === 0) && !(b.kind === 'list' && b.items.length === 0));
  const text = [d.title, ...(d.greeting ? [d.greeting] : []), ...blocks.map(blockText), d.signOff.join('\n')].join('\n\n') + '\n';
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${escapeHtml(d.title)}</title></head>` +
    `<body style="margin:0;padding:0;background:#ffffff"><div style="max-width:600px;margin:0 auto;padding:24px;${FONT}">` +
    `<h1 style="margin:0 0 16px;font-size:20px">${escapeHtml(d.title)}</h1>` +
    (d.greeting ? `<p style="margin:0 0 16px">${escapeHtml(d.greeting)}</p>` : '') +
    blocks.map(blockHtml).join('') +
    `<p style="margin:24px 0 0">${d.signOff.map(escapeHtml).join('<br>')}</p>` +
    '</div></body></html>';
  return { subject: cleanSubject(d.subject), text, html };
}
