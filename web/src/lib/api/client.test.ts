import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, TOKEN_KEY, filenameOf } from './client';
import type { StreamEvent } from './types';

function memoryStorage() {
  const data = new Map<string, string>();
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

describe('API client', () => {
  it('sends an import file as it is, with the format when one is chosen', async () => {
    const fetch = vi.fn(async () => json(200, { format: 'chatgpt', imported: [], skipped: [] }));
    const client = new ApiClient({ fetch, storage: memoryStorage() });
    const file = new Blob(['[]'], { type: 'application/json' });
    await client.importFile(file, 'chatgpt');
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/import?format=chatgpt');
    expect(init.method).toBe('POST');
    expect(init.body).toBe(file);
    await client.importFile(file);
    expect((fetch.mock.calls[1] as unknown as [string])[0]).toBe('/api/import');
  });

  it('downloads an export under the name the server suggests', async () => {
    const fetch = vi.fn(
      async () =>
        new Response('# Hi', {
          status: 200,
          headers: { 'content-disposition': "attachment; filename=\"__.md\"; filename*=UTF-8''%E5%A4%A9%E6%B0%94.md" },
        }),
    );
    const client = new ApiClient({ fetch, storage: memoryStorage() });
    const file = await client.exportConversation('c 1', 'markdown');
    expect(file.filename).toBe('天气.md');
    expect(await file.blob.text()).toBe('# Hi');
    expect((fetch.mock.calls[0] as unknown as [string])[0]).toBe('/api/conversations/c%201/export?format=markdown');
  });

  it('reads file names from Content-Disposition', () => {
    expect(filenameOf('attachment; filename="a.json"')).toBe('a.json');
    expect(filenameOf("attachment; filename=\"x\"; filename*=UTF-8''b%20c.md")).toBe('b c.md');
    expect(filenameOf("attachment; filename*=UTF-8''%E0%A4; filename=\"plain.md\"")).toBe('plain.md');
    expect(filenameOf('attachment')).toBeNull();
    expect(filenameOf(null)).toBeNull();
  });

  it('sends the bearer token and JSON body, and parses the answer', async () => {
    const storage = memoryStorage();
    storage.setItem(TOKEN_KEY, 'tok');
    const fetch = vi.fn(async () => json(200, { id: 'c1', title: 'Hi' }));
    const client = new ApiClient({ fetch, storage });
    const result = await client.updateConversation('c1', { title: 'Hi' });
    expect(result).toEqual({ id: 'c1', title: 'Hi' });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/conversations/c1');
    expect(init.method).toBe('PATCH');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(init.body).toBe('{"title":"Hi"}');
  });

  it('turns the error shape into an ApiError with code, field and Retry-After', async () => {
    const fetch = vi.fn(async () =>
      json(429, { error: { code: 'too_many_attempts', message: 'wait', field: 'password' } }, { 'retry-after': '17' }),
    );
    const client = new ApiClient({ fetch, storage: memoryStorage() });
    const error = await client.login('a', 'b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'too_many_attempts', message: 'wait', field: 'password', retryAfter: 17 });
  });

  it('reports a 401 of a signed-in call so that the session can end', async () => {
    const storage = memoryStorage();
    storage.setItem(TOKEN_KEY, 'old');
    const client = new ApiClient({
      fetch: async () => json(401, { error: { code: 'token_expired', message: 'expired' } }),
      storage,
    });
    const seen: string[] = [];
    client.onUnauthorized((e) => seen.push(e.code));
    await expect(client.me()).rejects.toMatchObject({ code: 'token_expired' });
    expect(seen).toEqual(['token_expired']);
  });

  it('does not end a session on a failed sign-in', async () => {
    const client = new ApiClient({
      fetch: async () => json(401, { error: { code: 'invalid_credentials', message: 'no' } }),
      storage: memoryStorage(),
    });
    const seen: string[] = [];
    client.onUnauthorized((e) => seen.push(e.code));
    await expect(client.login('a', 'b')).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(seen).toEqual([]);
  });

  it('reports an unreachable server as a network error', async () => {
    const client = new ApiClient({
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
      storage: memoryStorage(),
    });
    await expect(client.models()).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('builds the list query', async () => {
    const fetch = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => json(200, { items: [], next_cursor: null }));
    const client = new ApiClient({ fetch, storage: memoryStorage() });
    await client.listConversations({ limit: 30, cursor: 'abc', q: '日本', archived: false });
    expect(fetch.mock.calls[0]?.[0]).toBe('/api/conversations?limit=30&cursor=abc&q=%E6%97%A5%E6%9C%AC&archived=false');
  });

  it('builds the admin queries, leaving out what is unset', async () => {
    const fetch = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => json(200, { items: [], next_cursor: null }));
    const client = new ApiClient({ fetch, storage: memoryStorage() });
    await client.adminUsers({ q: '张', cursor: null });
    await client.adminUsage(30, null);
    await client.adminUsage(7, 'u 1');
    await client.deleteAdminUser('u1', '李 雷&x');
    const urls = fetch.mock.calls.map((call) => call[0]);
    expect(urls).toEqual([
      '/api/admin/users?q=%E5%BC%A0',
      '/api/admin/usage?days=30',
      '/api/admin/usage?days=7&user_id=u+1',
      '/api/admin/users/u1?confirm=%E6%9D%8E+%E9%9B%B7%26x',
    ]);
    expect(fetch.mock.calls[3]?.[1]?.method).toBe('DELETE');
  });

  it('sends limits with PUT and a provider test with POST', async () => {
    const fetch = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => json(200, {}));
    const client = new ApiClient({ fetch, storage: memoryStorage() });
    await client.setUserLimits('u1', { daily_token_quota: 1000, requests_per_minute: null });
    await client.testProvider('my provider');
    expect(fetch.mock.calls[0]?.[0]).toBe('/api/admin/users/u1/limits');
    expect(fetch.mock.calls[0]?.[1]?.method).toBe('PUT');
    expect(fetch.mock.calls[0]?.[1]?.body).toBe('{"daily_token_quota":1000,"requests_per_minute":null}');
    expect(fetch.mock.calls[1]?.[0]).toBe('/api/admin/providers/my%20provider/test');
    expect(fetch.mock.calls[1]?.[1]?.method).toBe('POST');
  });

  it('answers 204 with undefined', async () => {
    const client = new ApiClient({ fetch: async () => new Response(null, { status: 204 }), storage: memoryStorage() });
    await expect(client.deleteConversation('x')).resolves.toBeUndefined();
  });
});

describe('event streams over HTTP', () => {
  let server: Server;
  let base = '';
  const seenHeaders: Record<string, string | undefined>[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seenHeaders.push({ accept: req.headers.accept, lastEventId: req.headers['last-event-id'] as string | undefined, url: req.url });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      // Split across writes, mid-line and mid-character, as a network would.
      const body =
        ': keep-alive\n\n' +
        'event: generation\nid: 1\ndata: {"generation_id":"g1","message_id":"m2","conversation_id":"c1","model":"demo"}\n\n' +
        'event: delta\nid: 2\ndata: {"text":"你好"}\n\n' +
        'event: delta\nid: 3\ndata: {"text":", world"}\n\n' +
        'event: unknown\nid: 4\ndata: {}\n\n' +
        'event: done\nid: 5\ndata: {"finish_reason":"stop","usage":{"prompt_tokens":3,"completion_tokens":2}}\n\n';
      const bytes = Buffer.from(body, 'utf8');
      let offset = 0;
      const step = () => {
        if (offset >= bytes.length) return res.end();
        res.write(bytes.subarray(offset, offset + 7));
        offset += 7;
        setTimeout(step, 1);
      };
      step();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('parses events in order, skipping comments and unknown names', async () => {
    const client = new ApiClient({ base, storage: memoryStorage() });
    const events: StreamEvent[] = [];
    const handle = await client.sendMessage('c1', { content: 'hi' }, (e) => events.push(e));
    await handle.done;
    expect(events.map((e) => e.type)).toEqual(['generation', 'delta', 'delta', 'done']);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 5]);
    const text = events.flatMap((e) => (e.type === 'delta' ? [e.data.text] : [])).join('');
    expect(text).toBe('你好, world');
    expect(seenHeaders.at(-1)?.accept).toBe('text/event-stream');
  });

  it('resumes a generation after the last seen event', async () => {
    const client = new ApiClient({ base, storage: memoryStorage() });
    const handle = await client.generationEvents('g1', 3, () => {});
    await handle.done;
    expect(seenHeaders.at(-1)).toMatchObject({ lastEventId: '3', url: '/api/generations/g1/events?after=3' });
  });

  it('can detach without an error', async () => {
    const client = new ApiClient({ base, storage: memoryStorage() });
    const events: StreamEvent[] = [];
    const handle = await client.generationEvents('g1', null, (e) => events.push(e));
    handle.detach();
    await expect(handle.done).resolves.toBeUndefined();
  });
});
