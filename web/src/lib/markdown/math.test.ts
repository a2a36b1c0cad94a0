import { describe, expect, it } from 'vitest';
import { hasMath, typeset } from './math';
import { renderMarkdown } from './render';

describe('math typesetting', () => {
  it('renders placeholders with KaTeX, once', async () => {
    const root = document.createElement('div');
    root.innerHTML = renderMarkdown('Inline $a^2+b^2=c^2$ and\n\n$$\\frac{1}{2}$$\n');
    expect(hasMath(root.innerHTML)).toBe(true);
    await typeset(root);
    expect(root.querySelectorAll('.katex')).toHaveLength(2);
    expect(root.querySelector('.math-display .katex-display')).not.toBeNull();
    const html = root.innerHTML;
    await typeset(root);
    expect(root.innerHTML).toBe(html);
  });

  it('shows bad TeX as an error in place instead of throwing', async () => {
    const root = document.createElement('div');
    root.innerHTML = renderMarkdown('$\\frac{1}{$');
    await expect(typeset(root)).resolves.toBeUndefined();
    expect(root.querySelector('[data-typeset]')).not.toBeNull();
  });

  it('keeps KaTeX away from text without math', () => {
    expect(hasMath(renderMarkdown('Plain text, `code`, and $5.'))).toBe(false);
  });
});
