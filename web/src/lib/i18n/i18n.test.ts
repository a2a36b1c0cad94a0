import { describe, expect, it } from 'vitest';
import { en } from './en';
import { zhCN } from './zh-CN';
import { detectLocale, translate } from './index.svelte';

describe('i18n', () => {
  it('picks Chinese for any zh browser language, English otherwise', () => {
    expect(detectLocale(['zh-TW', 'en'])).toBe('zh-CN');
    expect(detectLocale(['en-GB', 'zh-CN'])).toBe('en');
    expect(detectLocale(['fr'])).toBe('en');
    expect(detectLocale([])).toBe('en');
  });

  it('fills parameters', () => {
    expect(translate('en', 'message.branch', { n: 2, total: 3 })).toBe('Version 2 of 3');
    expect(translate('zh-CN', 'message.branch', { n: 2, total: 3 })).toBe('第 2 个版本，共 3 个');
  });

  it('has every English key in Chinese, with the same parameters', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(zhCN[key], key).toBeTruthy();
      const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(params(zhCN[key]), key).toEqual(params(en[key]));
    }
  });
});
