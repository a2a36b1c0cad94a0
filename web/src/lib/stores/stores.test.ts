import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, TOKEN_KEY } from '../api/client';
import type { Conversation, Message } from '../api/types';
import { AuthStore } from './auth.svelte';
import { ChatStore } from './chat.svelte';
import { ConversationsStore, sortConversations } from './conversations.svelte';
import { clearDraft, loadDraft, saveDraft } from './drafts';

// A scripted server: each handler answers one method + path.
type Handler = (body: unknown, headers: Record<string, string>) => Response | Promise<Response>;
function fakeServer(routes: Record<string, Handler>) {
  const calls: { key: string; body: unknown; headers: Record<string, string> }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const key = `${init?.method ?? 'GET'} ${url}`;
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ key, body, headers });
    const handler = routes[key] ?? routes[`${init?.method ?? 'GET'} ${url.split('?')[0]}`];
    if (!handler) return json(404, { error: { code: 'not_found', message: key } });
    return handler(body, headers);
  };
  return { fetch, calls };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function sse(events: [string, number, unknown][]): Response {
  const text = events.map(([name, id, data]) => `event: ${name}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`).join('');
  return new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

function memoryStorage() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), removeItem: (k: string) => void data.delete(k) };
}

function conversation(id: string, patch: Partial<Conversation> = {}): Conversation {
  return { id, title: '', model: 'demo', system_prompt: null, params: {}, pinned: false, archived: false, current_leaf_id: null, created_at: 1, updated_at: 1, ...patch };
}

