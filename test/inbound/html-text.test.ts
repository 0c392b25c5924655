// Unit: htmlToText (functions/inbound/html-text.ts), which makes text of an HTML-only reply in html-to-text's layout,
// on htmlparser2's streaming parser. Each behaviour with its exact output: the quote containers left out with all
// they hold (and what follows them kept), what a client does not show left out, entities decoded, U+00A0 kept, the
// blocks and their line breaks, list prefixes, "> " before a blockquote's lines, whitespace collapsed, broken markup.
import { describe, expect, it } from 'vitest';
import { htmlToText, QUOTE_CONTAINERS } from '../../functions/inbound/html-text.ts';

describe('htmlToText: the quoted history left out', () => {
  it.each([
    ['div.gmail_quote', '<div class="gmail_quote gmail_quote_container"><div class="gmail_attr">On Mon, X wrote:</div><div>old</div></div>'],
    ['blockquote.gmail_quote', '<blockquote class="gmail_quote" style="margin:0">old</blockquote>'],
    ['blockquote[type=cite]', '<blockquote type="cite" cite="mid:x@example.com"><div>On 30 Nov, X wrote:</div><div>old</div></blockquote>'],
    ['div.moz-cite-prefix', '<div class="moz-cite-prefix">On 30/11/2026 10:04, X wrote:<br></div>'],
    ['div.yahoo_quoted', '<div id="yahoo_quoted_0123" class="yahoo_quoted"><div><div>On Monday, X wrote:</div><div>old</div></div></div>'],
    ['div#appendonsend', '<div id="appendonsend"><div>old</div></div>'],
  ])('%s, with the divs nested inside it, and the text after it kept', (_, quote) => {
    expect(htmlToText(`<div>New text</div>${quote}<div>After</div>`)).toBe('New text\nAfter');
  });

  it('covers every container in QUOTE_CONTAINERS (the cases above can fail for a new one)', () => {
    expect(QUOTE_CONTAINERS).toEqual(['div.gmail_quote', 'blockquote.gmail_quote', 'blockquote[type=cite]', 'div.moz-cite-prefix', 'div.yahoo_quoted', 'div#appendonsend']);
  });

  it('matches a class as one of the class tokens, tag names in any case, type=cite in any case', () => {
    expect(htmlToText('<div>a</div><DIV CLASS=" x\tgmail_quote ">old</DIV><div>b</div>')).toBe('a\nb');
    expect(htmlToText('<div>a</div><BlockQuote Type="CITE">old</BlockQuote><div>b</div>')).toBe('a\nb');
    // Left out, the container leaves no line break either: text around it runs on, as in html-to-text.
    expect(htmlToText('a<div class="gmail_quote">old</div>b')).toBe('ab');
    // Not the class, only a name that starts the same; not a class of another element.
    expect(htmlToText('<div class="gmail_quote_container">kept</div><span class="gmail_quote">kept too</span>')).toBe('kept\nkept too');
  });

  it('ends at its own closing tag: nested elements of the same name, void elements and unclosed ones inside', () => {
    const quote = '<div class="gmail_quote"><div><div>old<br><img src="x"><hr></div><p>unclosed <b>bold</div><div>old</div></div>';
    expect(htmlToText(`<p>Mine</p>${quote}<p>Still mine</p>`)).toBe('Mine\n\nStill mine');
  });

  it('an unclosed container takes the rest of the message (as the DOM html-to-text read did)', () => {
    expect(htmlToText('<div>Mine</div><blockquote type="cite"><div>old')).toBe('Mine');
  });
});

