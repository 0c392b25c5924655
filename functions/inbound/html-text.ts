// HTML made into text for an HTML-only reply: what a mail client shows of it, laid out in lines, without the
// containers clients wrap the quoted history in. Built on htmlparser2's streaming Parser, its callbacks only.
//
// html-to-text did this before. It builds a DOM (domhandler, dom-serializer), picks a format for each element with a
// CSS selector engine (selderee, parseley) and merges its options with deepmerge-ts: ~121 KB of the inbound function's
// bundle, which has a size budget, where htmlparser2's Parser with entities' tables is ~60 KB. Kept of its output as
// parse.ts configured it (no word wrap; quote containers and images left out; links without their address; headings
// as written), so that replies read as before: its blocks and the line breaks between them (a blank line around
// paragraphs, headings, lists, tables, pre and blockquotes, a line break around divs and list items), its list
// prefixes, its "> " before the lines of a blockquote (which email-reply-parser then takes for quoted text, as it did)
// and its rule of 40 dashes for an hr. Where this differs, on purpose: table rows, dt, dd and center start a line
// (html-to-text ran the cells of a table together), h4-h6 are not uppercased, Word's <xml> and <template> are left
// out, a zero-width space is dropped rather than made a space, and an empty div adds no blank line.
import { Parser } from 'htmlparser2';

/**
 * Containers mail clients wrap the quoted message in, for HTML-only replies: Gmail, Apple Mail and Thunderbird
 * (blockquote type=cite), Yahoo. Outlook's quoted part has no container (it follows a "From: … Sent: …" block), which
 * email-reply-parser recognises in the text. Each is a tag with one class, id or attribute value: `tag.class`,
 * `tag#id`, `tag[attribute=value]`.
 */
export const QUOTE_CONTAINERS = [
  'div.gmail_quote', 'blockquote.gmail_quote', 'blockquote[type=cite]', 'div.moz-cite-prefix', 'div.yahoo_quoted',
  'div#appendonsend',
];

type Attributes = Record<string, string>;

