// Reads a `text/event-stream` response body (fetch + ReadableStream, since
// EventSource can neither POST nor send an Authorization header).
import { createParser } from 'eventsource-parser';
import type { StreamEvent } from './types';

const KNOWN = new Set(['message', 'generation', 'reasoning', 'delta', 'title', 'done', 'error']);

/** Calls `onEvent` for each known event, in order; resolves when the body ends. */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: StreamEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const parser = createParser({
    onEvent(raw) {
      const type = raw.event ?? 'message';
      if (!KNOWN.has(type)) return;
      let data: unknown;
      try {
        data = JSON.parse(raw.data);
      } catch {
        return;
      }
      const id = raw.id !== undefined && raw.id !== '' && Number.isFinite(Number(raw.id)) ? Number(raw.id) : null;
      onEvent({ type, id, data } as StreamEvent);
    },
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const abort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
  } finally {
    signal?.removeEventListener('abort', abort);
    reader.releaseLock();
  }
}
