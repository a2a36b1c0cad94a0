// The i18n layer: `i18n.t(key, params)` in the current language (zh-CN or
// English), chosen by the user or, by default, from the browser.
import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

export type Locale = 'en' | 'zh-CN';
export const LOCALES: readonly { id: Locale; label: string }[] = [
  { id: 'en', label: 'English' },
  { id: 'zh-CN', label: '简体中文' },
];
const KEY = 'llm-chat:locale';
const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

/** The browser's preferred language among ours. */
export function detectLocale(languages: readonly string[] = globalThis.navigator?.languages ?? []): Locale {
  for (const language of languages) {
    const lower = language.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

function stored(): Locale | null {
  const value = globalThis.localStorage?.getItem(KEY);
  return value === 'en' || value === 'zh-CN' ? value : null;
}

export function translate(locale: Locale, key: MessageKey, params?: Record<string, string | number>): string {
  const template = dictionaries[locale][key] ?? en[key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

class I18n {
  locale = $state<Locale>(stored() ?? detectLocale());

  t = (key: MessageKey, params?: Record<string, string | number>): string => translate(this.locale, key, params);

  set(locale: Locale): void {
    this.locale = locale;
    globalThis.localStorage?.setItem(KEY, locale);
    if (typeof document !== 'undefined') document.documentElement.lang = locale;
  }
}

export const i18n = new I18n();
export const t = i18n.t;
export type { MessageKey };
