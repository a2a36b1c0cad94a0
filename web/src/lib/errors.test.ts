import { describe, expect, it } from 'vitest';
import { ApiError } from './api/client';
import { describeError } from './errors';
import { i18n } from './i18n/index.svelte';

describe('describeError', () => {
  it('tells a used-up quota from a rate limit, with the wait and the server’s reason', () => {
    i18n.set('en');
    const quota = describeError(new ApiError(429, 'quota_exceeded', 'your daily quota of 1000 tokens is used', undefined, 3600));
    expect(quota).toContain('daily token quota');
    expect(quota).toContain('3600 s');
    expect(quota).toContain('your daily quota of 1000 tokens is used');
    const rate = describeError(new ApiError(429, 'rate_limited', 'at most 5 per minute', undefined, 12));
    expect(rate).toContain('12 s');
    expect(rate).toContain('at most 5 per minute');
    expect(rate).not.toContain('quota');
  });

  it('speaks Chinese when the user does', () => {
    i18n.set('zh-CN');
    expect(describeError(new ApiError(429, 'quota_exceeded', 'x', undefined, 60))).toContain('配额');
    i18n.set('en');
  });
});