function message(id: string, parent: string | null, role: Message['role'], content: string, patch: Partial<Message> = {}): Message {
  return { id, conversation_id: 'c1', parent_id: parent, role, content, reasoning: null, reasoning_ms: null, model: 'demo', status: 'done', error: null, usage: null, generation_id: null, created_at: Number(id.replace(/\D/g, '')) || 1, updated_at: 1, ...patch };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('conversations store', () => {
  it('keeps pinned first and newest next', () => {
    const sorted = sortConversations([conversation('a', { updated_at: 5 }), conversation('b', { updated_at: 9 }), conversation('p', { pinned: true, updated_at: 1 })]);
    expect(sorted.map((c) => c.id)).toEqual(['p', 'b', 'a']);
  });

  it('loads pages, searches, and drops archived items from the active list', async () => {
    const server = fakeServer({
      'GET /api/conversations?limit=30&archived=false': () => json(200, { items: [conversation('a', { updated_at: 3 })], next_cursor: 'n1' }),
      'GET /api/conversations?limit=30&cursor=n1&archived=false': () => json(200, { items: [conversation('b', { updated_at: 2 })], next_cursor: null }),
      'GET /api/conversations?limit=30&q=rust&archived=false': () => json(200, { items: [conversation('r')], next_cursor: null }),
      'PATCH /api/conversations/a': () => json(200, conversation('a', { archived: true })),
    });
    const store = new ConversationsStore(new ApiClient({ fetch: server.fetch, storage: memoryStorage() }));
    await store.reload();
    expect(store.items.map((c) => c.id)).toEqual(['a']);
    expect(store.hasMore).toBe(true);
    await store.loadMore();
    expect(store.items.map((c) => c.id)).toEqual(['a', 'b']);
    expect(store.hasMore).toBe(false);
    await store.update('a', { archived: true });
    expect(store.items.map((c) => c.id)).toEqual(['b']);
    await store.search('rust');
    expect(store.items.map((c) => c.id)).toEqual(['r']);
  });

  it('a search also lists the messages it found; an empty search forgets them', async () => {
    const hit = { conversation_id: 'c9', conversation_title: '天气', archived: false, message_id: 'm9', role: 'assistant', snippet: [{ text: '天气预报', hit: true }], at: 5 };
    const server = fakeServer({
      'GET /api/conversations?limit=30&q=%E5%A4%A9%E6%B0%94&archived=false': () => json(200, { items: [], next_cursor: null }),
      'GET /api/search?q=%E5%A4%A9%E6%B0%94&limit=20': () => json(200, { items: [hit], next_cursor: null }),
      'GET /api/conversations?limit=30&archived=false': () => json(200, { items: [conversation('a')], next_cursor: null }),
    });
    const store = new ConversationsStore(new ApiClient({ fetch: server.fetch, storage: memoryStorage() }));
    await store.search('天气');
    expect(store.items).toEqual([]);
    expect(store.hits).toEqual([hit]);
    await store.search('  ');
    expect(store.hits).toEqual([]);
    expect(store.items.map((c) => c.id)).toEqual(['a']);
  });

  it('notices a server without the conversation API', async () => {
    const store = new ConversationsStore(new ApiClient({ fetch: fakeServer({}).fetch, storage: memoryStorage() }));
    await store.reload();
    expect(store.unavailable).toBe(true);
    expect(store.items).toEqual([]);
  });
});

describe('auth store', () => {
  it('signs in, keeps the token, and ends the session on a 401 elsewhere', async () => {
    const storage = memoryStorage();
    const user = { id: 'u', username: 'ann', role: 'admin', created_at: 1 };
    const server = fakeServer({
      'POST /api/auth/login': () => json(200, { access_token: 't1', token_type: 'bearer', expires_in: 60, user }),
      'GET /api/models': () => json(401, { error: { code: 'session_ended', message: 'signed out elsewhere' } }),
      'GET /api/config': () => json(200, { registration_open: false, sharing_enabled: true, version: '0.1.0' }),
    });
    const client = new ApiClient({ fetch: server.fetch, storage });
    const auth = new AuthStore(client);
    await auth.loadConfig();
    expect(auth.registrationOpen).toBe(false);
    expect(auth.sharingEnabled).toBe(true);
    await auth.login('ann', 'pw');
    expect(auth.status).toBe('signedIn');
    expect(auth.isAdmin).toBe(true);
    expect(storage.getItem(TOKEN_KEY)).toBe('t1');
    await client.models().catch(() => {});
    expect(auth.status).toBe('signedOut');
    expect(auth.expired).toBe(true);
    expect(storage.getItem(TOKEN_KEY)).toBeNull();
  });

  it('restores a kept session, or forgets a dead token', async () => {
    const storage = memoryStorage();
    storage.setItem(TOKEN_KEY, 'kept');
    const ok = new AuthStore(new ApiClient({ fetch: fakeServer({ 'GET /api/auth/me': () => json(200, { id: 'u', username: 'ann', role: 'user', created_at: 1 }) }).fetch, storage }));
    await ok.init();
    expect(ok.status).toBe('signedIn');
    const dead = new AuthStore(new ApiClient({ fetch: fakeServer({ 'GET /api/auth/me': () => json(401, { error: { code: 'invalid_token', message: 'x' } }) }).fetch, storage }));
    await dead.init();
    expect(dead.status).toBe('signedOut');
    expect(dead.expired).toBe(false);
    expect(storage.getItem(TOKEN_KEY)).toBeNull();
  });
});

describe('drafts', () => {
  beforeEach(() => localStorage.clear());
  it('are kept per conversation and cleared when empty', () => {
    saveDraft('c1', 'half a thought');
    saveDraft(null, 'new chat text');
    expect(loadDraft('c1')).toBe('half a thought');
    expect(loadDraft(null)).toBe('new chat text');
    saveDraft('c1', '   ');
    expect(loadDraft('c1')).toBe('');
    clearDraft(null);
    expect(loadDraft(null)).toBe('');
  });
});

describe('chat store', () => {
  const u1 = message('u1', null, 'user', 'Hi');
  const a2 = message('a2', 'u1', 'assistant', 'Hello!');

  // What the server has stored; streams below add to it as a server would.
  let db: { messages: Message[]; leaf: string | null; title: string };
  beforeEach(() => {
    db = { messages: [u1, a2], leaf: 'a2', title: '' };
  });
  function store(...messages: Message[]) {
    for (const m of messages) db.messages = [...db.messages.filter((x) => x.id !== m.id), m];
    db.leaf = messages.at(-1)?.id ?? db.leaf;
  }

  function setup(extra: Record<string, Handler> = {}) {
    const server = fakeServer({
      'GET /api/conversations/c1': () => json(200, { conversation: conversation('c1', { current_leaf_id: db.leaf, title: db.title }), messages: db.messages, current_leaf_id: db.leaf }),
      'PATCH /api/conversations/c1': (body) => json(200, conversation('c1', body as Partial<Conversation>)),
      ...extra,
    });
    const client = new ApiClient({ fetch: server.fetch, storage: memoryStorage() });
    const list = new ConversationsStore(client);
    return { server, chat: new ChatStore(client, list), list };
  }

  it('revealing a search hit on another branch shows that branch', async () => {
    const other = message('a3', 'u1', 'assistant', 'Another answer');
    store(other, a2);
    const { chat } = setup();
    await chat.open('c1');
    expect(chat.path.map((m) => m.id)).toEqual(['u1', 'a2']);
    chat.reveal('a3');
    expect(chat.path.map((m) => m.id)).toEqual(['u1', 'a3']);
    expect(chat.focus).toBe('a3');
  });

  it('streams a reply into a new assistant message and follows it', async () => {
    const { chat, server } = setup({
      'POST /api/conversations/c1/messages': () => {
        store(message('u3', 'a2', 'user', 'Tell me more'), message('a4', 'u3', 'assistant', 'Sure, here.', { usage: { prompt_tokens: 5, completion_tokens: 3 } }));
        db.title = 'More';
        return sse([
          ['message', 1, message('u3', 'a2', 'user', 'Tell me more')],
          ['generation', 2, { generation_id: 'g1', message_id: 'a4', conversation_id: 'c1', model: 'demo' }],
          ['delta', 3, { text: 'Sure' }],
          ['delta', 4, { text: ', here.' }],
          ['title', 5, { conversation_id: 'c1', title: 'More' }],
          ['done', 6, { finish_reason: 'stop', usage: { prompt_tokens: 5, completion_tokens: 3 } }],
        ]);
      },
    });
    await chat.open('c1');
    expect(chat.path.map((m) => m.id)).toEqual(['u1', 'a2']);
    await chat.send('Tell me more', 'demo');
    const sent = server.calls.find((c) => c.key === 'POST /api/conversations/c1/messages');
    expect(sent?.body).toEqual({ content: 'Tell me more', parent_id: 'a2' });
    expect(sent?.headers.Accept).toBe('text/event-stream');
    expect(chat.path.map((m) => m.id)).toEqual(['u1', 'a2', 'u3', 'a4']);
    const reply = chat.path[3]!;
    expect(reply.content).toBe('Sure, here.');
    expect(reply.status).toBe('done');
    expect(reply.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3 });
    expect(chat.conversation?.title).toBe('More');
    expect(chat.isStreaming).toBe(false);
  });

  it("keeps a reasoning model's thinking apart from the answer and times it", async () => {
    let push: (name: string, id: number, data: unknown) => void = () => {};
    let end: () => void = () => {};
    let reads = 0;
    const { chat } = setup({
      // The re-read after the stream fails, so what shows is what the stream built.
      'GET /api/conversations/c1': () =>
        reads++ === 0
          ? json(200, { conversation: conversation('c1'), messages: [u1, a2], current_leaf_id: 'a2' })
          : json(503, { error: { code: 'database_unavailable', message: 'later' } }),
      'POST /api/conversations/c1/messages': () => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            const encoder = new TextEncoder();
            push = (name, id, data) => controller.enqueue(encoder.encode(`event: ${name}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`));
            end = () => controller.close();
          },
        });
        return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
      },
    });
    await chat.open('c1');
    const sending = chat.send('Why?', 'demo');
    await vi.waitFor(() => expect(chat.isStreaming).toBe(true));
    await tick();
    push('generation', 1, { generation_id: 'g1', message_id: 'a4', conversation_id: 'c1', model: 'r1' });
    push('reasoning', 2, { text: 'Let me ' });
    push('reasoning', 3, { text: 'think.' });
    const reply = () => chat.messages.find((m) => m.id === 'a4');
    await vi.waitFor(() => expect(reply()?.reasoning).toBe('Let me think.'));
    expect(reply()?.content).toBe('');
    expect(reply()?.reasoning_ms).toBeNull();
    push('delta', 4, { text: 'Because.' });
    await vi.waitFor(() => expect(reply()?.content).toBe('Because.'));
    expect(reply()?.reasoning).toBe('Let me think.');
    expect(typeof reply()?.reasoning_ms).toBe('number');
    const stored = message('a4', 'u3', 'assistant', 'Because.', { reasoning: 'Let me think.', reasoning_ms: 12_000 });
    push('done', 5, { finish_reason: 'stop', usage: { prompt_tokens: 3, completion_tokens: 9, reasoning_tokens: 6 }, reply: stored });
    end();
    await sending;
    expect(reply()?.status).toBe('done');
    expect(reply()?.reasoning_ms).toBe(12_000);
    expect(reply()?.usage?.reasoning_tokens).toBe(6);
  });

  it('keeps the tree whole when the reply is announced before the stored question', async () => {
    let reads = 0;
    const { chat } = setup({
      // The re-read after the stream fails, so the store's own tree is what shows.
      'GET /api/conversations/c1': () =>
        reads++ === 0
          ? json(200, { conversation: conversation('c1'), messages: [u1, a2], current_leaf_id: 'a2' })
          : json(503, { error: { code: 'database_unavailable', message: 'later' } }),
      'POST /api/conversations/c1/messages': () =>
        sse([
          ['generation', 1, { generation_id: 'g1', message_id: 'a4', conversation_id: 'c1', model: 'demo' }],
          ['message', 2, message('u3', 'a2', 'user', 'Q')],
          ['delta', 3, { text: 'A' }],
        ]),
      'GET /api/generations/g1/events': () => sse([['done', 4, { finish_reason: 'stop', usage: null }]]),
    });
    await chat.open('c1');
    await chat.send('Q', 'demo');
    expect(chat.messages.find((m) => m.id === 'a4')?.parent_id).toBe('u3');
    expect(chat.path.map((m) => m.id)).toEqual(['u1', 'a2', 'u3', 'a4']);
  });

  it('shows an error from the model in the message', async () => {
    const { chat } = setup({
      'POST /api/messages/a2/regenerate': () => {
        store(message('a5', 'u1', 'assistant', 'Par', { status: 'error', error: { code: 'upstream_error', message: 'The model server answered 500' } }));
        return sse([
          ['generation', 1, { generation_id: 'g2', message_id: 'a5', conversation_id: 'c1', model: 'demo' }],
          ['delta', 2, { text: 'Par' }],
          ['error', 3, { code: 'upstream_error', message: 'The model server answered 500' }],
        ]);
      },
    });
    await chat.open('c1');
    await chat.regenerate(chat.path[1]!);
    const reply = chat.path[1]!;
    expect(reply.id).toBe('a5');
    expect(reply.parent_id).toBe('u1');
    expect(reply.status).toBe('error');
    expect(reply.content).toBe('Par');
    expect(reply.error?.message).toContain('500');
  });

  it('edits a question into a sibling branch and switches between versions', async () => {
    const { chat, server } = setup({
      'POST /api/conversations/c1/messages': () => {
        store(message('u6', null, 'user', 'Hi there'), message('a7', 'u6', 'assistant', 'Hey'));
        return sse([
          ['message', 1, message('u6', null, 'user', 'Hi there')],
          ['generation', 2, { generation_id: 'g3', message_id: 'a7', conversation_id: 'c1', model: 'demo' }],
          ['delta', 3, { text: 'Hey' }],
          ['done', 4, { finish_reason: 'stop', usage: null }],
        ]);
      },
    });
    await chat.open('c1');
    await chat.edit(chat.path[0]!, 'Hi there');
    const sent = server.calls.find((c) => c.key === 'POST /api/conversations/c1/messages');
    expect(sent?.body).toEqual({ content: 'Hi there', parent_id: null });
    expect(chat.path.map((m) => m.id)).toEqual(['u6', 'a7']);
    chat.switchBranch(chat.path[0]!, -1);
    expect(chat.path.map((m) => m.id)).toEqual(['u1', 'a2']);
    await tick();
    const patch = server.calls.find((c) => c.key === 'PATCH /api/conversations/c1');
    expect(patch?.body).toEqual({ current_leaf_id: 'a2' });
  });

  it('resumes a stream cut off mid-reply from the last event it saw', async () => {
    const { chat, server } = setup({
      'POST /api/conversations/c1/messages': () =>
        sse([
          ['message', 1, message('u3', 'a2', 'user', 'Go')],
          ['generation', 2, { generation_id: 'g9', message_id: 'a4', conversation_id: 'c1', model: 'demo' }],
          ['delta', 3, { text: 'One, ' }],
        ]),
      'GET /api/generations/g9/events': () => {
        store(message('u3', 'a2', 'user', 'Go'), message('a4', 'u3', 'assistant', 'One, two.'));
        return sse([['delta', 4, { text: 'two.' }], ['done', 5, { finish_reason: 'stop', usage: null }]]);
      },
    });
    await chat.open('c1');
    await chat.send('Go', 'demo');
    const resume = server.calls.find((c) => c.key.startsWith('GET /api/generations/g9/events'));
    expect(resume?.key).toBe('GET /api/generations/g9/events?after=3');
    expect(resume?.headers['Last-Event-ID']).toBe('3');
    expect(chat.path.at(-1)?.content).toBe('One, two.');
    expect(chat.path.at(-1)?.status).toBe('done');
  });

  it('attaches to a reply still being generated when a conversation opens', async () => {
    const live = message('a2', 'u1', 'assistant', 'Saved part', { status: 'streaming', generation_id: 'g5' });
    const { chat, server } = setup({
      'GET /api/conversations/c1': () => json(200, { conversation: conversation('c1'), messages: db.messages, current_leaf_id: 'a2' }),
      'GET /api/generations/g5/events': () => {
        const stream = sse([
          ['generation', 1, { generation_id: 'g5', message_id: 'a2', conversation_id: 'c1', model: 'demo' }],
          ['delta', 2, { text: 'Saved part' }],
          ['delta', 3, { text: ' and the rest' }],
          ['done', 4, { finish_reason: 'stop', usage: null }],
        ]);
        store(message('a2', 'u1', 'assistant', 'Saved part and the rest'));
        return stream;
      },
    });
    db.messages = [u1, live];
    await chat.open('c1');
    await new Promise((r) => setTimeout(r, 20));
    expect(server.calls.some((c) => c.key === 'GET /api/generations/g5/events?after=0')).toBe(true);
    const reply = chat.messages.find((m) => m.id === 'a2');
    expect(reply?.content).toBe('Saved part and the rest');
    expect(reply?.status).toBe('done');
  });

  it('creates the conversation for a new chat with the chosen settings', async () => {
    const { chat, server, list } = setup({
      'POST /api/conversations': (body) => json(201, conversation('c2', body as Partial<Conversation>)),
      'POST /api/conversations/c2/messages': () => sse([['message', 1, message('u1', null, 'user', 'Hi')]]),
      'GET /api/conversations/c2': () => json(200, { conversation: conversation('c2'), messages: [message('u1', null, 'user', 'Hi')], current_leaf_id: 'u1' }),
    });
    await chat.updateSettings({ system_prompt: 'Be brief', params: { temperature: 0.2 } });
    const id = await chat.send('Hi', 'demo');
    expect(id).toBe('c2');
    expect(server.calls.find((c) => c.key === 'POST /api/conversations')?.body).toEqual({ model: 'demo', system_prompt: 'Be brief', params: { temperature: 0.2 } });
    expect(list.items.map((c) => c.id)).toEqual(['c2']);
  });

  it('gives the text back when sending fails', async () => {
    const { chat } = setup({
      'POST /api/conversations/c1/messages': () => json(429, { error: { code: 'rate_limited', message: 'slow down' } }),
    });
    await chat.open('c1');
    const id = await chat.send('Again', 'demo');
    expect(id).toBeNull();
    expect(chat.error?.code).toBe('rate_limited');
    expect(chat.path.map((m) => m.id)).toEqual(['u1', 'a2']);
  });
});