describe('htmlToText: what a client does not show', () => {
  it('head, title, style, script, template, comments and the doctype leave no text; noscript is shown', () => {
    const html = '<!DOCTYPE html><html><head><title>Re: case</title><meta charset="utf-8"><style>p{color:red}</style><script>var s = "<p>no</p>";</script></head>'
      + '<body><style>.x{}</style><!-- a comment --><p>Visible.</p><template><p>not shown</p></template><noscript>No scripts here.</noscript></body></html>';
    expect(htmlToText(html)).toBe('Visible.\n\nNo scripts here.');
  });

  it('images, with their alt text', () => {
    expect(htmlToText('<p>See <img src="cid:a" alt="photo of the box">the photo</p>')).toBe('See the photo');
  });

  it('links: their text, not their address', () => {
    expect(htmlToText('<p>Track it <a href="https://example.com/t/1Z999">here</a> or at <a href="mailto:a@example.org">a@example.org</a>.</p>')).toBe(
      'Track it here or at a@example.org.',
    );
  });

  it("Outlook's markup: o:p tags, conditional comments, <xml> blocks, mso- styles, downlevel-revealed markers", () => {
    const html = '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal {mso-style-priority:99; margin:0cm}</style>'
      + '<!--[if gte mso 9]><xml><o:shapedefaults v:ext="edit" spidmax="1026" /></xml><![endif]--></head><body>'
      + '<xml><w:WordDocument><w:View>Normal</w:View><w:Zoom>0</w:Zoom></w:WordDocument></xml>'
      + '<p class="MsoNormal" style="mso-margin-top-alt:auto">Hello,<o:p></o:p></p><!--[if mso]><p>only in Outlook</p><![endif]-->'
      + '<p class="MsoListParagraph"><![if !supportLists]><span style="mso-list:Ignore">1.</span><![endif]>First<o:p></o:p></p></body></html>';
    expect(htmlToText(html)).toBe('Hello,\n\n1.First');
  });
});

describe('htmlToText: characters', () => {
  it('decodes entities, named and numeric', () => {
    expect(htmlToText('<p>Tom &amp; Jerry &lt;3 &#8217;quoted&rsquo; &#x20AC;5 &euro;6 &mdash; &quot;ok&quot;</p>')).toBe('Tom & Jerry <3 ’quoted’ €5 €6 — "ok"');
  });

  it('keeps U+00A0 as it is, a line of it too (parse.ts makes it a space)', () => {
    expect(htmlToText('<p>89,00&nbsp;€</p><p>&nbsp;</p><p>end\u00a0</p>')).toBe('89,00\u00a0€\n\n\u00a0\n\nend\u00a0');
  });

  it('collapses each run of HTML whitespace to one space, none at the start or end of a line', () => {
    expect(htmlToText('<div>  lots \t of\r\n\f  space  </div>\n\n  <div> next </div>')).toBe('lots of space\nnext');
  });

  it('joins what inline elements split, with no space where the source has none', () => {
    expect(htmlToText('<p><b>Bold</b><i>italic</i> <span>spaced</span>&nbsp;<u>nb</u></p>')).toBe('Bolditalic spaced\u00a0nb');
  });

  it('drops zero-width spaces', () => {
    expect(htmlToText('<p>a\u200bb and &#8203; c</p><p>&#8203;</p><p>d</p>')).toBe('ab and c\n\nd');
  });
});

