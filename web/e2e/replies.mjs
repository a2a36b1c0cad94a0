// What the fake model answers, chosen by a marker in the user's message, so
// that end-to-end tests can ask for a slow, a rich or a hostile reply.
export function replyFor(prompt) {
  if (prompt.includes('[xss]')) {
    return 'Here is some HTML:\n\n<script>window.__pwned = 1</script>\n\n<img src="x" onerror="window.__pwned = 2">\n\n[click](javascript:window.__pwned=3)\n\nDone.';
  }
  if (prompt.includes('[rich]')) {
    return [
      '## Sorting in Rust',
      '',
      'Use `sort_unstable` when the order of equal items does not matter:',
      '',
      '```rust',
      'fn main() {',
      '    let mut v = vec![3, 1, 2];',
      '    v.sort_unstable();',
      '    println!("{:?}", v); // [1, 2, 3]',
      '}',
      '```',
      '',
      '| Method | Stable | Allocates |',
      '|---|---|---|',
      '| `sort` | yes | yes |',
      '| `sort_unstable` | no | no |',
      '',
      'Its cost is $O(n \\log n)$ comparisons, and the identity',
      '',
      '$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$',
      '',
      'holds for every $n \\ge 1$.',
    ].join('\n');
  }
  if (prompt.includes('[long]')) {
    // About 20 KB of mixed Markdown, to watch rendering cost while it streams.
    return Array.from({ length: 48 }, (_, i) => [
      `### Part ${i + 1}`,
      '',
      `This paragraph ${i} explains one more idea in some detail, with **bold** words, \`inline code\` and a [link](https://example.org/${i}). `.repeat(2),
      '',
      `- point ${i}.1 with a few words`,
      `- point ${i}.2 with a few more words`,
      '',
      '```python',
      `def part_${i}(values):`,
      `    return sorted(v * ${i} for v in values if v > ${i})`,
      '```',
      '',
    ].join('\n')).join('\n');
  }
  if (prompt.includes('[zh]')) {
    return [
      '## 用 Rust 排序',
      '',
      '当相等元素的先后顺序无关紧要时，使用 `sort_unstable`，它更快且不额外分配内存：',
      '',
      '```rust',
      'fn main() {',
      '    let mut v = vec![3, 1, 2];',
      '    v.sort_unstable(); // 结果为 [1, 2, 3]',
      '}',
      '```',
      '',
      '| 方法 | 稳定 | 额外分配 |',
      '|---|---|---|',
      '| `sort` | 是 | 是 |',
      '| `sort_unstable` | 否 | 否 |',
      '',
      '两者的比较次数都是 $O(n \\log n)$，并且对任意 $n \\ge 1$ 都有',
      '',
      '$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$',
    ].join('\n');
  }
  if (prompt.includes('[slow]')) {
    return Array.from({ length: 160 }, (_, i) => `word${i}`).join(' ') + '\n\nThe end.';
  }
  return `You said: ${prompt.replace(/\[\w+\]/g, '').trim()}. This is a reply from the test model.`;
}

/** The model's visible thinking before its answer, for prompts that ask for it. */
export function reasoningFor(prompt) {
  if (!prompt.includes('[think]')) return '';
  return 'The user wants a short answer.\n\n- Read the question once more.\n- **Keep it to one sentence.**\n- 用中文也可以，但这里用英文回答。';
}

/** Whether the thinking comes inline as `<think>…</think>` (else in `reasoning_content`). */
export function thinksInTags(prompt) {
  return prompt.includes('[tags]');
}

/** Whether the fake model fails (answers HTTP 500) for this prompt. */
export function failsFor(prompt) {
  return prompt.includes('[fail]');
}

/** Delay between streamed pieces (ms). */
export function pace(prompt) {
  if (prompt.includes('[long]')) return 8;
  // Slow enough that the thinking is seen live before the answer starts.
  if (prompt.includes('[think]')) return 90;
  return prompt.includes('[slow]') ? 60 : 15;
}

/** The reply in pieces of a few characters, as a model streams it. */
export function pieces(text) {
  const size = text.length > 10_000 ? 40 : 6;
  return text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
}
