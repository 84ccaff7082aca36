import { describe, expect, it } from 'vitest';
import { escapeRegex, looksLikeDate, parseActions } from '../../../src/registry/history.js';

describe('history arguments', () => {
  it.each(['2024-10-01', '2024-10-01T10:30:00Z', '2024-10-01 10:30', 'Oct 1 2024', '2 weeks ago', '3.days.ago', '1 year 2 months ago', 'yesterday', '@1700000000'])(
    'reads %j as a date',
    (s) => expect(looksLikeDate(s)).toBe(true),
  );
  it.each(['garbage', 'main', '12', '2999-01-01', '1800-01-01', '--output=x', '', 'weeks ago'])('does not read %j as a date', (s) => expect(looksLikeDate(s)).toBe(false));

  it('parses one or several actions and refuses non-names', () => {
    expect(parseActions(undefined)).toBeUndefined();
    expect(parseActions('promote, demote')).toEqual(['promote', 'demote']);
    expect(() => parseActions('Reg ister')).toThrow(/--action/);
    expect(() => parseActions(',')).toThrow(/--action/);
    expect(() => parseActions('a|b')).toThrow(/--action/);
  });

  it('escapes regex metacharacters in ids', () => {
    expect(escapeRegex('mscn_1.2-x')).toBe('mscn_1\\.2-x');
    expect(new RegExp(`^${escapeRegex('a.b')}$`).test('axb')).toBe(false);
  });
});
