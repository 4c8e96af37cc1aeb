import { describe, expect, it } from 'vitest';
import { escape } from './influx-escape.js';

describe('InfluxDB escaping', () => {
  it('escapes commas, equals signs and spaces in line-protocol tags and field keys', () => {
    expect(escape.tag('MTR-001')).toBe('MTR-001');
    expect(escape.tag('a b,c=d')).toBe('a\\ b\\,c\\=d');
    expect(escape.tag('1-0:1.8.0*255')).toBe('1-0:1.8.0*255');
  });

  it('double-quotes identifiers and string fields, escaping quotes and backslashes', () => {
    expect(escape.quoted('metergate')).toBe('"metergate"');
    expect(escape.quoted('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it('single-quotes string literals, escaping quotes and backslashes (no injection)', () => {
    expect(escape.stringLit("MTR' OR 1=1 --")).toBe("'MTR\\' OR 1=1 --'");
    expect(escape.stringLit('a\\')).toBe("'a\\\\'");
  });

  it('refuses line breaks, which would start a new line-protocol point', () => {
    expect(() => escape.tag('a\nb')).toThrow(/line break/);
    expect(() => escape.quoted('a\r\nb')).toThrow(/line break/);
    expect(() => escape.stringLit('x\n')).toThrow(/line break/);
  });
});
