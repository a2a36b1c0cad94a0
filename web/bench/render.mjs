// The UI scenario of llm-chat-bench: what the chat page costs to load and to
// stream into. Run by the harness against a running llm-chat (whose model
// server is the fake one); prints one JSON object on stdout.
//
//   node bench/render.mjs --base=http://127.0.0.1:PORT --tokens=20000
//
// - assets: the page's HTML and the JS/CSS it loads first, as served by the
//   binary, gzipped at level 9 (what a user downloads before the first paint);
// - render: a reply of `tokens` tokens streamed into the chat page in headless
//   Chromium, timed from Enter to the reply marked finished, with every
//   animation frame longer than 50 ms counted (the page felt stuck).
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../e2e/chromium.mjs';

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const base = arg('base');
const tokens = Number(arg('tokens', '20000'));
const LONG_FRAME_MS = 50;

if (!base) {
  console.error('usage: node bench/render.mjs --base=http://127.0.0.1:PORT [--tokens=20000]');
  process.exit(2);
}

async function assets() {
  const html = await (await fetch(base + '/')).text();
  const files = [...new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]))];
  const sizes = { 'index.html': { raw: Buffer.byteLength(html), gzip: gzipSync(html, { level: 9 }).length } };
  for (const file of files) {
    const body = Buffer.from(await (await fetch(`${base}/${file}`)).arrayBuffer());
    sizes[file] = { raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
  }
  const total = Object.values(sizes).reduce((sum, s) => sum + s.gzip, 0);
  return { files: sizes, gzip_bytes: total };
}

async function account() {
  const response = await fetch(base + '/api/auth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'render', password: 'bench-password' }),
  });
  const body = await response.json();
  if (!body.access_token) throw new Error(`cannot register: ${JSON.stringify(body)}`);
  return body.access_token;
}

async function render(token) {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(base + '/');
    await page.evaluate((t) => localStorage.setItem('llm-chat:token', t), token);
    await page.reload();
    await page.locator('#composer-input').waitFor({ state: 'visible', timeout: 30_000 });
    await page.evaluate(() => {
      window.__frames = [];
      let last = performance.now();
      const tick = (now) => {
        window.__frames.push(now - last);
        last = now;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.locator('#composer-input').fill(`render [[mock tokens=${tokens}]]`);
    const started = Date.now();
    await page.keyboard.press('Enter');
    await page.locator('article.assistant').last().waitFor({ state: 'visible', timeout: 60_000 });
    await page.waitForFunction(
      () => {
        const all = document.querySelectorAll('article.assistant');
        return all.length > 0 && all[all.length - 1].getAttribute('aria-busy') === 'false';
      },
      null,
      { timeout: 600_000, polling: 50 },
    );
    const ms = Date.now() - started;
    const frames = await page.evaluate(() => window.__frames);
    const text = await page.locator('article.assistant').last().innerText();
    return {
      tokens,
      render_ms: ms,
      frames: frames.length,
      long_frames: frames.filter((f) => f > LONG_FRAME_MS).length,
      longest_frame_ms: Math.round(Math.max(0, ...frames)),
      reply_chars: text.length,
    };
  } finally {
    await browser.close();
  }
}

const result = { assets: await assets(), render: await render(await account()) };
console.log(JSON.stringify(result));
