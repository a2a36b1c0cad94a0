// Groups for the conversation list: pinned, today, yesterday, the last 7 and
// 30 days, then by month.
import type { Conversation } from './api/types';

export type GroupKey = 'pinned' | 'today' | 'yesterday' | 'week' | 'month' | `m:${number}-${number}`;

export interface Group {
  key: GroupKey;
  items: Conversation[];
}

const DAY = 86_400_000;

export function groupKey(conversation: Conversation, now: Date): GroupKey {
  if (conversation.pinned) return 'pinned';
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const t = conversation.updated_at;
  if (t >= startOfToday) return 'today';
  if (t >= startOfToday - DAY) return 'yesterday';
  if (t >= startOfToday - 7 * DAY) return 'week';
  if (t >= startOfToday - 30 * DAY) return 'month';
  const d = new Date(t);
  return `m:${d.getFullYear()}-${d.getMonth() + 1}`;
}

/** Conversations in display order, grouped; the order of `items` is kept within groups. */
export function groupConversations(items: readonly Conversation[], now = new Date()): Group[] {
  const groups: Group[] = [];
  const index = new Map<GroupKey, Group>();
  const ordered = [...items.filter((c) => c.pinned), ...items.filter((c) => !c.pinned)];
  for (const conversation of ordered) {
    const key = groupKey(conversation, now);
    let group = index.get(key);
    if (!group) {
      group = { key, items: [] };
      index.set(key, group);
      groups.push(group);
    }
    group.items.push(conversation);
  }
  return groups;
}
