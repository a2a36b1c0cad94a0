// LaTeX math: a marked extension that turns `$…$`, `\(…\)` (inline) and
// `$$…$$`, `\[…\]` (display) into placeholders, and `typeset()` that renders
// them with KaTeX. KaTeX (script, CSS and fonts) is loaded on first use only.
import type { TokenizerAndRendererExtension, Tokens } from 'marked';
import { escapeHtml } from './highlight';

interface MathToken extends Tokens.Generic {
  type: 'math';
  raw: string;
  text: string;
  display: boolean;
}

function placeholder(text: string, display: boolean): string {
  const tag = display ? 'div' : 'span';
  return `<${tag} class="math ${display ? 'math-display' : 'math-inline'}" data-tex="${escapeHtml(text)}">${escapeHtml(text)}</${tag}>`;
}

const BLOCK = /^(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/;
// `$x$`: no space just inside the dollars and no digit right after the closing
// one, so that "costs $5 and $10" stays text.
const INLINE = /^(?:\$\$([^$]+?)\$\$|\$(?![\s$])((?:\\.|[^\\$\n])+?)(?<!\s)\$(?!\d)|\\\((.+?)\\\))/;

export const mathBlock: TokenizerAndRendererExtension = {
  name: 'mathBlock',
  level: 'block',
  start(src: string) {
    const match = src.match(/\$\$|\\\[/);
    return match?.index;
  },
  tokenizer(src: string): MathToken | undefined {
    const match = BLOCK.exec(src);
    if (!match) return undefined;
    return { type: 'math', raw: match[0], text: (match[1] ?? match[2] ?? '').trim(), display: true };
  },
  renderer(token) {
    return placeholder((token as MathToken).text, true);
  },
};

export const mathInline: TokenizerAndRendererExtension = {
  name: 'math',
  level: 'inline',
  start(src: string) {
    const match = src.match(/\$|\\\(/);
    return match?.index;
  },
  tokenizer(src: string): MathToken | undefined {
    const match = INLINE.exec(src);
    if (!match) return undefined;
    const display = match[1] !== undefined;
    return { type: 'math', raw: match[0], text: (match[1] ?? match[2] ?? match[3] ?? '').trim(), display };
  },
  renderer(token) {
    const math = token as MathToken;
    return placeholder(math.text, math.display);
  },
};

/** Whether rendered HTML holds math that `typeset` should render. */
export function hasMath(html: string): boolean {
  return html.includes('data-tex=');
}

type Katex = typeof import('katex').default;
let katexPromise: Promise<Katex> | null = null;

function loadKatex(): Promise<Katex> {
  katexPromise ??= Promise.all([import('katex'), import('katex/dist/katex.min.css')]).then(([module]) => module.default);
  return katexPromise;
}

/** Renders every math placeholder under `root` that is not rendered yet. */
export async function typeset(root: HTMLElement): Promise<void> {
  const nodes = Array.from(root.querySelectorAll<HTMLElement>('.math[data-tex]:not([data-typeset])'));
  if (nodes.length === 0) return;
  const katex = await loadKatex();
  for (const node of nodes) {
    const tex = node.dataset.tex ?? '';
    try {
      katex.render(tex, node, {
        displayMode: node.classList.contains('math-display'),
        throwOnError: false,
        trust: false,
        strict: 'ignore',
        output: 'htmlAndMathml',
      });
    } catch {
      node.textContent = tex;
    }
    node.dataset.typeset = '1';
  }
}
