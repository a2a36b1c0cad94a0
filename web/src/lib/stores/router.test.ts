import { describe, expect, it } from 'vitest';
import { parseRoute, routePath } from './router.svelte';

describe('router', () => {
  it('reads a shared link and writes it back', () => {
    expect(parseRoute('/s/Ab-_9xYz')).toEqual({ name: 'shared', token: 'Ab-_9xYz' });
    expect(parseRoute('/s/Ab-_9xYz/')).toEqual({ name: 'shared', token: 'Ab-_9xYz' });
    expect(routePath({ name: 'shared', token: 'Ab-_9xYz' })).toBe('/s/Ab-_9xYz');
  });

  it('sends anything else under /s to a new chat', () => {
    expect(parseRoute('/s/')).toEqual({ name: 'chat', conversationId: null });
    expect(parseRoute('/s/a/b')).toEqual({ name: 'chat', conversationId: null });
  });
});
