import { describe, expect, it } from 'vitest';
import { ProtocolError, TopicScheme } from './index.js';

describe('TopicScheme', () => {
  const t = new TopicScheme();

  it('builds and parses every topic kind', () => {
    expect(t.parse(t.reading('SDM630-0001'))).toEqual({ ok: true, kind: 'reading', meterId: 'SDM630-0001' });
    expect(t.parse(t.event('m1'))).toEqual({ ok: true, kind: 'event', meterId: 'm1' });
    expect(t.parse(t.state('m1'))).toEqual({ ok: true, kind: 'state', meterId: 'm1' });
    expect(t.parse(t.command('m1', 'token'))).toEqual({
      ok: true,
      kind: 'cmd',
      meterId: 'm1',
      command: 'token',
    });
    expect(t.parse(t.edgeState('edge-7'))).toEqual({ ok: true, kind: 'edge-state', edgeId: 'edge-7' });
    expect(t.reading('m1')).toBe('metergate/v1/meters/m1/reading');
  });

  it('honours a custom multi-level prefix', () => {
    const c = new TopicScheme('utility/casa/mg');
    expect(c.reading('x')).toBe('utility/casa/mg/meters/x/reading');
    expect(c.parse('utility/casa/mg/meters/x/reading')).toMatchObject({ ok: true, meterId: 'x' });
    expect(c.parse('metergate/v1/meters/x/reading')).toMatchObject({ ok: false });
  });

  it('refuses ids that would break the topic tree', () => {
    for (const bad of ['a/b', '+', '#', '', 'x'.repeat(65), 'a\u0000b', '-lead', 'é']) {
      expect(() => t.reading(bad)).toThrow(ProtocolError);
    }
    expect(() => new TopicScheme('a/+/b')).toThrow(/prefix/);
    expect(() => new TopicScheme('a//b')).toThrow(/prefix/);
    expect(() => new TopicScheme('$SYS')).toThrow(/prefix/);
  });

  it('rejects malformed topics with a reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['metergate/v1/meters/m1/readings', /unknown meter topic leaf/],
      ['metergate/v1/meters/m1/reading/extra', /unknown meter topic leaf/],
      ['metergate/v1/meters//reading', /meter id/],
      ['metergate/v1/meters/+/reading', /meter id/],
      ['metergate/v1/meters/m1/cmd', /command name/],
      ['metergate/v1/meters/m1/cmd/a/b', /unknown meter topic leaf/],
      ['metergate/v1/edges/e1/status', /expected state/],
      ['metergate/v1/gateways/g/state', /unknown collection/],
      ['other/v1/meters/m1/reading', /prefix/],
      ['metergate', /prefix/],
      ['metergate/v1/' + 'a/'.repeat(1000), /unknown collection/],
    ];
    for (const [topic, reason] of cases) {
      const r = t.parse(topic);
      expect(r.ok, topic).toBe(false);
      if (!r.ok) expect(r.reason, topic).toMatch(reason);
    }
  });

  it('builds wildcard and shared subscription filters', () => {
    expect(t.readingFilter()).toBe('metergate/v1/meters/+/reading');
    expect(t.meterFilter('m1')).toBe('metergate/v1/meters/m1/#');
    expect(t.sharedReadingFilter()).toBe('$share/ingest/metergate/v1/meters/+/reading');
  });
});