describe('stopping a reply', () => {
  it('cancels the generation and keeps the partial text', async () => {
    let cancelled = false;
    let push: ((chunk: string) => void) | null = null;
    let close: (() => void) | null = null;
    const server = fakeServer({
      // After the stop, the re-read fails, so what is shown is the store's own state.
      'GET /api/conversations/c1': () =>
        cancelled
          ? json(503, { error: { code: 'database_unavailable', message: 'later' } })
          : json(200, { conversation: conversation('c1'), messages: [message('u1', null, 'user', 'Hi')], current_leaf_id: 'u1' }),
      'POST /api/conversations/c1/messages': () => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            const encoder = new TextEncoder();
            push = (chunk) => controller.enqueue(encoder.encode(chunk));
            close = () => controller.close();
          },
        });
        return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
      },
      'POST /api/generations/g1/cancel': () => {
        cancelled = true;
        push?.('event: done\nid: 4\ndata: {"finish_reason":"cancelled","usage":null}\n\n');
        close?.();
        return json(202, {});
      },
    });
    const client = new ApiClient({ fetch: server.fetch, storage: memoryStorage() });
    const chat = new ChatStore(client, new ConversationsStore(client));
    await chat.open('c1');
    const sending = chat.send('Go on', 'demo');
    await new Promise((r) => setTimeout(r, 10));
    push!('event: message\nid: 1\ndata: ' + JSON.stringify(message('u2', 'u1', 'user', 'Go on')) + '\n\n');
    push!('event: generation\nid: 2\ndata: {"generation_id":"g1","message_id":"a3","conversation_id":"c1","model":"demo"}\n\n');
    push!('event: delta\nid: 3\ndata: {"text":"Partial"}\n\n');
    await new Promise((r) => setTimeout(r, 10));
    expect(chat.isStreaming).toBe(true);
    await chat.stop();
    await sending;
    expect(cancelled).toBe(true);
    expect(chat.isStreaming).toBe(false);
    const reply = chat.messages.find((m) => m.id === 'a3');
    expect(reply?.content).toBe('Partial');
    expect(reply?.status).toBe('cancelled');
  });
});
