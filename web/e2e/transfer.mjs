// End-to-end scenario of export and import: a conversation leaves as
// Markdown and JSON through its menu, and a ChatGPT export comes in through
// Settings → Your data, shows its report and lands in the sidebar.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixture = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../crates/llm-chat/tests/api/fixtures/chatgpt_conversations.json',
);

const expectVisible = (locator, timeout = 10_000) => locator.waitFor({ state: 'visible', timeout });

/** Clicks a menu item of the conversation and returns the file it downloads. */
async function exported(page, item, label) {
  await item.hover();
  await item.getByRole('button', { name: /Options/ }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('menuitem', { name: label }).click(),
  ]);
  return { name: download.suggestedFilename(), text: await readFile(await download.path(), 'utf8') };
}

export const transferTests = [
  {
    name: 'a conversation exports as Markdown and JSON, and a ChatGPT export imported in Settings shows its report and lands in the sidebar',
    chat: true,
    async run(ctx) {
      const { page } = await ctx.signedIn();
      await page.locator('#composer-input').fill('export me please');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/c\//);
      await page.waitForFunction(() => {
        const all = document.querySelectorAll('article.assistant');
        return all.length > 0 && all[all.length - 1].getAttribute('aria-busy') === 'false';
      });
      const item = page.locator('aside.sidebar li:not(.hit-item)').first();
      await expectVisible(item);

      const markdown = await exported(page, item, 'Export as Markdown');
      assert.match(markdown.name, /\.md$/);
      assert.match(markdown.text, /^# /);
      assert.match(markdown.text, /### User · \d{4}-\d\d-\d\d \d\d:\d\d UTC\n\nexport me please/);
      assert.match(markdown.text, /### Assistant \(test-model\)/);
      const json = await exported(page, item, 'Export as JSON');
      assert.match(json.name, /\.json$/);
      const archive = JSON.parse(json.text);
      assert.equal(archive.format, 'llm-chat-archive');
      assert.equal(archive.conversations[0].messages.length, 2);

      await page.getByRole('button', { name: 'Account menu' }).click();
      await page.getByRole('menuitem', { name: 'Settings' }).click();
      await expectVisible(page.getByRole('heading', { name: 'Your data' }));
      await page.getByLabel('File to import').setInputFiles({
        name: 'conversations.json',
        mimeType: 'application/json',
        buffer: await readFile(fixture),
      });
      const report = page.getByRole('status').filter({ hasText: 'conversations.json' });
      await expectVisible(report.getByText('conversations.json: 2 imported, 1 skipped'));
      await expectVisible(report.getByText('Format: ChatGPT'));
      await expectVisible(report.getByText('Nothing here'));
      await report.scrollIntoViewIfNeeded();
      await ctx.shot(page, 'settings-import-report');

      const imported = page.locator('aside.sidebar li:not(.hit-item)', { hasText: 'Rust lifetimes' });
      await expectVisible(imported);
      await expectVisible(page.locator('aside.sidebar li:not(.hit-item)', { hasText: '天气预报' }));
      await imported.locator('a').click();
      await expectVisible(page.locator('article.assistant', { hasText: '6 × 7 = 42.' }));
      assert.deepEqual(page.problems, []);
      await page.context().close();
    },
  },
];
