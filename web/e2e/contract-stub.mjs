// An in-memory stand-in for the llm-chat HTTP API as its contract describes
// it (auth, conversations, messages, generations over SSE with resume and
// cancel), serving the built UI from ../dist with the same SPA fallback as
// the binary. `node e2e/run.mjs --stub` drives the UI against it, so that the
// chat screens can be exercised where the server lacks the chat API.
// It is a test double: nothing here is security-relevant.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { randomUUID } from 'node:crypto';
import { failsFor, pace, pieces, reasoningFor, replyFor } from './replies.mjs';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'application/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.woff2': 'font/woff2' };

export function startStub({ dist, registrationOpen = true } = {}) {
  const users = [];
  const tokens = new Map();
  const conversations = new Map();
  const messages = new Map();
  const generations = new Map();
  const keys = [];
  const settings = { registration_open: registrationOpen };
  let clock = Date.now() - 3 * 86_400_000;
  const now = () => (clock = Math.max(clock + 1, Date.now()));

  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const fail = (res, status, code, message) => send(res, status, { error: { code, message } });
  const userOf = (req) => tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
  const issue = (user) => {
    const token = randomUUID();
    tokens.set(token, user);
    return { access_token: token, token_type: 'bearer', expires_in: 3600, user };
  };
  const newMessage = (conv, parent_id, role, content, extra = {}) => {
    const t = now();
    const m = { id: randomUUID(), conversation_id: conv.id, parent_id, role, content, reasoning: null, model: conv.model, status: 'done', error: null, usage: null, generation_id: null, created_at: t, updated_at: t, ...extra };
    messages.set(m.id, m);
    return m;
  };
  const ofConversation = (id) => [...messages.values()].filter((m) => m.conversation_id === id);

  function generate(conv, assistant, prompt, userMessage) {
    const gen = { id: randomUUID(), events: [], subscribers: new Set(), done: false, cancelled: false };
    generations.set(gen.id, gen);
    assistant.generation_id = gen.id;
    assistant.status = 'streaming';
    const emit = (event, data) => {
      const e = { id: gen.events.length + 1, event, data };
      gen.events.push(e);
      for (const sub of gen.subscribers) sub(e);
    };
    if (userMessage) emit('message', userMessage);
    emit('generation', { generation_id: gen.id, message_id: assistant.id, conversation_id: conv.id, model: conv.model });
    const parts = pieces(replyFor(prompt));
    const thoughts = pieces(reasoningFor(prompt));
    let i = 0;
    const finish = (reason) => {
      assistant.status = reason === 'cancelled' ? 'cancelled' : 'done';
      assistant.generation_id = null;
      assistant.usage = { prompt_tokens: 12, completion_tokens: i };
      if (!conv.title) {
        conv.title = prompt.replace(/\[\w+\]/g, '').trim().slice(0, 40) || 'Chat';
        emit('title', { conversation_id: conv.id, title: conv.title });
      }
      emit('done', { finish_reason: reason, usage: assistant.usage });
      gen.done = true;
      for (const sub of gen.subscribers) sub(null);
    };
    const fail = () => {
      assistant.status = 'error';
      assistant.generation_id = null;
      assistant.error = { code: 'upstream_error', message: 'The model server failed (HTTP 500): the model crashed (test)' };
      emit('error', assistant.error);
      gen.done = true;
      for (const sub of gen.subscribers) sub(null);
    };
    const tick = () => {
      if (gen.cancelled) return finish('cancelled');
      if (failsFor(prompt)) return fail();
      if (thoughts.length) {
        const text = thoughts.shift();
        assistant.reasoning = (assistant.reasoning ?? '') + text;
        emit('reasoning', { text });
        return setTimeout(tick, pace(prompt));
      }
      if (i >= parts.length) return finish('stop');
      assistant.content += parts[i];
      emit('delta', { text: parts[i] });
      i++;
      setTimeout(tick, pace(prompt));
    };
    setTimeout(tick, 50);
    conv.current_leaf_id = assistant.id;
    conv.updated_at = now();
    return gen;
  }

  function stream(req, res, gen, after) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const write = (e) => {
      if (e === null) return res.end();
      res.write(`event: ${e.event}\nid: ${e.id}\ndata: ${JSON.stringify(e.data)}\n\n`);
    };
    for (const e of gen.events) if (e.id > after) write(e);
    if (gen.done) return res.end();
    gen.subscribers.add(write);
    res.on('close', () => gen.subscribers.delete(write));
  }

  async function body(req) {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    return raw ? JSON.parse(raw) : {};
  }

  async function api(req, res, url) {
    const path = url.pathname;
    const method = req.method;
    if (path === '/api/health') return send(res, 200, { status: 'ok', message: '大模型对话后端服务运行中', version: '0.1.0' });
    if (path === '/api/config') return send(res, 200, { registration_open: settings.registration_open, version: '0.1.0' });
    if (path === '/api/auth/register' && method === 'POST') {
      const { username, password } = await body(req);
      if (!settings.registration_open && users.length > 0) return fail(res, 403, 'registration_closed', 'registration is closed');
      if (!username || !password || password.length < 8) return fail(res, 422, 'invalid_field', 'the password needs at least 8 characters');
      if (users.some((u) => u.username.toLowerCase() === username.toLowerCase())) return fail(res, 409, 'username_taken', 'that name is taken');
      const user = { id: randomUUID(), username, role: users.length === 0 ? 'admin' : 'user', created_at: now(), password, disabled: false };
      users.push(user);
      const { password: _, ...view } = user;
      return send(res, 201, issue(view));
    }
    if (path === '/api/auth/login' && method === 'POST') {
      const { username, password } = await body(req);
      const user = users.find((u) => u.username === username && u.password === password);
      if (!user) return fail(res, 401, 'invalid_credentials', 'wrong username or password');
      const { password: _, ...view } = user;
      return send(res, 200, issue(view));
    }
    const user = userOf(req);
    if (!user) return fail(res, 401, req.headers.authorization ? 'invalid_token' : 'missing_token', 'sign in first');
    if (path === '/api/auth/me') return send(res, 200, user);
    if (path === '/api/auth/logout' && method === 'POST') {
      tokens.delete((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      return send(res, 204);
    }
    if (path === '/api/models') return send(res, 200, { models: [{ id: 'test-model', provider: 'stub', label: 'Test Model', demo: false }, { id: 'other-model', provider: 'stub', demo: true }], default_model: 'test-model' });
    if (path === '/api/admin/settings') {
      if (method === 'PATCH') Object.assign(settings, await body(req));
      return send(res, 200, settings);
    }
    if (path === '/api/admin/users') return send(res, 200, users.map(({ password: _, ...u }) => u));
    if (path === '/api/keys' && method === 'GET') return send(res, 200, { items: keys.filter((k) => k.owner === user.id).map(({ owner: _, key: __, ...k }) => k) });
    if (path === '/api/keys' && method === 'POST') {
      const { name } = await body(req);
      const key = `sk-${randomUUID().replaceAll('-', '')}`;
      const record = { id: randomUUID(), owner: user.id, name, prefix: key.slice(0, 7), created_at: now(), last_used_at: null, key };
      keys.push(record);
      const { owner: _, ...view } = record;
      return send(res, 201, view);
    }
    const keyPath = /^\/api\/keys\/([^/]+)$/.exec(path);
    if (keyPath && method === 'DELETE') {
      const index = keys.findIndex((k) => k.id === keyPath[1] && k.owner === user.id);
      if (index < 0) return fail(res, 404, 'not_found', 'no such key');
      keys.splice(index, 1);
      return send(res, 204);
    }
    if (path === '/api/conversations' && method === 'GET') {
      const q = (url.searchParams.get('q') ?? '').toLowerCase();
      const archived = url.searchParams.get('archived') === 'true';
      const limit = Number(url.searchParams.get('limit') ?? 30);
      const offset = Number(url.searchParams.get('cursor') ?? 0);
      const all = [...conversations.values()]
        .filter((c) => c.owner === user.id && c.archived === archived && (!q || c.title.toLowerCase().includes(q)))
        .sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.updated_at - a.updated_at)
        .map(({ owner: _, ...c }) => c);
      const items = all.slice(offset, offset + limit);
      return send(res, 200, { items, next_cursor: offset + limit < all.length ? String(offset + limit) : null });
    }
    if (path === '/api/conversations' && method === 'POST') {
      const input = await body(req);
      const t = now();
      const conv = { id: randomUUID(), owner: user.id, title: input.title ?? '', model: input.model ?? 'test-model', system_prompt: input.system_prompt ?? null, params: input.params ?? {}, pinned: false, archived: false, current_leaf_id: null, created_at: t, updated_at: t };
      conversations.set(conv.id, conv);
      const { owner: _, ...view } = conv;
      return send(res, 201, view);
    }
    let m = /^\/api\/conversations\/([^/]+)(\/messages)?$/.exec(path);
    if (m) {
      const conv = conversations.get(m[1]);
      if (!conv || conv.owner !== user.id) return fail(res, 404, 'not_found', 'not found, or not yours');
      const view = () => {
        const { owner: _, ...c } = conv;
        return c;
      };
      if (m[2] && method === 'POST') {
        const input = await body(req);
        const parent = 'parent_id' in input ? input.parent_id : conv.current_leaf_id;
        const userMessage = newMessage(conv, parent, 'user', input.content);
        const assistant = newMessage(conv, userMessage.id, 'assistant', '', { model: input.model ?? conv.model });
        const gen = generate(conv, assistant, input.content, userMessage);
        if ((req.headers.accept ?? '').includes('text/event-stream')) return stream(req, res, gen, 0);
        return send(res, 202, { user_message: userMessage, assistant_message: assistant, generation_id: gen.id });
      }
      if (method === 'GET') return send(res, 200, { conversation: view(), messages: ofConversation(conv.id), current_leaf_id: conv.current_leaf_id });
      if (method === 'PATCH') {
        const patch = await body(req);
        Object.assign(conv, patch, { updated_at: 'title' in patch || 'current_leaf_id' in patch ? conv.updated_at : now() });
        return send(res, 200, view());
      }
      if (method === 'DELETE') {
        conversations.delete(conv.id);
        return send(res, 204);
      }
    }
    m = /^\/api\/messages\/([^/]+)\/regenerate$/.exec(path);
    if (m && method === 'POST') {
      const old = messages.get(m[1]);
      const conv = old && conversations.get(old.conversation_id);
      if (!old || !conv || conv.owner !== user.id) return fail(res, 404, 'not_found', 'not found, or not yours');
      const prompt = messages.get(old.parent_id)?.content ?? '';
      const assistant = newMessage(conv, old.parent_id, 'assistant', '');
      const gen = generate(conv, assistant, prompt, null);
      if ((req.headers.accept ?? '').includes('text/event-stream')) return stream(req, res, gen, 0);
      return send(res, 202, { assistant_message: assistant, generation_id: gen.id });
    }
    m = /^\/api\/generations\/([^/]+)\/(events|cancel)$/.exec(path);
    if (m) {
      const gen = generations.get(m[1]);
      if (!gen) return fail(res, 404, 'not_found', 'no such generation');
      if (m[2] === 'cancel') {
        gen.cancelled = true;
        return send(res, 202, {});
      }
      const after = Number(req.headers['last-event-id'] ?? url.searchParams.get('after') ?? 0);
      return stream(req, res, gen, after);
    }
    return fail(res, 404, 'not_found', `there is no ${method} ${path}`);
  }

  const server = createServer(async (req, res) => {
    // The binary's policy, so that the UI is tested under it here too.
    res.setHeader('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'");
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname.startsWith('/api/')) return await api(req, res, url);
      const file = normalize(url.pathname).replace(/^\/+/, '') || 'index.html';
      try {
        const data = await readFile(join(dist, file));
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        return res.end(data);
      } catch {
        if (file.startsWith('assets/')) return fail(res, 404, 'not_found', 'no such file');
        res.writeHead(200, { 'content-type': TYPES['.html'] });
        return res.end(await readFile(join(dist, 'index.html')));
      }
    } catch (error) {
      fail(res, 500, 'internal_error', String(error));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
