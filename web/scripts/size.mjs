// Prints the gzipped size of what the chat page loads first (the entry's JS
// and CSS, plus modules it preloads) and of the chunks loaded on demand, and
// fails the build when the initial size passes the budget.
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const BUDGET_KB = 200;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = new Set(
  [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]),
);
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (bytes) => (bytes / 1024).toFixed(1);

let total = 0;
for (const file of initial) total += gz(file);
const lazy = readdirSync(join(dist, 'assets'))
  .filter((f) => /\.(js|css)$/.test(f) && !initial.has(`assets/${f}`))
  .map((f) => `${f} ${kb(gz(`assets/${f}`))} KB`);

console.log(`llm-chat web: initial JS+CSS ${kb(total)} KB gzipped (budget ${BUDGET_KB} KB; ${[...initial].join(', ')})`);
if (lazy.length) console.log(`llm-chat web: loaded on demand: ${lazy.join(', ')}`);
if (total > BUDGET_KB * 1024) {
  console.error(`llm-chat web: the initial JS+CSS is over the ${BUDGET_KB} KB budget`);
  process.exit(1);
}
