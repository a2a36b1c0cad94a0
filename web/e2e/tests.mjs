// The end-to-end scenarios, in order (the first registers the server's
// first account, which becomes the administrator). `chat: true` marks those
// that need the chat API.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { transferTests } from './transfer.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Serious and critical accessibility violations on the page, as lines. */
async function axeViolations(page) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const report = await axe.run(document, { resultTypes: ['violations'] });
    return report.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return result;
}

const expectVisible = (locator, timeout = 10_000) => locator.waitFor({ state: 'visible', timeout });

async function send(page, text) {
  await page.locator('#composer-input').fill(text);
  await page.keyboard.press('Enter');
}

/** The last assistant message's text once it has finished. */
async function lastReply(page, timeout = 20_000) {
  const last = page.locator('article.assistant').last();
  await expectVisible(last);
  await page.waitForFunction(() => {
    const all = document.querySelectorAll('article.assistant');
    const node = all[all.length - 1];
    return node && node.getAttribute('aria-busy') === 'false';
  }, null, { timeout });
  return last;
}

export const tests = [
  {
    name: 'the sign-in page loads everything from this server, under its CSP, without errors',
    async run(ctx) {
      const page = await ctx.newPage();
      const response = await page.goto(ctx.base + '/');
      assert.match(response.headers()['content-security-policy'] ?? '', /default-src 'self'/);
      await expectVisible(page.getByRole('heading', { name: 'Welcome back' }));
      await ctx.shot(page, 'sign-in');
      assert.deepEqual(page.outside, [], 'requests to other hosts');
      assert.deepEqual(page.problems, [], 'console errors');
      await page.context().close();
    },
  },
  {
    name: 'registering the first account signs in as administrator and shows the sidebar and composer',
    async run(ctx) {
      const page = await ctx.newPage();
      await page.goto(ctx.base + '/');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password', { exact: true }).fill(ctx.password);
      await page.getByLabel('Repeat password').fill(ctx.password);
      await page.locator('form button[type=submit]').click();
      await expectVisible(page.locator('#composer-input'));
      await expectVisible(page.getByRole('button', { name: 'New chat' }).first());
      await expectVisible(page.getByText('Administrator'));
      await expectVisible(page.getByRole('heading', { name: 'How can I help you today?' }));
      assert.deepEqual(page.problems, []);
      ctx.admin = { page };
      await ctx.shot(page, 'new-chat-light');
    },
  },
  {
    name: 'the session survives a reload; signing out and in again works',
    async run(ctx) {
      const page = ctx.admin.page;
      await page.reload();
      await expectVisible(page.locator('#composer-input'));
      await page.getByRole('button', { name: 'Account menu' }).click();
      await page.getByRole('menuitem', { name: 'Sign out' }).click();
      await expectVisible(page.getByRole('heading', { name: 'Welcome back' }));
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill('wrong password!');
      await page.locator('form button[type=submit]').click();
      await expectVisible(page.getByRole('alert'));
      await page.getByLabel('Password').fill(ctx.password);
      await page.locator('form button[type=submit]').click();
      await expectVisible(page.locator('#composer-input'));
    },
  },
  {
    name: 'the draft survives a reload',
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await page.locator('#composer-input').fill('a draft that must not be lost');
      await page.waitForTimeout(400);
      await page.reload();
      await expectVisible(page.locator('#composer-input'));
      assert.equal(await page.locator('#composer-input').inputValue(), 'a draft that must not be lost');
      await page.context().close();
    },
  },
  {
    name: 'an ended session goes back to sign-in and keeps the draft',
    async run(ctx) {
      const { page, name, token } = await ctx.signedIn();
      await page.locator('#composer-input').fill('half-written question');
      await page.waitForTimeout(400);
      // The session ends elsewhere (signed out on another device).
      await page.evaluate((t) => fetch('/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${t}` } }), token);
      await page.getByRole('button', { name: 'Account menu' }).click();
      await page.getByRole('menuitem', { name: 'Settings' }).click();
      // The settings page may already notice (it asks for API keys); if not,
      // changing the password does.
      const notice = page.getByText('Your session has ended');
      await Promise.race([expectVisible(notice), expectVisible(page.getByLabel('Current password'))]);
      if (!(await notice.isVisible())) {
        await page.getByLabel('Current password').fill(ctx.password);
        await page.getByLabel('New password').fill('another long password');
        await page.getByLabel('Repeat password').fill('another long password');
        await page.getByRole('button', { name: 'Change password' }).click();
        await expectVisible(notice);
      }
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Password').fill(ctx.password);
      await page.locator('form button[type=submit]').click();
      // Back where the user was (settings), then to the chat with the draft.
      await page.getByRole('button', { name: 'New chat' }).first().click();
      await expectVisible(page.locator('#composer-input'));
      assert.equal(await page.locator('#composer-input').inputValue(), 'half-written question');
      await page.context().close();
    },
  },
  {
    name: 'settings switch the language to 简体中文 and the theme to dark, and both are remembered',
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await page.goto(ctx.base + '/settings');
      await expectVisible(page.getByRole('heading', { name: 'Settings' }));
      await page.getByRole('radio', { name: '简体中文' }).click();
      await expectVisible(page.getByRole('heading', { name: '设置' }));
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
      await page.getByRole('radio', { name: '深色' }).click();
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      await page.evaluate(() => document.querySelector('.scroll')?.scrollTo(0, 0));
      await ctx.shot(page, 'settings-zh-CN-dark');
      await page.reload();
      await expectVisible(page.getByRole('heading', { name: '设置' }));
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      await page.getByRole('radio', { name: 'English' }).click();
      await page.getByRole('radio', { name: 'System' }).click();
      await page.context().close();
    },
  },
  {
    name: 'the language follows the browser by default',
    async run(ctx) {
      const page = await ctx.newPage({ locale: 'zh-CN' });
      await page.goto(ctx.base + '/');
      await expectVisible(page.getByRole('heading', { name: '欢迎回来' }));
      await page.context().close();
    },
  },
  {
    name: 'on a phone the sidebar is a drawer',
    async run(ctx) {
      const { page } = await ctx.signedIn({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      const sidebar = page.locator('aside.sidebar');
      await page.waitForTimeout(300);
      assert.equal(await sidebar.evaluate((el) => el.getBoundingClientRect().right <= 0), true, 'drawer starts closed');
      await ctx.shot(page, 'phone');
      await page.getByRole('button', { name: 'Open sidebar' }).click();
      await page.waitForTimeout(350);
      assert.equal(await sidebar.evaluate((el) => el.getBoundingClientRect().left >= 0), true, 'drawer opens');
      await ctx.shot(page, 'phone-sidebar');
      await page.getByRole('button', { name: 'Close sidebar' }).first().click();
      await page.waitForTimeout(350);
      assert.equal(await sidebar.evaluate((el) => el.getBoundingClientRect().right <= 0), true, 'drawer closes');
      await page.context().close();
    },
  },
  {
    name: 'keyboard shortcuts focus the composer and the search box',
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await page.locator('body').click({ position: { x: 700, y: 300 } });
      await page.keyboard.press('Control+k');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'conversation-search');
      await page.keyboard.press('Shift+Escape');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'composer-input');
      await page.context().close();
    },
  },
  {
    name: 'sign-in, chat and settings have no serious accessibility violations (axe-core)',
    async run(ctx) {
      const problems = [];
      const check = async (page, screen) => {
        await page.waitForTimeout(300);
        for (const line of await axeViolations(page)) problems.push(`${screen}: ${line}`);
      };
      const anonymous = await ctx.newPage({ bypassCSP: true });
      await anonymous.goto(ctx.base + '/');
      await expectVisible(anonymous.getByRole('heading', { name: 'Welcome back' }));
      await check(anonymous, 'sign-in');
      await anonymous.context().close();
      for (const theme of ['light', 'dark']) {
        const { page } = await ctx.signedIn({ bypassCSP: true, colorScheme: theme });
        await check(page, `new chat (${theme})`);
        await page.goto(ctx.base + '/settings');
        await expectVisible(page.getByRole('heading', { name: 'Settings' }));
        await check(page, `settings (${theme})`);
        await page.context().close();
      }
      assert.deepEqual(problems, []);
    },
  },
  {
    name: 'an API key is shown once, can be copied, and can be revoked',
    needs: 'keys',
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await page.goto(ctx.base + '/settings');
      await expectVisible(page.getByRole('heading', { name: 'API keys' }));
      await page.getByLabel('Key name').fill('my script');
      await page.getByRole('button', { name: 'Create key' }).click();
      await expectVisible(page.getByText('It will not be shown again'));
      const secret = await page.locator('.secret code').innerText();
      assert.ok(secret.length > 10);
      await page.evaluate(() => {
        Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
        window.__copied = [];
        document.addEventListener('copy', (e) => window.__copied.push(String(e.target?.value ?? '')));
      });
      await page.locator('.secret').getByRole('button', { name: 'Copy' }).click();
      await page.waitForFunction(() => window.__copied.length > 0);
      assert.equal(await page.evaluate(() => window.__copied[0]), secret);
      await ctx.shot(page, 'settings-api-keys');
      await page.reload();
      await expectVisible(page.getByText('my script'));
      assert.equal(await page.getByText(secret).count(), 0, 'the secret is not shown again');
      await page.getByRole('button', { name: 'Revoke' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
      await expectVisible(page.getByText('No keys yet.'));
      await page.context().close();
    },
  },
  {
    name: 'the administrator can close and reopen registration',
    async run(ctx) {
      const page = ctx.admin.page;
      await page.goto(ctx.base + '/admin');
      await page.getByRole('tab', { name: 'Settings' }).click();
      const toggle = page.getByRole('switch', { name: /Open registration/ });
      await expectVisible(toggle);
      await ctx.shot(page, 'admin');
      assert.equal(await toggle.isChecked(), true);
      await toggle.click();
      await page.waitForFunction(async () => {
        const res = await fetch('/api/admin/settings', { headers: { authorization: `Bearer ${localStorage.getItem('llm-chat:token')}` } });
        return (await res.json()).registration_open === false;
      });
      // A visitor can no longer register: the page hides the way (when the
      // server publishes its settings at /api/config) or shows the refusal.
      const visitor = await ctx.newPage();
      await visitor.goto(ctx.base + '/');
      await expectVisible(visitor.getByRole('heading', { name: 'Welcome back' }));
      const published = (await fetch(`${ctx.base}/api/config`)).ok;
      if (published) {
        await visitor.waitForTimeout(300);
        assert.equal(await visitor.getByRole('button', { name: 'Create account' }).count(), 0);
      } else {
        await visitor.getByRole('button', { name: 'Create account' }).click();
        await visitor.getByLabel('Username').fill('latecomer');
        await visitor.getByLabel('Password', { exact: true }).fill(ctx.password);
        await visitor.getByLabel('Repeat password').fill(ctx.password);
        await visitor.locator('form button[type=submit]').click();
        await expectVisible(visitor.getByRole('alert'));
        assert.match(await visitor.getByRole('alert').innerText(), /regist/i);
      }
      await visitor.context().close();
      await toggle.click();
      await page.waitForFunction(async () => {
        const res = await fetch('/api/admin/settings', { headers: { authorization: `Bearer ${localStorage.getItem('llm-chat:token')}` } });
        return (await res.json()).registration_open === true;
      });
    },
  },
  {
    name: 'the administrator creates, disables, resets and deletes an account from the console',
    async run(ctx) {
      const page = ctx.admin.page;
      await page.goto(ctx.base + '/admin');
      await expectVisible(page.getByRole('tab', { name: 'Users', selected: true }));
      await page.getByRole('button', { name: 'New user' }).click();
      const create = page.getByRole('dialog');
      await create.getByLabel('Username').fill('console-made');
      await create.getByLabel('Password').fill(ctx.password);
      await create.getByRole('button', { name: 'Create user' }).click();
      const row = page.locator('tr[data-user="console-made"]');
      await expectVisible(row);
      await ctx.shot(page, 'admin-users');

      const login = (password) =>
        fetch(`${ctx.base}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'console-made', password }),
        }).then((r) => r.status);
      assert.equal(await login(ctx.password), 200);

      await row.getByRole('button', { name: 'Disable' }).click();
      await expectVisible(row.getByText('Disabled'));
      assert.equal(await login(ctx.password), 403, 'a disabled account cannot sign in');
      await row.getByRole('button', { name: 'Enable' }).click();
      await expectVisible(row.getByText('Active'));

      await row.getByRole('button', { name: 'Reset password' }).click();
      await page.getByRole('dialog').getByLabel('New password').fill('a fresh password');
      await page.getByRole('dialog').getByRole('button', { name: 'Reset password' }).click();
      await expectVisible(page.getByText(/Password set/));
      assert.equal(await login('a fresh password'), 200);

      // The admin can't demote themself while they are the only admin.
      const own = page.locator('tr', { hasText: '(you)' });
      await own.getByLabel('Role').selectOption('user');
      await expectVisible(page.getByText(/last enabled administrator/));
      assert.equal(await own.getByLabel('Role').inputValue(), 'admin');

      await row.getByRole('button', { name: 'Delete' }).click();
      const dialog = page.getByRole('dialog');
      const confirm = dialog.getByRole('button', { name: 'Delete' });
      assert.equal(await confirm.isDisabled(), true, 'deleting waits for the typed username');
      await dialog.getByLabel('Username to confirm').fill('console-made');
      await confirm.click();
      await row.waitFor({ state: 'detached' });
      assert.equal(await login('a fresh password'), 401, 'the account is gone');

      await page.getByRole('searchbox', { name: 'Search users' }).fill('adm');
      await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    },
  },
  {
    name: 'the administrator sets the sign-in message and the models users may pick; the providers can be tested',
    async run(ctx) {
      const page = ctx.admin.page;
      await page.goto(ctx.base + '/admin');
      await page.getByRole('tab', { name: 'Settings' }).click();
      const notice = '周六 22:00 维护 / Maintenance on Saturday';
      await page.getByRole('textbox', { name: 'Message on the sign-in page' }).fill(notice);
      await page.locator('section', { hasText: 'Message on the sign-in page' }).getByRole('button', { name: 'Save' }).click();
      await page.waitForFunction(async () => (await (await fetch('/api/config')).json()).signin_message !== null);
      const visitor = await ctx.newPage();
      await visitor.goto(ctx.base + '/');
      await expectVisible(visitor.getByRole('complementary', { name: 'Notice' }).getByText(notice));
      await ctx.shot(visitor, 'sign-in-message');
      await visitor.context().close();

      const models = page.locator('section', { hasText: 'Models users may pick' });
      await models.getByRole('checkbox', { name: 'test-model' }).check();
      await models.getByLabel('Default model').selectOption('test-model');
      await models.getByRole('button', { name: 'Save' }).click();
      const settings = async () =>
        page.evaluate(async () => {
          const res = await fetch('/api/admin/settings', { headers: { authorization: `Bearer ${localStorage.getItem('llm-chat:token')}` } });
          return res.json();
        });
      await page.waitForFunction(async () => {
        const res = await fetch('/api/admin/settings', { headers: { authorization: `Bearer ${localStorage.getItem('llm-chat:token')}` } });
        return (await res.json()).default_model === 'test-model';
      });
      assert.deepEqual((await settings()).allowed_models, ['test-model']);
      await ctx.shot(page, 'admin-settings');

      await page.getByRole('textbox', { name: 'Message on the sign-in page' }).fill('');
      await page.locator('section', { hasText: 'Message on the sign-in page' }).getByRole('button', { name: 'Save' }).click();
      await models.getByRole('checkbox', { name: 'test-model' }).uncheck();
      await models.getByLabel('Default model').selectOption('');
      await models.getByRole('button', { name: 'Save' }).click();
      await page.waitForFunction(async () => {
        const res = await fetch('/api/admin/settings', { headers: { authorization: `Bearer ${localStorage.getItem('llm-chat:token')}` } });
        const body = await res.json();
        return body.allowed_models.length === 0 && body.signin_message === null;
      });

      await page.getByRole('tab', { name: 'Providers' }).click();
      const provider = page.getByRole('article', { name: 'default' });
      await expectVisible(provider.getByText('test-model'));
      await provider.getByRole('button', { name: 'Test' }).click();
      await expectVisible(provider.getByRole('status').getByText(/Answered in \d+ ms with 1 models/));
      await ctx.shot(page, 'admin-providers');
    },
  },
  {
    name: 'a user sees their own usage, and the administrator sees everyone’s and edits limits',
    needs: 'usage',
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await page.goto(ctx.base + '/settings');
      await expectVisible(page.getByRole('heading', { name: 'My usage' }));
      await expectVisible(page.getByText('Prompt tokens').first());
      await page.context().close();

      const admin = ctx.admin.page;
      await admin.goto(ctx.base + '/admin');
      await admin.getByRole('tab', { name: 'Usage' }).click();
      await expectVisible(admin.getByRole('combobox', { name: 'User' }));
      await expectVisible(admin.getByText('Requests').first());
      await ctx.shot(admin, 'admin-usage');

      await admin.getByRole('tab', { name: 'Users' }).click();
      const own = admin.locator('tr', { hasText: '(you)' });
      await own.getByRole('button', { name: 'Limits' }).click();
      const dialog = admin.getByRole('dialog');
      await dialog.getByLabel('Tokens per day').fill('50000');
      await dialog.getByLabel('Requests per minute').fill('');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expectVisible(admin.getByText('Limits saved.'));
      const limits = await admin.evaluate(async () => {
        const me = await (await fetch('/api/auth/me', { headers: { authorization: `Bearer ${localStorage.getItem('llm-chat:token')}` } })).json();
        const res = await fetch(`/api/admin/users/${me.id}/limits`, { headers: { authorization: `Bearer ${localStorage.getItem('llm-chat:token')}` } });
        return res.json();
      });
      assert.deepEqual(limits, { daily_token_quota: 50000, requests_per_minute: null });
      await admin.evaluate(async () => {
        const headers = { authorization: `Bearer ${localStorage.getItem('llm-chat:token')}`, 'content-type': 'application/json' };
        const me = await (await fetch('/api/auth/me', { headers })).json();
        await fetch(`/api/admin/users/${me.id}/limits`, { method: 'PUT', headers, body: JSON.stringify({ daily_token_quota: null, requests_per_minute: null }) });
      });
    },
  },
  {
    name: 'the server gives the app for page addresses, caches hashed assets, and keeps JSON 404s for the API',
    async run(ctx) {
      const html = await fetch(`${ctx.base}/c/some-conversation`, { headers: { accept: 'text/html' } });
      assert.equal(html.status, 200);
      assert.equal(html.headers.get('cache-control'), 'no-cache');
      const body = await html.text();
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(body)?.[1];
      assert.ok(asset, 'index.html names its script');
      const js = await fetch(ctx.base + asset);
      assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.match(js.headers.get('content-type') ?? '', /javascript/);
      const api = await fetch(`${ctx.base}/api/nothing-here`, { headers: { accept: 'text/html' } });
      assert.equal(api.status, 404);
      assert.equal((await api.json()).error.code, 'not_found');
      const missing = await fetch(`${ctx.base}/assets/missing.js`);
      assert.equal(missing.status, 404);
    },
  },

  // ---- these need the chat API --------------------------------------------
  {
    name: 'sending a message streams the reply live and lists the conversation',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      ctx.chatPage = page;
      const requests = [];
      page.on('request', (req) => requests.push(`${req.method()} ${new URL(req.url()).pathname}`));
      await send(page, 'hello there');
      await expectVisible(page.locator('article.user .bubble', { hasText: 'hello there' }));
      await page.waitForURL(/\/c\//);
      const reply = await lastReply(page);
      // The reply came over the stream of the POST, not by re-attaching.
      assert.ok(!requests.some((r) => r.includes('/events')), `no resume needed: ${requests.join(', ')}`);
      assert.match(await reply.innerText(), /You said: hello there/);
      assert.equal(await page.locator('#composer-input').inputValue(), '');
      await expectVisible(page.locator('aside.sidebar li a', { hasText: 'hello there' }));
      assert.match(page.url(), /\/c\//);
    },
  },
  {
    name: 'stop ends a reply early and keeps what arrived',
    chat: true,
    async run(ctx) {
      const page = ctx.chatPage;
      await send(page, '[slow] count for me');
      await page.waitForFunction(() => (document.querySelector('article.assistant:last-of-type .markdown')?.textContent ?? '').includes('word5'));
      await page.getByRole('button', { name: 'Stop generating' }).click();
      const reply = await lastReply(page);
      const text = await reply.innerText();
      assert.ok(!text.includes('The end.'), 'reply was stopped before its end');
      await expectVisible(reply.getByText('Stopped'));
    },
  },
  {
    name: 'regenerate adds a version; the switcher moves between versions',
    chat: true,
    async run(ctx) {
      const page = ctx.chatPage;
      const before = await page.locator('article.assistant').count();
      await page.locator('article.assistant').last().hover();
      await page.locator('article.assistant').last().getByRole('button', { name: 'Regenerate' }).click();
      await expectVisible(page.locator('article.assistant[aria-busy="true"]'));
      await lastReply(page, 30_000);
      assert.equal(await page.locator('article.assistant').count(), before);
      const switcher = page.locator('article.assistant').last().locator('.branches');
      await expectVisible(switcher.getByText('2/2'));
      await switcher.getByRole('button', { name: 'Previous version' }).click();
      await expectVisible(switcher.getByText('1/2'));
      await expectVisible(page.locator('article.assistant').last().getByText('Stopped'));
    },
  },
  {
    name: 'editing a question sends it as a new branch beside the old one',
    chat: true,
    async run(ctx) {
      const page = ctx.chatPage;
      const first = page.locator('article.user').first();
      await first.hover();
      await first.getByRole('button', { name: 'Edit' }).click();
      await page.locator('article.user textarea').fill('hello again');
      await page.locator('article.user').getByRole('button', { name: 'Send', exact: true }).click();
      const reply = await lastReply(page);
      assert.match(await reply.innerText(), /You said: hello again/);
      const switcher = page.locator('article.user').first().locator('.branches');
      await expectVisible(switcher.getByText('2/2'));
      await switcher.getByRole('button', { name: 'Previous version' }).click();
      await expectVisible(page.locator('article.user .bubble', { hasText: 'hello there' }));
      await expectVisible(page.locator('article.user .bubble', { hasText: '[slow] count for me' }));
      // The chosen branch is remembered by the server.
      await page.waitForTimeout(300);
      await page.reload();
      await expectVisible(page.locator('article.user .bubble', { hasText: '[slow] count for me' }));
    },
  },
  {
    name: 'a reply with <script> and <img onerror> renders inert',
    chat: true,
    async run(ctx) {
      const page = ctx.chatPage;
      await page.getByRole('button', { name: 'New chat' }).first().click();
      await send(page, '[xss] show me html');
      const reply = await lastReply(page);
      await page.waitForTimeout(300);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      assert.equal(await reply.locator('script').count(), 0);
      const img = reply.locator('img');
      if (await img.count()) assert.equal(await img.first().getAttribute('onerror'), null);
      const link = reply.locator('a', { hasText: 'click' });
      if (await link.count()) assert.ok(!(await link.getAttribute('href') ?? '').startsWith('javascript'));
      assert.deepEqual(page.problems.filter((p) => !/Content Security Policy|Failed to load resource/.test(p)), []);
    },
  },
  {
    name: 'rich replies: highlighted code with a working copy button, tables, and math loaded on demand',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      const requested = [];
      page.on('request', (req) => requested.push(req.url()));
      await send(page, 'hello');
      await lastReply(page);
      assert.ok(!requested.some((u) => /katex/i.test(u)), 'KaTeX is not loaded without math');
      await send(page, '[rich] how do I sort in Rust?');
      const reply = await lastReply(page);
      await expectVisible(reply.locator('code.language-rust .hljs-keyword').first());
      await expectVisible(reply.locator('table'));
      await expectVisible(reply.locator('.katex').first());
      assert.ok(requested.some((u) => /katex.*\.js/.test(u)), 'KaTeX loads for math');
      assert.ok(requested.some((u) => /KaTeX_.*\.woff2/.test(u)), 'KaTeX fonts come from this server');
      // Copy works without navigator.clipboard (plain-HTTP LAN addresses have none).
      await page.evaluate(() => {
        Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
        window.__copied = [];
        document.addEventListener('copy', (e) => window.__copied.push(String(e.target?.value ?? document.getSelection())));
      });
      await reply.locator('button[data-copy-code]').first().click();
      await page.waitForFunction(() => window.__copied.length > 0);
      assert.match(await page.evaluate(() => window.__copied[0]), /sort_unstable/);
      await page.mouse.move(10, 10);
      await ctx.shot(page, 'chat-light');
      await page.evaluate(() => {
        localStorage.setItem('llm-chat:theme', 'dark');
      });
      await page.reload();
      await lastReply(page);
      await expectVisible(page.locator('.katex').first());
      await ctx.shot(page, 'chat-dark');
      await page.evaluate(() => {
        localStorage.setItem('llm-chat:theme', 'light');
        localStorage.setItem('llm-chat:locale', 'zh-CN');
      });
      await page.reload();
      await lastReply(page);
      await send(page, '[zh] 用 Rust 怎么排序？');
      await expectVisible(page.locator('article.assistant[aria-busy="true"]'));
      const zh = await lastReply(page);
      await expectVisible(zh.locator('.katex').first());
      await page.mouse.move(10, 10);
      await ctx.shot(page, 'chat-zh-CN');
      await page.evaluate(() => localStorage.setItem('llm-chat:locale', 'en'));
      ctx.richUrl = page.url();
      ctx.richToken = await page.evaluate(() => localStorage.getItem('llm-chat:token'));
      await page.context().close();
    },
  },
  {
    name: 'a conversation with code, a table and math has no serious accessibility violations (axe-core)',
    chat: true,
    async run(ctx) {
      const problems = [];
      for (const theme of ['light', 'dark']) {
        const { page } = await ctx.signedIn({ bypassCSP: true, colorScheme: theme });
        await send(page, '[rich] how do I sort in Rust?');
        const reply = await lastReply(page);
        await expectVisible(reply.locator('.katex').first());
        for (const line of await axeViolations(page)) problems.push(`${theme}: ${line}`);
        await page.context().close();
      }
      assert.deepEqual(problems, []);
    },
  },
  {
    name: 'a phone shows the conversation and its composer',
    chat: true,
    async run(ctx) {
      const page = await ctx.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      await page.goto(ctx.base + '/');
      await page.evaluate((t) => {
        localStorage.setItem('llm-chat:token', t);
        localStorage.setItem('llm-chat:locale', 'en');
      }, ctx.richToken);
      await page.goto(ctx.richUrl);
      await lastReply(page);
      await expectVisible(page.locator('.katex').first());
      await ctx.shot(page, 'phone-chat');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      assert.equal(overflow, false, 'no sideways scrolling of the page');
      await page.getByRole('button', { name: 'Conversation settings' }).click();
      await expectVisible(page.getByLabel('System prompt'));
      await ctx.shot(page, 'phone-conversation-settings');
      await page.getByRole('button', { name: 'Close', exact: true }).last().click();
      await page.context().close();
    },
  },
  {
    name: 'Esc stops a reply and Ctrl+Shift+O starts a new chat',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await send(page, '[slow] go on');
      await page.waitForFunction(() => (document.querySelector('article.assistant .markdown')?.textContent ?? '').includes('word2'));
      await page.keyboard.press('Escape');
      const reply = await lastReply(page);
      await expectVisible(reply.getByText('Stopped'));
      await page.keyboard.press('Control+Shift+O');
      await page.waitForURL((url) => url.pathname === '/');
      await expectVisible(page.getByRole('heading', { name: 'How can I help you today?' }));
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'composer-input');
      await page.context().close();
    },
  },
  {
    name: 'reloading mid-stream attaches to the running reply, which finishes',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await send(page, '[slow] keep going');
      await page.waitForFunction(() => (document.querySelector('article.assistant .markdown')?.textContent ?? '').includes('word3'));
      await page.reload();
      await expectVisible(page.locator('article.assistant'));
      await page.waitForFunction(
        () => (document.querySelector('article.assistant .markdown')?.textContent ?? '').includes('The end.'),
        null,
        { timeout: 30_000 },
      );
      const text = await page.locator('article.assistant .markdown').innerText();
      assert.equal((text.match(/word0 /g) ?? []).length, 1, 'no text repeated after resuming');
    },
  },
  {
    name: 'an error from the model shows in the message with a retry button',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await send(page, '[fail] please');
      const reply = await lastReply(page);
      await expectVisible(reply.getByText('The model could not answer'));
      await reply.getByRole('button', { name: 'Retry' }).click();
      await expectVisible(page.locator('article.assistant[aria-busy="true"]'));
      const again = await lastReply(page);
      await expectVisible(again.locator('.branches').getByText('2/2'));
      await expectVisible(again.getByText('The model could not answer'));
      await page.context().close();
    },
  },
  {
    name: 'a reasoning model shows its thinking live, then folded above the answer, and copy leaves it out',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await send(page, '[think] hi');
      const live = page.locator('article.assistant').last();
      const thinking = live.getByRole('button', { name: 'Thinking…' });
      await expectVisible(thinking);
      assert.equal(await thinking.getAttribute('aria-expanded'), 'true', 'the thinking is open while the model thinks');
      await expectVisible(live.locator('.reasoning .markdown li').first());
      await ctx.shot(page, 'reasoning-live');

      const reply = await lastReply(page);
      assert.match(await reply.locator('.body > .markdown').innerText(), /You said: hi/);
      const folded = reply.getByRole('button', { name: /^Thought for \d+ s$/ });
      await expectVisible(folded);
      assert.equal(await folded.getAttribute('aria-expanded'), 'false', 'the thinking folds once the answer starts');
      assert.equal(await reply.getByText('Keep it to one sentence.').count(), 0);
      await folded.click();
      await expectVisible(reply.locator('.reasoning strong', { hasText: 'Keep it to one sentence.' }));
      await page.mouse.move(10, 10);
      await ctx.shot(page, 'reasoning');

      await page.evaluate(() => {
        Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
        window.__copied = [];
        document.addEventListener('copy', (e) => window.__copied.push(String(e.target?.value ?? document.getSelection())));
      });
      await reply.hover();
      await reply.getByRole('button', { name: 'Copy message' }).click();
      await page.waitForFunction(() => window.__copied.length > 0);
      const copied = await page.evaluate(() => window.__copied[0]);
      assert.match(copied, /You said: hi/);
      assert.doesNotMatch(copied, /one sentence/, 'copying the message leaves the thinking out');
      await reply.getByRole('button', { name: 'Copy the thinking' }).click();
      await page.waitForFunction(() => window.__copied.length > 1);
      assert.match(await page.evaluate(() => window.__copied[1]), /Keep it to one sentence/);

      // Inline think tags read the same, and stay folded after a reload.
      await send(page, '[think][tags] again');
      const tagged = await lastReply(page);
      await expectVisible(tagged.getByRole('button', { name: /^Thought for \d+ s$/ }));
      assert.doesNotMatch(await tagged.innerText(), /think>/);
      await page.reload();
      const reloaded = await lastReply(page);
      await expectVisible(reloaded.getByRole('button', { name: /^Thought for \d+ s$/ }));
      assert.match(await reloaded.locator('.body > .markdown').innerText(), /You said: again/);
      assert.deepEqual(page.problems, []);
      await page.context().close();
    },
  },
  {
    name: 'the sidebar loads more conversations as it scrolls',
    chat: true,
    async run(ctx) {
      const { page, token } = await ctx.signedIn();
      await page.evaluate(async (t) => {
        for (let i = 1; i <= 45; i++) {
          await fetch('/api/conversations', {
            method: 'POST',
            headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
            body: JSON.stringify({ title: `Topic ${i}` }),
          });
        }
      }, token);
      await page.reload();
      await expectVisible(page.locator('aside.sidebar li:not(.hit-item)').first());
      const first = await page.locator('aside.sidebar li:not(.hit-item)').count();
      assert.ok(first < 45, `the first page is not everything (${first})`);
      for (let i = 0; i < 10 && (await page.locator('aside.sidebar li:not(.hit-item)').count()) < 45; i++) {
        await page.locator('aside.sidebar nav').evaluate((el) => el.scrollTo(0, el.scrollHeight));
        await page.waitForTimeout(300);
      }
      assert.equal(await page.locator('aside.sidebar li:not(.hit-item)').count(), 45);
      await expectVisible(page.locator('aside.sidebar a[title="Topic 1"]'));
      await page.context().close();
    },
  },
  {
    name: 'a long reply streams without long main-thread stalls',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await page.evaluate(() => {
        window.__tasks = [];
        window.__frames = [];
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) window.__tasks.push(entry.duration);
        }).observe({ type: 'longtask', buffered: false });
        let last = performance.now();
        const loop = (now) => {
          window.__frames.push(now - last);
          last = now;
          if (!window.__stopFrames) requestAnimationFrame(loop);
        };
        requestAnimationFrame(loop);
      });
      await send(page, '[long] write a lot');
      await expectVisible(page.locator('article.assistant[aria-busy="true"]'));
      const reply = await lastReply(page, 60_000);
      const stats = await page.evaluate(() => {
        window.__stopFrames = true;
        const sorted = (list) => [...list].sort((a, b) => a - b);
        const pick = (list, q) => list[Math.min(list.length - 1, Math.floor(q * list.length))] ?? 0;
        const frames = sorted(window.__frames.slice(5));
        const renders = sorted(performance.getEntriesByName('llm-chat:markdown').map((e) => e.duration));
        return {
          p50: pick(frames, 0.5), p95: pick(frames, 0.95), max: frames.at(-1) ?? 0,
          tasks: window.__tasks.length, worstTask: Math.max(0, ...window.__tasks),
          renders: renders.length, render50: pick(renders, 0.5), render95: pick(renders, 0.95), renderMax: renders.at(-1) ?? 0,
        };
      });
      const size = (await reply.locator('.markdown').innerText()).length;
      console.log(`      ${size} characters streamed in ${stats.renders} renders: Markdown render p50 ${stats.render50.toFixed(2)} ms, p95 ${stats.render95.toFixed(2)} ms, max ${stats.renderMax.toFixed(2)} ms`);
      console.log(`      frame interval p50 ${stats.p50.toFixed(1)} ms, p95 ${stats.p95.toFixed(1)} ms, max ${stats.max.toFixed(1)} ms; ${stats.tasks} long tasks, worst ${stats.worstTask.toFixed(0)} ms`);
      assert.ok(size > 15_000, 'the whole reply arrived');
      // Loose bounds: this runs on small shared machines.
      assert.ok(stats.worstTask < 250, `no main-thread task over 250 ms (worst ${stats.worstTask} ms)`);
      assert.ok(stats.p95 < 100, `95% of frames within 100 ms (p95 ${stats.p95} ms)`);
      await page.context().close();
    },
  },
  {
    name: 'conversations can be renamed, pinned, searched, archived and deleted',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      for (const text of ['first topic', 'second topic', 'third topic']) {
        await page.getByRole('button', { name: 'New chat' }).first().click();
        await send(page, text);
        await lastReply(page);
      }
      const item = (title) => page.locator('aside.sidebar li:not(.hit-item)', { hasText: title });
      await expectVisible(item('first topic'));
      await item('first topic').hover();
      await item('first topic').getByRole('button', { name: /Options/ }).click();
      await page.getByRole('menuitem', { name: 'Rename' }).click();
      await page.locator('aside.sidebar input.rename').fill('Renamed topic');
      await page.keyboard.press('Enter');
      await expectVisible(item('Renamed topic'));
      await item('Renamed topic').hover();
      await item('Renamed topic').getByRole('button', { name: /Options/ }).click();
      await page.getByRole('menuitem', { name: 'Pin' }).click();
      await expectVisible(page.locator('aside.sidebar section', { hasText: 'Pinned' }).getByText('Renamed topic'));
      await page.locator('#conversation-search').fill('second');
      await page.waitForFunction(() => document.querySelectorAll('aside.sidebar li:not(.hit-item)').length === 1);
      await expectVisible(item('second topic'));
      await page.locator('#conversation-search').fill('');
      await page.waitForFunction(() => document.querySelectorAll('aside.sidebar li:not(.hit-item)').length === 3);
      await item('third topic').hover();
      await item('third topic').getByRole('button', { name: /Options/ }).click();
      await page.getByRole('menuitem', { name: 'Archive' }).click();
      await page.waitForFunction(() => document.querySelectorAll('aside.sidebar li:not(.hit-item)').length === 2);
      await item('second topic').hover();
      await item('second topic').getByRole('button', { name: /Options/ }).click();
      await page.getByRole('menuitem', { name: 'Delete' }).click();
      await expectVisible(page.getByRole('heading', { name: 'Delete this conversation?' }));
      await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await page.waitForFunction(() => document.querySelectorAll('aside.sidebar li:not(.hit-item)').length === 1);
      await page.getByRole('button', { name: 'Show archived' }).click();
      await expectVisible(item('third topic'));
      await page.context().close();
    },
  },
  {
    name: 'a share link opens without signing in, renders the replies sanitised and read-only, and stops after revoking',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await send(page, '[rich] explain sorting');
      await lastReply(page);
      await send(page, '[xss] show me html');
      await lastReply(page);
      const item = page.locator('aside.sidebar li.item.active');
      await item.hover();
      await item.getByRole('button', { name: /Options/ }).click();
      await page.getByRole('menuitem', { name: 'Rename' }).click();
      await page.locator('aside.sidebar input.rename').fill('Sorting, shared');
      await page.keyboard.press('Enter');
      await expectVisible(page.locator('aside.sidebar li.item.active', { hasText: 'Sorting, shared' }));
      await item.hover();
      await item.getByRole('button', { name: /Options/ }).click();
      await page.getByRole('menuitem', { name: 'Share' }).click();
      const dialog = page.getByRole('dialog', { name: 'Share “Sorting, shared”' });
      await expectVisible(dialog);
      await dialog.getByRole('radio', { name: '7 days' }).click();
      await dialog.getByRole('button', { name: 'Create link' }).click();
      const field = dialog.getByRole('textbox', { name: 'Copy link' });
      await expectVisible(field);
      const url = await field.inputValue();
      assert.match(url, /^http:\/\/[^/]+\/s\/[A-Za-z0-9_-]{32}$/);
      await expectVisible(dialog.locator('li[data-state=active]', { hasText: 'expires' }));
      await ctx.shot(page, 'share-dialog');

      // Someone with the link and no account, in a browser of their own.
      const visitor = await ctx.newPage();
      const response = await visitor.goto(url);
      assert.equal(response.headers()['x-robots-tag'], 'noindex');
      await expectVisible(visitor.getByRole('heading', { name: 'Sorting, shared', level: 1 }));
      await expectVisible(visitor.getByRole('heading', { name: 'Sorting in Rust' }));
      await expectVisible(visitor.locator('.markdown table'));
      await expectVisible(visitor.locator('section.user .bubble', { hasText: '[xss] show me html' }));
      await expectVisible(visitor.getByText('Shared with llm-chat'));
      const replies = visitor.locator('section.assistant');
      assert.equal(await replies.count(), 2);
      await visitor.waitForTimeout(300);
      assert.equal(await visitor.evaluate(() => window.__pwned), undefined);
      assert.equal(await replies.locator('script').count(), 0);
      const img = replies.last().locator('img');
      if (await img.count()) assert.equal(await img.first().getAttribute('onerror'), null);
      assert.equal(await visitor.locator('#composer-input').count(), 0, 'read-only');
      assert.equal(await visitor.locator('aside.sidebar').count(), 0, 'no sidebar');
      assert.equal(await visitor.evaluate(() => localStorage.getItem('llm-chat:token')), null, 'not signed in');
      assert.deepEqual(visitor.outside, []);
      assert.deepEqual(visitor.problems.filter((p) => !/Content Security Policy|Failed to load resource/.test(p)), []);
      await ctx.shot(visitor, 'shared');

      // The owner revokes it; the link now shows the not-found page.
      await dialog.locator('li[data-state=active]').getByRole('button', { name: 'Revoke' }).click();
      const confirm = page.getByRole('dialog', { name: 'Revoke this link?' });
      await confirm.getByRole('button', { name: 'Revoke' }).click();
      await expectVisible(dialog.locator('li[data-state=revoked]'));
      await dialog.getByRole('button', { name: 'Close' }).click();
      await visitor.reload();
      await expectVisible(visitor.getByRole('heading', { name: 'This link does not work' }));
      assert.equal(await visitor.locator('section.assistant').count(), 0);
      await ctx.shot(visitor, 'shared-not-found');
      await visitor.context().close();

      // Settings lists it among the user's links, revoked.
      await page.getByRole('button', { name: 'Account menu' }).click();
      await page.getByRole('menuitem', { name: 'Settings' }).click();
      const links = page.locator('section', { has: page.getByRole('heading', { name: 'Shared links' }) });
      await expectVisible(links.locator('li[data-state=revoked]', { hasText: 'Sorting, shared' }));
      await page.context().close();
    },
  },
  {
    name: 'after signing out, the next account sees nothing of the last one, drafts included',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await send(page, 'private matter');
      await lastReply(page);
      await page.locator('#composer-input').fill('private draft');
      await page.waitForTimeout(400);
      const other = `other${Date.now() % 100000}`;
      await fetch(`${ctx.base}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: other, password: ctx.password }),
      });
      await page.getByRole('button', { name: 'Account menu' }).click();
      await page.getByRole('menuitem', { name: 'Sign out' }).click();
      await page.getByLabel('Username').fill(other);
      await page.getByLabel('Password').fill(ctx.password);
      await page.locator('form button[type=submit]').click();
      await expectVisible(page.locator('#composer-input'));
      await page.waitForTimeout(500);
      assert.equal(await page.getByText('private matter').count(), 0);
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal(await page.locator('#composer-input').inputValue(), '');
      await page.context().close();
    },
  },
  {
    name: 'the model picker lists the server models and the conversation settings save',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      const picker = page.getByLabel('Model');
      await page.waitForFunction(() => document.querySelectorAll('header select option').length > 0 && !document.querySelector('header select')?.disabled);
      const options = await picker.locator('option').allInnerTexts();
      assert.ok(options.length >= 1, 'models are listed');
      await page.getByRole('button', { name: 'Conversation settings' }).click();
      await page.getByLabel('System prompt').fill('Answer briefly.');
      await page.getByRole('button', { name: 'Save' }).click();
      await send(page, 'hi');
      await lastReply(page);
      const id = page.url().split('/c/')[1];
      const saved = await page.evaluate(async (cid) => {
        const res = await fetch(`/api/conversations/${cid}`, { headers: { authorization: `Bearer ${localStorage.getItem('llm-chat:token')}` } });
        return (await res.json()).conversation.system_prompt;
      }, id);
      assert.equal(saved, 'Answer briefly.');
      await page.context().close();
    },
  },
  {
    name: 'the sidebar search finds words inside messages, in Chinese too, marks them as text, and opens the conversation at the message',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await send(page, '明天的天气预报怎么样 umbrella');
      await lastReply(page);
      await page.waitForURL(/\/c\//);
      const weather = page.url().split('/c/')[1];
      await page.getByRole('button', { name: 'New chat' }).first().click();
      await send(page, '<img src=x onerror="window.__pwned=9"> 注入测试');
      await lastReply(page);
      await page.waitForURL(/\/c\//);

      await page.locator('#conversation-search').fill('天气预报 UMBRELLA');
      const hit = page.locator('a.hit', { hasText: 'You said' }).first();
      await expectVisible(hit);
      assert.deepEqual(await hit.locator('mark').allInnerTexts(), ['天气预报', 'umbrella']);
      await ctx.shot(page, 'search-hits');
      await hit.click();
      await page.waitForURL((url) => url.pathname === `/c/${weather}`);
      await expectVisible(page.locator('article.assistant', { hasText: 'You said: 明天的天气预报' }));

      await page.locator('#conversation-search').fill('注入测试');
      // The markup in the reply shows as text: no image element, no script run.
      const hostile = page.locator('a.hit', { hasText: 'You said: <img src=x onerror=' }).first();
      await expectVisible(hostile);
      assert.ok((await hostile.locator('mark').allInnerTexts()).includes('注入测试'));
      assert.equal(await page.locator('aside.sidebar img').count(), 0);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);

      // A hit far up a long conversation: the view scrolls to it and marks it for a moment.
      const long = await page.evaluate(async () => {
        const headers = { authorization: `Bearer ${localStorage.getItem('llm-chat:token')}`, 'content-type': 'application/json' };
        const created = await fetch('/api/conversations', { method: 'POST', headers, body: JSON.stringify({ title: 'Long talk' }) });
        const id = (await created.json()).id;
        const filler = Array.from({ length: 12 }, (_, n) => `Line ${n} of a long message that fills the screen.`).join('\n\n');
        // Each message answers the last; the reply's id comes from the stream's `generation` event.
        const say = async (content, parent_id) => {
          const sent = await fetch(`/api/conversations/${id}/messages`, { method: 'POST', headers: { ...headers, accept: 'text/event-stream' }, body: JSON.stringify({ content, parent_id }) });
          const events = (await sent.text()).split('\n\n');
          const generation = events.find((e) => e.includes('event: generation')) ?? '';
          return JSON.parse(generation.split('\n').find((l) => l.startsWith('data:')).slice(5)).message_id;
        };
        const chain = async (from, count, parent) => {
          for (let n = from; n < from + count; n++) parent = await say(`Filler ${n}\n\n${filler}`, parent);
          return parent;
        };
        // The hit sits mid-way down a branch that is not the one shown.
        const fork = await chain(0, 3, undefined);
        await chain(3, 3, await say('灯塔守望者 lighthouse', fork));
        await chain(6, 6, fork);
        return id;
      });
      await page.locator('#conversation-search').fill('灯塔守望者');
      const far = page.locator('a.hit', { hasText: 'Long talk' }).last();
      await expectVisible(far);
      await far.click();
      await page.waitForURL((url) => url.pathname === `/c/${long}`);
      // Centred in view and marked; the list is not at its end.
      const foundInView = () =>
        page.waitForFunction(() => {
          const node = document.querySelector('article.found');
          const list = node?.closest('.scroller');
          if (!node || !list || !/灯塔守望者/.test(node.textContent ?? '')) return false;
          const a = node.getBoundingClientRect();
          const b = list.getBoundingClientRect();
          return a.top >= b.top - 1 && a.top < b.bottom && list.scrollTop + list.clientHeight < list.scrollHeight - 100;
        }, null, { timeout: 5_000 });
      await foundInView();
      assert.equal(await page.locator('[role="status"]', { hasText: 'Found message' }).count(), 1, 'the found message is announced');
      assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('found')), true, 'keyboard focus moves to the message');
      // The mark is brief.
      await page.locator('article.found').waitFor({ state: 'detached', timeout: 8_000 });
      // Clicking the hit again, from the end of the same conversation, brings it back.
      await page.evaluate(() => {
        const list = document.querySelector('.scroller');
        list.scrollTop = list.scrollHeight;
      });
      await far.click();
      await foundInView();
      await page.context().close();
    },
  },
  ...transferTests,
];
