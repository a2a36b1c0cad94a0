import { describe, expect, it } from 'vitest';
import type { Conversation } from './api/types';
import { groupConversations } from './dates';

const now = new Date(2026, 10, 26, 15, 0, 0);
const DAY = 86_400_000;
function conv(id: string, ago: number, pinned = false): Conversation {
  const t = now.getTime() - ago;
  return { id, title: id, model: null, system_prompt: null, params: {}, pinned, archived: false, current_leaf_id: null, created_at: t, updated_at: t };
}

describe('date groups', () => {
  it('puts pinned first, then today, yesterday, the week, the month and older months', () => {
    const groups = groupConversations(
      [conv('today', 1000), conv('yesterday', DAY), conv('week', 4 * DAY), conv('month', 20 * DAY), conv('old', 90 * DAY), conv('pinned', 200 * DAY, true)],
      now,
    );
    expect(groups.map((g) => g.key)).toEqual(['pinned', 'today', 'yesterday', 'week', 'month', 'm:2026-8']);
    expect(groups[0]?.items.map((c) => c.id)).toEqual(['pinned']);
  });
});