/** A selector of QUOTE_CONTAINERS as a test of an element; one the three shapes do not cover fails on import. */
function matcher(selector: string): (name: string, attributes: Attributes) => boolean {
  const m = /^([a-z][a-z0-9]*)(?:\.([\w-]+)|#([\w-]+)|\[([\w-]+)=([\w-]+)\])$/.exec(selector);
  if (!m) throw new Error(`quote container selector not understood: ${selector}`);
  const [, tag, className, id, attribute, value] = m;
  // Classes and ids match case-sensitively, as in CSS; the value of type (cite) does not, as in a browser.
  if (className) return (name, a) => name === tag && (a['class'] ?? '').split(HTML_WHITESPACE).includes(className);
  if (id) return (name, a) => name === tag && a['id'] === id;
  return (name, a) => name === tag && a[attribute!]?.toLowerCase() === value!.toLowerCase();
}

const HTML_WHITESPACE = /[ \t\n\r\f]+/;
const quoteContainers = QUOTE_CONTAINERS.map(matcher);
const isQuoteContainer = (name: string, attributes: Attributes) => quoteContainers.some((is) => is(name, attributes));

/**
 * Left out with all they hold: what a mail client does not show. Not head: what it holds that is not shown (title,
 * style, script) is left out on its own, and an unclosed <head> (htmlparser2 ends it only at <body>) would take the
 * whole message with it. Not noscript: mail clients run no scripts, so they show its content (html-to-text kept it
 * too). Word's <xml> is mostly inside a conditional comment (a comment to the parser, left out), but not always, and
 * its text is settings ("Normal 0 false false false EN-US").
 */
const HIDDEN = new Set(['title', 'style', 'script', 'template', 'xml', 'img']);

/**
 * html-to-text's blocks and the line breaks each wants before and after it (2: a blank line between). Anything else
 * (span, a, b, font, Word's o:p, td...) is inline. A list inside a list item wants 1.
 */
const BLANK_LINE = ['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'table', 'pre', 'blockquote', 'hr'];
const LINE_BREAK = ['div', 'li', 'section', 'article', 'aside', 'header', 'footer', 'main', 'nav', 'form'];
const BLOCKS = new Map([...BLANK_LINE.map((n) => [n, 2]), ...LINE_BREAK.map((n) => [n, 1])] as [string, number][]);

/**
 * Inline to html-to-text, which ran them together ("Item" "Qty" in a row of cells became "ItemQty" on the line of
 * the previous row), on a line of their own here, as a mail client shows them.
 */
const LINES = new Set([
  'tr', 'dl', 'dt', 'dd', 'center', 'address', 'figure', 'figcaption', 'fieldset', 'legend', 'details', 'summary',
  'caption',
]);

/** html-to-text's hr without word wrap. A line of dashes is also what email-reply-parser may take for a delimiter. */
const RULE = '-'.repeat(40);

/**
 * What starts each line inside a blockquote ("> ") or a list item (its bullet on its first line, as many spaces on
 * the next ones, so the item's lines stay under it).
 */
interface Prefix {
  first: string;
  rest: string;
  /** A line has been written with it: a blank line inside the element carries it too, one before it does not. */
  used: boolean;
}

interface Frame {
  name: string;
  /** The line breaks it wants before and after it: a block's, or (LINES) a line's. */
  breaks?: number;
  block?: boolean;
  prefix?: Prefix;
  /** A list: the number of its next item (ol), or undefined (ul); inside an item or not. */
  list?: { next: number | undefined; nested: boolean };
}

/**
 * The text being written. Line breaks are owed rather than written, and written before the next word: the most
 * that the boundaries since the last word ask for, plus one per <br>, two at most. So empty elements and runs of
 * boundaries leave no run of blank lines, and none at either end.
 */
class Lines {
  private out = '';
  private breaks = 0;
  /**
   * What the innermost block opened since the last word wants before it, and that block: dropped when its first child
   * is a block, whose own count applies instead, as in html-to-text (a list after a line of text starts on the next
   * line, as its first item asks, not after a blank line; after a paragraph, after the paragraph's blank line).
   */
  private lead = 0;
  private leader: object | undefined;
  private space = false;
  private lineStart = true;
  readonly prefixes: Prefix[] = [];

  /** A block opens inside `parent`, the innermost block around it (if any). */
  open(block: object, n: number, parent: object | undefined): void {
    if (this.leader !== parent) this.breaks = Math.max(this.breaks, this.lead);
    this.lead = n;
    this.leader = block;
  }

  close(block: object, n: number): void {
    if (this.leader === block) this.settle(); // an empty block: what it wanted before it stays wanted
    this.breaks = Math.max(this.breaks, n);
  }

  /** An element on a line of its own, which is not a block to html-to-text (LINES). */
  line(n: number): void {
    this.breaks = Math.max(this.breaks, n);
  }

  lineBreak(): void {
    this.settle();
    this.breaks++;
  }

  /** Whitespace between words (or table cells): one space, unless a line starts there. */
  gap(): void {
    this.space = true;
  }

  /** Text outside pre: each run of HTML whitespace one space (U+00A0 is no HTML whitespace: it stays). */
  words(text: string): void {
    // A zero-width space shows as nothing, so it is dropped; html-to-text took it for whitespace ("a b" for a\u200bb).
    text.replace(/\u200b/g, '').split(HTML_WHITESPACE).forEach((word, i) => {
      if (i > 0) this.space = true;
      if (word) this.put(word);
    });
  }

  /** Text inside pre, as written: its line breaks, its spaces. */
  raw(text: string): void {
    text.replace(/\r\n?/g, '\n').split('\n').forEach((line, i) => {
      if (i > 0) this.rawNewline();
      if (line) {
        this.space = false;
        this.put(line);
      }
    });
  }

  private rawNewline(): void {
    if (!this.out) return; // blank lines at the start are not kept anyway
    this.flush();
    if (this.lineStart) this.out += this.blankPrefix();
    this.out += '\n';
    this.lineStart = true;
  }

  private put(word: string): void {
    this.flush();
    if (this.lineStart) {
      this.out += this.prefixes.map((p) => (p.used ? p.rest : ((p.used = true), p.first))).join('');
      this.lineStart = false;
    } else if (this.space) {
      this.out += ' ';
    }
    this.space = false;
    this.out += word;
  }

  private settle(): void {
    this.breaks = Math.max(this.breaks, this.lead);
    this.lead = 0;
    this.leader = undefined;
  }

  private flush(): void {
    this.settle();
    // Two at most: at most one blank line between two lines of text, however many <br> or empty paragraphs.
    const n = this.out ? Math.min(this.breaks, 2) : 0;
    for (let i = 0; i < n; i++) this.out += i ? `${this.blankPrefix()}\n` : '\n';
    if (n) this.lineStart = true;
    this.breaks = 0;
  }

  private blankPrefix(): string {
    return this.prefixes.filter((p) => p.used).map((p) => p.rest).join('').trimEnd();
  }

  text(): string {
    // No space of ours ends a line (one is written only before a word); a pre's lines are as written ("-- " before a
    // signature keeps its space), but one of whitespace only is blank. The first line keeps its indent (a list's " * ",
    // a pre's), so it lines up with the next ones.
    const lines = this.out.split('\n').map((l) => (/^[ \t\f]*$/.test(l) ? '' : l));
    const kept = lines.filter((l, i) => l || lines[i - 1]); // the blank lines of a pre: one in a row
    while (kept.length && !kept[0]) kept.shift();
    while (kept.length && !kept.at(-1)) kept.pop();
    return kept.join('\n');
  }
}

/** The text of an HTML body: what a mail client shows of it but the quoted history, in lines. */
export function htmlToText(html: string): string {
  const lines = new Lines();
  const frames: Frame[] = [];
  // Depth inside a left-out element. htmlparser2 closes every element it opens (void ones at once, unclosed ones
  // where their parent closes or at the end, and a stray </p> or </br> is opened and closed), so counting opens and
  // closes finds the end of a left-out element, with nested ones of the same name inside. (A tag cut off by the end
  // of the input, "<div cla", is closed without having been opened; only closes follow it, which write nothing.)
  let skipping = 0;
  let pre = 0;
  let preStart = false; // a newline right after <pre> is not shown

  const parser = new Parser({
    onopentag(name, attributes) {
      if (skipping || HIDDEN.has(name) || isQuoteContainer(name, attributes)) {
        skipping++;
        return;
      }
      preStart = false;
      const frame: Frame = { name };
      const parent = frames.findLast((f) => f.block);
      if (name === 'ul' || name === 'ol') {
        const start = Number.parseInt(attributes['start'] ?? '', 10);
        const nested = frames.some((f) => f.name === 'li' && f.prefix);
        frame.list = { next: name === 'ol' ? (Number.isNaN(start) ? 1 : start) : undefined, nested };
        frame.breaks = nested ? 1 : 2;
      } else {
        frame.breaks = BLOCKS.get(name) ?? (LINES.has(name) ? 1 : undefined);
      }
      frame.block = BLOCKS.has(name);
      frames.push(frame);
      if (frame.block) lines.open(frame, frame.breaks!, parent);
      else if (frame.breaks) lines.line(frame.breaks);

      if (name === 'li') {
        // html-to-text's prefixes: " * " and " 1. ", without the leading space in a nested list. It pads a list's
        // prefixes to its longest (" 9. ", " 10. "); written as the parser goes, the items from the 10th on are a
        // character further right. An ol's type (a, i) is not followed: numbers read as well.
        const list = frames.findLast((f) => f.list)?.list;
        if (list) {
          const bullet = `${list.nested ? '' : ' '}${list.next === undefined ? '*' : `${list.next++}.`} `;
          frame.prefix = { first: bullet, rest: ' '.repeat(bullet.length), used: false };
        }
      } else if (name === 'blockquote') {
        frame.prefix = { first: '> ', rest: '> ', used: false };
      } else if (name === 'br') {
        lines.lineBreak();
      } else if (name === 'hr') {
        lines.words(RULE);
      } else if (name === 'td' || name === 'th') {
        // Cells of a row: a space between, which is what the source's whitespace between them gave html-to-text. A
        // space rather than a column gap: most tables in mail are layout (signatures, Outlook's wrappers), their
        // cells parts of one text.
        lines.gap();
      } else if (name === 'pre') {
        pre++;
        preStart = true;
      }
      if (frame.prefix) lines.prefixes.push(frame.prefix);
    },
    ontext(text) {
      if (skipping) return;
      if (pre) lines.raw(preStart ? text.replace(/^\r?\n/, '') : text);
      else lines.words(text);
      preStart = false;
    },
    onclosetag() {
      if (skipping) {
        skipping--;
        return;
      }
      const frame = frames.pop();
      if (!frame) return;
      if (frame.prefix) lines.prefixes.splice(lines.prefixes.lastIndexOf(frame.prefix), 1);
      if (frame.name === 'pre') pre--;
      if (frame.block) lines.close(frame, frame.breaks!);
      else if (frame.breaks) lines.line(frame.breaks);
    },
  });
  parser.end(html);
  return lines.text();
}
