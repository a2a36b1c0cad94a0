// End-to-end tests: Debian's Chromium, driven by playwright-core, against
// the real `llm-chat` binary (a temporary data folder, a random port, and a
// fake OpenAI-compatible model server).
//
//   node e2e/run.mjs            real binary: target/debug/llm-chat, or
//                               $CARGO_TARGET_DIR/debug/llm-chat, or $LLM_CHAT_BIN
//   --grep=TEXT                 only tests whose name contains TEXT
//
// Tests marked `chat` need the chat API (conversations, messages, streams),
// those marked `needs: 'keys'` the API keys, `needs: 'usage'` the usage and
// limits API. When the server lacks it (GET /api/models, /api/keys or
// /api/usage does not answer 200) they are reported as
// "SKIPPED: chat API not present" (or "API keys") and counted as skipped;
// with E2E_REQUIRE_CHAT=1 the chat tests fail instead (CI sets it). Screenshots
// go to e2e/screenshots/.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';
import { startUpstream } from './upstream.mjs';
import { tests } from './tests.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, '..');
const repo = resolve(web, '..');
const args = process.argv.slice(2);
const grep = args.find((a) => a.startsWith('--grep='))?.slice(7);
const requireChat = process.env.E2E_REQUIRE_CHAT === '1';
const shots = join(here, 'screenshots');
mkdirSync(shots, { recursive: true });

const PASSWORD = 'correct horse battery';

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

function findBinary() {
  const candidates = [
    process.env.LLM_CHAT_BIN,
    process.env.CARGO_TARGET_DIR && join(process.env.CARGO_TARGET_DIR, 'debug', 'llm-chat'),
    join(repo, 'target', 'debug', 'llm-chat'),
    join(process.env.HOME ?? '/root', '.cache', 'llm-chat', 'target', 'debug', 'llm-chat'),
  ].filter(Boolean);
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`no llm-chat binary found (tried ${candidates.join(', ')}); run \`cargo build\` first or set LLM_CHAT_BIN`);
  return found;
}

async function waitFor(url, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

async function startServer() {
  const upstream = await startUpstream();
  const binary = findBinary();
  const dataDir = mkdtempSync(join(tmpdir(), 'llm-chat-e2e-'));
  const port = await freePort();
  const child = spawn(binary, ['serve'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH,
      HOME: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: `sqlite://${join(dataDir, 'conversation.db')}`,
      SECRET_KEY: 'e2e-secret-key-with-at-least-32-bytes!!',
      LOG_LEVEL: 'warn',
      LLM_API_URL: `http://127.0.0.1:${upstream.address().port}/v1`,
      LLM_MODEL: 'test-model',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${base}/api/health`);
  } catch (error) {
    child.kill('SIGTERM');
    throw new Error(`${error.message}\n${stderr}`);
  }
  return {
    base,
    label: binary,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      upstream.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates an account through the API and returns its token. */
async function account(base, username) {
  const res = await fetch(`${base}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (!res.ok) throw new Error(`register ${username}: ${res.status} ${await res.text()}`);
  return (await res.json()).access_token;
}

async function main() {
  const server = await startServer();
  const browser = await launchChromium();
  console.log(`e2e against ${server.label} at ${server.base}`);

  let accounts = 0;
  const ctx = {
    base: server.base,
    password: PASSWORD,
    chatAvailable: false,
    async newPage(options = {}) {
      const context = await browser.newContext({
        viewport: options.viewport ?? { width: 1280, height: 800 },
        deviceScaleFactor: options.deviceScaleFactor ?? 1,
        locale: options.locale ?? 'en-US',
        colorScheme: options.colorScheme ?? 'light',
        isMobile: options.isMobile ?? false,
        hasTouch: options.hasTouch ?? false,
        // Only the accessibility check injects a script (axe-core).
        bypassCSP: options.bypassCSP ?? false,
      });
      const page = await context.newPage();
      page.problems = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !/status of 40[14]/.test(msg.text())) page.problems.push(msg.text());
      });
      page.on('pageerror', (error) => page.problems.push(String(error)));
      page.outside = [];
      page.on('request', (req) => {
        if (!req.url().startsWith(server.base) && !req.url().startsWith('data:')) page.outside.push(req.url());
      });
      return page;
    },
    /** A new user, signed in, on the chat screen. */
    async signedIn(options = {}) {
      const name = `user${++accounts}${Date.now() % 100000}`;
      const token = await account(server.base, name);
      const page = await ctx.newPage(options);
      await page.goto(server.base + '/');
      await page.evaluate((t) => localStorage.setItem('llm-chat:token', t), token);
      await page.reload();
      await page.locator('#composer-input').waitFor();
      return { page, name, token };
    },
    async shot(page, name) {
      await page.waitForTimeout(350);
      await page.screenshot({ path: join(shots, `${name}.png`) });
    },
  };

  // Is an API there? Asked once each, with a fresh account, at the first test
  // that needs it (after the UI has registered the server's first account).
  const probes = {
    chat: { path: '/api/models', what: 'chat API' },
    keys: { path: '/api/keys', what: 'API keys' },
    usage: { path: '/api/usage', what: 'usage and limits API' },
  };
  const present = {};
  const results = { passed: 0, failed: 0, skipped: 0 };
  const selected = tests.filter((t) => !grep || t.name.includes(grep));
  for (const test of selected) {
    const need = test.chat ? 'chat' : test.needs;
    if (need && present[need] === undefined) {
      const token = await account(server.base, `probe${Date.now() % 100000}`).catch(() => null);
      present[need] = await answers(server.base, probes[need].path, token);
      if (need === 'chat') ctx.chatAvailable = present[need];
    }
    if (need && !present[need]) {
      const { path, what } = probes[need];
      if (requireChat && need === 'chat') {
        results.failed++;
        console.log(`FAIL  ${test.name}\n      ${what} not present (GET ${path} did not answer 200) and E2E_REQUIRE_CHAT=1`);
      } else {
        results.skipped++;
        console.log(`SKIP  ${test.name} — SKIPPED: ${what} not present (GET ${path} did not answer 200)`);
      }
      continue;
    }
    const started = Date.now();
    try {
      await test.run(ctx);
      results.passed++;
      console.log(`ok    ${test.name} (${Date.now() - started} ms)`);
    } catch (error) {
      results.failed++;
      console.log(`FAIL  ${test.name}\n      ${String(error?.stack ?? error).split('\n').slice(0, 6).join('\n      ')}`);
    }
  }
  await browser.close();
  await server.stop();
  if (results.skipped > 0) {
    console.log(`\n${results.skipped} test(s) did not run: this server lacks the API they need (see SKIPPED above). They run once it answers (set E2E_REQUIRE_CHAT=1 to make that a failure).`);
  }
  console.log(`\ne2e: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
  process.exit(results.failed > 0 ? 1 : 0);
}

async function answers(base, path, token) {
  if (!token) return false;
  try {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return res.status === 200;
  } catch {
    return false;
  }
}

main().catch((error) => {
  console.error(error);
  console.log('\ne2e: 0 passed, 1 failed');
  process.exit(1);
});
