// Keyboard shortcuts of the chat screen.
export type ShortcutAction = 'newChat' | 'focus' | 'stop' | 'search' | 'sidebar';

export function isMac(): boolean {
  return /Mac|iPhone|iPad/.test(globalThis.navigator?.platform ?? '');
}

/** The action a key press asks for, if any. */
export function shortcutFor(event: KeyboardEvent, mac: boolean): ShortcutAction | null {
  const mod = mac ? event.metaKey : event.ctrlKey;
  const key = event.key.toLowerCase();
  if (mod && event.shiftKey && key === 'o') return 'newChat';
  if (mod && !event.shiftKey && key === 'k') return 'search';
  if (mod && event.shiftKey && key === 's') return 'sidebar';
  if (event.shiftKey && key === 'escape') return 'focus';
  if (key === 'escape' && !event.shiftKey && !mod) return 'stop';
  if (key === '/' && !mod && !isTyping(event.target)) return 'focus';
  return null;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** Human labels for the settings page. */
export function shortcutLabels(mac: boolean): Record<ShortcutAction, string> {
  const mod = mac ? '⌘' : 'Ctrl';
  return {
    newChat: `${mod}+Shift+O`,
    focus: 'Shift+Esc · /',
    stop: 'Esc',
    search: `${mod}+K`,
    sidebar: `${mod}+Shift+S`,
  };
}
