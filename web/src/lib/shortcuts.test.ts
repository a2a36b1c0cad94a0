import { describe, expect, it } from 'vitest';
import { shortcutFor } from './shortcuts';

const key = (init: KeyboardEventInit, target?: HTMLElement) => {
  const event = new KeyboardEvent('keydown', init);
  if (target) Object.defineProperty(event, 'target', { value: target });
  return event;
};

describe('keyboard shortcuts', () => {
  it('maps the documented keys', () => {
    expect(shortcutFor(key({ key: 'O', ctrlKey: true, shiftKey: true }), false)).toBe('newChat');
    expect(shortcutFor(key({ key: 'o', metaKey: true, shiftKey: true }), true)).toBe('newChat');
    expect(shortcutFor(key({ key: 'k', ctrlKey: true }), false)).toBe('search');
    expect(shortcutFor(key({ key: 'Escape', shiftKey: true }), false)).toBe('focus');
    expect(shortcutFor(key({ key: 'Escape' }), false)).toBe('stop');
  });

  it('leaves "/" to text fields', () => {
    expect(shortcutFor(key({ key: '/' }, document.body), false)).toBe('focus');
    expect(shortcutFor(key({ key: '/' }, document.createElement('textarea')), false)).toBeNull();
  });

  it('ignores ordinary typing', () => {
    expect(shortcutFor(key({ key: 'a' }), false)).toBeNull();
    expect(shortcutFor(key({ key: 'k', ctrlKey: true }), true)).toBeNull();
  });
});
