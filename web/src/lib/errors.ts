// Error messages for people: known codes in the user's language, the
// server's own sentence otherwise.
import { ApiError } from './api/client';
import { t } from './i18n/index.svelte';

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0 && error.code === 'network_error') return t('error.network');
    if (error.status === 429) {
      const seconds = error.retryAfter ?? 30;
      if (error.code === 'quota_exceeded') return t('error.quotaExceeded', { seconds, message: error.message });
      if (error.code === 'rate_limited') return t('error.tooManyReplies', { seconds, message: error.message });
      return t('error.rateLimited', { seconds });
    }
    return error.message;
  }
  return t('error.generic', { message: error instanceof Error ? error.message : String(error) });
}
