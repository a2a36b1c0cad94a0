// A fake OpenAI-compatible model server (GET /v1/models, POST
// /v1/chat/completions, streaming or not) for end-to-end tests of the real
// binary. Listens on 127.0.0.1 only.
import { createServer } from 'node:http';
import { failsFor, pace, pieces, reasoningFor, replyFor, thinksInTags } from './replies.mjs';

export function startUpstream() {
  const server = createServer(async (req, res) => {
    if (req.method === 'GET' && req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'test-model', object: 'model', owned_by: 'tests' }] }));
      return;
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw || '{}');
    const last = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
    const prompt = typeof last?.content === 'string' ? last.content : '';
    if (failsFor(prompt)) {
      // Fail after a moment, as an overloaded server does, so the reply is
      // seen streaming before its error arrives.
      await new Promise((r) => setTimeout(r, 400));
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'the model crashed (test)', type: 'server_error' } }));
      return;
    }
    const text = replyFor(prompt);
    const id = `chatcmpl-${Date.now()}`;
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id, object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let closed = false;
    req.on('close', () => (closed = true));
    res.on('close', () => (closed = true));
    const thinking = reasoningFor(prompt);
    // Thinking either in its own delta field or inline in think tags, as
    // different model servers send it.
    const deltas = thinksInTags(prompt)
      ? pieces((thinking ? `<think>\n${thinking}\n</think>\n\n` : '') + text).map((content) => ({ content }))
      : [...pieces(thinking).map((reasoning_content) => ({ reasoning_content })), ...pieces(text).map((content) => ({ content }))];
    for (const delta of deltas) {
      if (closed) return;
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', model: body.model, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
      await new Promise((r) => setTimeout(r, pace(prompt)));
    }
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', model: body.model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 } })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
