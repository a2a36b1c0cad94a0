// Markdown → safe HTML. marked (GFM) renders, DOMPurify sanitises every
// result, links open in a new tab without access to this page, code blocks
// get a header with their language and a copy button.
//
// `renderBlocks` re-lexes the text but re-renders only the top-level blocks
// whose source changed: while a reply streams in, only its last block is
// rebuilt on each frame, however long the reply is.
import DOMPurify from 'dompurify';
import { Marked, type Token, type Tokens, type TokensList } from 'marked';
import { escapeHtml, highlight, knownLanguage } from './highlight';
import { mathBlock, mathInline } from './math';

export interface RenderOptions {
  /** Accessible label of the copy button on code blocks. */
  copyLabel: string;
}

const defaults: RenderOptions = { copyLabel: 'Copy' };
let current: RenderOptions = defaults;

const marked = new Marked({
  gfm: true,
  breaks: false,
  extensions: [mathBlock, mathInline],
  renderer: {
    code(token: Tokens.Code): string {
      const language = knownLanguage(token.lang);
      const shown = escapeHtml((token.lang ?? '').trim().split(/\s+/)[0] ?? '');
      const body = highlight(token.text, token.lang);
      const label = escapeHtml(current.copyLabel);
      return (
        `<div class="code-block"><div class="code-head"><span class="code-lang">${shown}</span>` +
        `<button type="button" class="copy-code" data-copy-code aria-label="${label}" title="${label}"></button></div>` +
        `<pre><code class="hljs${language ? ` language-${language}` : ''}">${body}</code></pre></div>`
      );
    },
  },
});

/** Wraps tables so that wide ones scroll sideways on their own. */
function wrapTables(html: string): string {
  return html.replace(/<table>/g, '<div class="table-wrap"><table>').replace(/<\/table>/g, '</table></div>');
}

let hooked = false;
function purifier(): typeof DOMPurify {
  if (!hooked) {
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A' && node.hasAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      }
    });
    hooked = true;
  }
  return DOMPurify;
}

/** Cleans HTML of scripts, event handlers, styles, forms and frames. */
export function sanitize(html: string): string {
  return purifier().sanitize(html, {
    FORBID_TAGS: ['style', 'form', 'input', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
    ADD_ATTR: ['target'],
  });
}

/** A whole text as safe HTML. */
export function renderMarkdown(text: string, options: RenderOptions = defaults): string {
  current = options;
  try {
    return sanitize(wrapTables(marked.parse(text, { async: false })));
  } finally {
    current = defaults;
  }
}

export interface Block {
  raw: string;
  html: string;
}

/**
 * Renders `text` as top-level blocks, reusing the HTML of `previous` blocks
 * whose source is unchanged (pass the result of the last call).
 */
export function renderBlocks(text: string, previous: readonly Block[] = [], options: RenderOptions = defaults): Block[] {
  current = options;
  try {
    const tokens = marked.lexer(text);
    const blocks: Block[] = [];
    const cache = new Map(previous.map((block) => [block.raw, block]));
    for (const token of tokens) {
      if (token.type === 'space' || token.type === 'def') continue;
      blocks.push(cache.get(token.raw) ?? { raw: token.raw, html: sanitize(wrapTables(parseOne(token, tokens))) });
    }
    return blocks;
  } finally {
    current = defaults;
  }
}

function parseOne(token: Token, all: TokensList): string {
  const list = [token] as unknown as TokensList;
  list.links = all.links;
  return marked.parser(list);
}
