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
  if (prompt.includes('[slow]')) {
    return Array.from({ length: 160 }, (_, i) => `word${i}`).join(' ') + '\n\nThe end.';
  }
  return `You said: ${prompt.replace(/\[\w+\]/g, '').trim()}. This is a reply from the test model.`;
}

/** Delay between streamed pieces (ms). */
export function pace(prompt) {
  return prompt.includes('[slow]') ? 60 : 15;
}

/** The reply in pieces of a few characters, as a model streams it. */
export function pieces(text) {
  return text.match(/[\s\S]{1,6}/g) ?? [];
}
