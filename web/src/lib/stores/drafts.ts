// Unsent text per conversation ("new" for a chat not created yet), kept in
// localStorage so that it survives a reload or a sign-in.
const PREFIX = 'llm-chat:draft:';

export function draftKey(conversationId: string | null): string {
  return PREFIX + (conversationId ?? 'new');
}

export function loadDraft(conversationId: string | null): string {
  return globalThis.localStorage?.getItem(draftKey(conversationId)) ?? '';
}

export function saveDraft(conversationId: string | null, text: string): void {
  const storage = globalThis.localStorage;
  if (!storage) return;
  if (text.trim()) storage.setItem(draftKey(conversationId), text);
  else storage.removeItem(draftKey(conversationId));
}

export function clearDraft(conversationId: string | null): void {
  globalThis.localStorage?.removeItem(draftKey(conversationId));
}

/** Forgets every draft (an explicit sign-out on a shared computer). */
export function clearAllDrafts(): void {
  const storage = globalThis.localStorage;
  if (!storage) return;
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key?.startsWith(PREFIX)) keys.push(key);
  }
  for (const key of keys) storage.removeItem(key);
}
