import { describe, expect, it } from 'vitest';
import { renderBlocks, renderMarkdown, sanitize } from './render';

function dom(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

describe('markdown rendering', () => {
  it('renders GFM tables inside a scrolling wrapper', () => {
    const html = renderMarkdown('| a | b |\n|---|---|\n| 1 | 2 |\n');
    const root = dom(html);
    expect(root.querySelector('.table-wrap > table')).not.toBeNull();
    expect(root.querySelectorAll('td')).toHaveLength(2);
  });

  it('renders lists and task lists', () => {
    const root = dom(renderMarkdown('- one\n- two\n\n1. first\n2. second\n'));
    expect(root.querySelectorAll('ul > li')).toHaveLength(2);
    expect(root.querySelectorAll('ol > li')).toHaveLength(2);
  });

  it('opens links in a new tab without giving the page away', () => {
    const link = dom(renderMarkdown('[site](https://example.org)')).querySelector('a');
    expect(link?.getAttribute('href')).toBe('https://example.org');
    expect(link?.getAttribute('target')).toBe('_blank');
    expect(link?.getAttribute('rel')).toContain('noopener');
    expect(link?.getAttribute('rel')).toContain('noreferrer');
  });

  it('drops javascript: links', () => {
    const link = dom(renderMarkdown('[x](javascript:alert(1))')).querySelector('a');
    expect(link?.getAttribute('href') ?? '').not.toContain('javascript');
  });

  it('makes <script> and <img onerror> inert', () => {
    const html = renderMarkdown('hi <script>window.pwned = 1</script>\n\n<img src="x" onerror="window.pwned = 2">');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('onerror');
    const root = dom(html);
    expect(root.querySelector('script')).toBeNull();
    expect(root.querySelector('img')?.getAttributeNames()).not.toContain('onerror');
  });

  it('removes inline styles, iframes and forms', () => {
    const html = sanitize('<p style="position:fixed">x</p><iframe src="/"></iframe><form><input></form>');
    expect(html).toBe('<p>x</p>');
  });

  it('highlights code in a known language and offers a copy button', () => {
    const root = dom(renderMarkdown('```rust\nfn main() {}\n```', { copyLabel: 'Copy code' }));
    expect(root.querySelector('code.language-rust .hljs-keyword')?.textContent).toBe('fn');
    expect(root.querySelector('.code-lang')?.textContent).toBe('rust');
    expect(root.querySelector('button[data-copy-code]')?.getAttribute('aria-label')).toBe('Copy code');
  });

  it('shows code in an unknown language as escaped text', () => {
    const root = dom(renderMarkdown('```brainfudge\n<b>&\n```'));
    const code = root.querySelector('pre code');
    expect(code?.textContent).toBe('<b>&');
    expect(code?.querySelector('b')).toBeNull();
  });

  it('turns inline and display math into placeholders', () => {
    const root = dom(renderMarkdown('Euler: $e^{i\\pi}+1=0$ and \\(a^2\\)\n\n$$\n\\int_0^1 x\\,dx\n$$\n'));
    const inline = root.querySelectorAll('.math-inline');
    expect(inline).toHaveLength(2);
    expect(inline[0]?.getAttribute('data-tex')).toBe('e^{i\\pi}+1=0');
    expect(root.querySelector('.math-display')?.getAttribute('data-tex')).toBe('\\int_0^1 x\\,dx');
  });

  it('leaves prices alone', () => {
    const root = dom(renderMarkdown('It costs $5 and $10.'));
    expect(root.querySelector('.math')).toBeNull();
  });
});

describe('block rendering while streaming', () => {
  it('reuses unchanged blocks and re-renders only the growing one', () => {
    const first = renderBlocks('# Title\n\nSome text\n\n- item');
    expect(first.map((b) => b.raw.trim())).toEqual(['# Title', 'Some text', '- item']);
    const second = renderBlocks('# Title\n\nSome text\n\n- item one', first);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).toBe(first[1]);
    expect(second[2]).not.toBe(first[2]);
    expect(second[2]?.html).toContain('item one');
  });

  it('renders the same HTML as the whole-text renderer', () => {
    const text = '# A\n\npara with **bold**\n\n```js\nlet x = 1;\n```\n\n> quote\n';
    const joined = renderBlocks(text).map((b) => b.html).join('');
    expect(joined.replace(/\s+/g, '')).toBe(renderMarkdown(text).replace(/\s+/g, ''));
  });

  it('sanitises each block', () => {
    const blocks = renderBlocks('ok\n\n<img src=x onerror="alert(1)">');
    expect(blocks.map((b) => b.html).join('')).not.toContain('onerror');
  });
});