describe('htmlToText: layout', () => {
  it('br: a line break; two: a blank line; never more than one blank line', () => {
    expect(htmlToText('Hello,<br><br>line one<br>line two<br><br><br><br>Rui<br>')).toBe('Hello,\n\nline one\nline two\n\nRui');
  });

  it("div: a line; Gmail's <div><br></div>: a blank line; an empty div: nothing", () => {
    expect(htmlToText('<div>Hi,</div><div><br></div><div>Thanks</div><div></div><div>Ana</div>')).toBe('Hi,\n\nThanks\nAna');
  });

  it('p: a blank line around, empty ones adding none', () => {
    expect(htmlToText('<p>one</p><p>two</p><p></p><p></p><p>three</p>text')).toBe('one\n\ntwo\n\nthree\n\ntext');
  });

  it('headings: a blank line around, the text as written (not uppercased)', () => {
    expect(htmlToText('<h1>Bug report</h1><p>Steps</p><h2>Log</h2><h4>Note</h4>end')).toBe('Bug report\n\nSteps\n\nLog\n\nNote\n\nend');
  });

  it('ul and ol: " * " and " 1. " before each item, a line each, the list after the line before it', () => {
    expect(htmlToText('<div>Wrong:</div><ul><li>crushed box</li><li>two <b>broken</b> cups</li></ul><div>Wanted:</div><ol><li>refund</li><li>invoice</li></ol>end')).toBe(
      'Wrong:\n * crushed box\n * two broken cups\n\nWanted:\n 1. refund\n 2. invoice\n\nend',
    );
  });

  it("a list after a paragraph: after the paragraph's blank line; items with paragraphs: a blank line between", () => {
    expect(htmlToText('<p>Plan:</p><ul><li><p>one</p><p>more</p></li><li>two</li></ul>')).toBe('Plan:\n\n * one\n\n   more\n\n * two');
  });

  it("ol's start; nested lists under their item, without the leading space; an item's next lines under its text", () => {
    expect(htmlToText('<ol start="3"><li>Collect<ul><li>before Friday</li><li>with the receipt</li></ul></li><li>Return<br>it</li></ol>')).toBe(
      ' 3. Collect\n    * before Friday\n    * with the receipt\n 4. Return\n    it',
    );
  });

  it('an unclosed li ends at the next one, at the end of its list', () => {
    expect(htmlToText('<ul><li>a<li>b</ul>after')).toBe(' * a\n * b\n\nafter');
  });

  it('table: a blank line around, each row a line, its cells a space apart, empty cells adding none', () => {
    const html = '<p>Order:</p><table><thead><tr><th>Item</th><th>Qty</th></tr></thead><tbody><tr><td>Mug</td><td>2</td></tr>'
      + '<tr><td></td><td>Teapot<br>(blue)</td></tr></tbody></table>Refund the mugs.';
    expect(htmlToText(html)).toBe('Order:\n\nItem Qty\nMug 2\nTeapot\n(blue)\n\nRefund the mugs.');
  });

  it('pre: a blank line around, its spaces and line breaks as written, the newline after <pre> not', () => {
    expect(htmlToText('<p>Log:</p><pre>\n  at main (index.js:10)\n    at   run\r\n\n\n\n-- \n</pre>end')).toBe(
      'Log:\n\n  at main (index.js:10)\n    at   run\n\n-- \n\nend',
    );
  });

  it('hr: a rule of 40 dashes with a blank line around', () => {
    expect(htmlToText('Tom<hr style="display:inline-block">From: Support')).toBe(`Tom\n\n${'-'.repeat(40)}\n\nFrom: Support`);
  });

  it('a blockquote that is no quote container: "> " before each of its lines, ">" on its blank ones, none around it', () => {
    expect(htmlToText('<div>Support wrote:</div><blockquote><p>We can offer 20%.</p><p>Regards<br>Support</p></blockquote><div>Fine.</div>')).toBe(
      'Support wrote:\n\n> We can offer 20%.\n>\n> Regards\n> Support\n\nFine.',
    );
    expect(htmlToText('<blockquote>a<br><br><br><br>b</blockquote>')).toBe('> a\n>\n> b'); // one blank line at most here too
  });

  it('nested blockquotes and a list in one: the prefixes outside in', () => {
    expect(htmlToText('<blockquote>outer<blockquote>inner<ul><li>item</li></ul></blockquote></blockquote>')).toBe(
      '> outer\n>\n> > inner\n> >  * item',
    );
  });
});

describe('htmlToText: broken markup and edge cases', () => {
  it('empty input, whitespace only, markup without text: an empty string', () => {
    expect(htmlToText('')).toBe('');
    expect(htmlToText(' \n\t ')).toBe('');
    expect(htmlToText('<html><body><div><br></div><p></p><img src="x"></body></html>')).toBe('');
  });

  it('stray closing tags change nothing but </p> and </br>, which HTML reads as a paragraph and a line break', () => {
    expect(htmlToText('a</div>b</span>c</p>d</br>e')).toBe('abc\n\nd\ne');
  });

  it('unclosed tags close where their parent does, or at the end', () => {
    // The second p ends with its div (and wants its blank line after it), the b and the i at the end.
    expect(htmlToText('<div><p>one<p>two</div><div><b>bold <i>both')).toBe('one\n\ntwo\n\nbold both');
    expect(htmlToText('<div><span>one<div>two</div>three')).toBe('one\ntwo\nthree');
  });

  it('a tag cut off by the end of the input, an unclosed comment: the text before them', () => {
    expect(htmlToText('<p>Hello<div cla')).toBe('Hello');
    expect(htmlToText('<p>Hello</p><!-- never closed <p>hidden</p>')).toBe('Hello');
  });

  it('text outside any element, a < that opens no tag', () => {
    expect(htmlToText('5 < 6 and 7 > 3 <3')).toBe('5 < 6 and 7 > 3 <3');
  });
});
