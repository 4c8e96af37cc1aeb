import { describe, expect, it } from 'vitest';
import { TopicScheme } from '../protocol/index.js';
import { decidePublish, decideSubscribe } from './acl.js';
import { makeIdentity } from './identity.js';

const scheme = new TopicScheme();
const edge = makeIdentity('edge', 'edge-1', ['M-1', 'M-2'], 'password');
const meter = makeIdentity('meter', 'M-1', ['M-9'], 'password'); // a meter's meters are ignored: only itself
const dash = makeIdentity('dashboard', 'dash', [], 'password');
const gw = makeIdentity('gateway', 'gw', [], 'password');
const P = 'metergate/v1';

// Cases are fixtures with stable ids: [id, identity, topic, allowed]
const publishCases: Array<[string, typeof edge, string, boolean]> = [
  ['pub-01', edge, `${P}/meters/M-1/reading`, true],
  ['pub-02', edge, `${P}/meters/M-2/event`, true],
  ['pub-03', edge, `${P}/meters/M-2/state`, true],
  ['pub-04', edge, `${P}/meters/M-3/reading`, false],
  ['pub-05', edge, `${P}/meters/M-1/cmd/token`, false],
  ['pub-06', edge, `${P}/edges/edge-1/state`, true],
  ['pub-07', edge, `${P}/edges/edge-2/state`, false],
  ['pub-08', meter, `${P}/meters/M-1/reading`, true],
  ['pub-09', meter, `${P}/meters/M-9/reading`, false],
  ['pub-10', meter, `${P}/edges/M-1/state`, false],
  ['pub-11', dash, `${P}/meters/M-1/reading`, false],
  ['pub-12', gw, `${P}/meters/M-1/cmd/token`, true],
  ['pub-13', gw, `$SYS/broker/x`, false],
  ['pub-14', edge, `other/meters/M-1/reading`, false],
  ['pub-15', edge, `${P}/meters/M-1/reading/extra`, false],
  ['pub-16', gw, `${P}/meters/M-1`, false],
];

describe('decidePublish', () => {
  it.each(publishCases)('%s %s', (_id, who, topic, allowed) => {
    const d = decidePublish(who, topic, scheme);
    expect(d.ok).toBe(allowed);
    if (!d.ok) expect(d.reason.length).toBeGreaterThan(5);
  });
  it('uses the configured prefix', () => {
    const s = new TopicScheme('site/a');
    expect(decidePublish(edge, 'site/a/meters/M-1/reading', s).ok).toBe(true);
    expect(decidePublish(edge, `${P}/meters/M-1/reading`, s).ok).toBe(false);
  });
});

const subscribeCases: Array<[string, typeof edge, string, boolean]> = [
  ['sub-01', dash, `${P}/meters/+/reading`, true],
  ['sub-02', dash, `${P}/meters/+/+`, true],
  ['sub-03', dash, `${P}/+/+/state`, true],
  ['sub-04', dash, `${P}/meters/#`, false],
  ['sub-05', dash, `${P}/#`, false],
  ['sub-06', dash, `#`, false],
  ['sub-07', dash, `${P}/meters/+/+/+`, false],
  ['sub-08', dash, `${P}/meters/M-1/cmd/token`, false],
  ['sub-09', dash, `$SYS/#`, false],
  ['sub-10', dash, `foo/bar`, false],
  ['sub-11', dash, `$share/g/${P}/meters/+/reading`, true],
  ['sub-12', dash, `$share/g/${P}/#`, false],
  ['sub-13', meter, `${P}/meters/M-1/cmd/#`, true],
  ['sub-14', meter, `${P}/meters/M-1/cmd/+`, true],
  ['sub-15', meter, `${P}/meters/M-1/#`, false],
  ['sub-16', meter, `${P}/meters/M-2/cmd/#`, false],
  ['sub-17', meter, `${P}/meters/+/cmd/#`, false],
  ['sub-18', meter, `${P}/meters/M-1/state`, true],
  ['sub-19', meter, `${P}/meters/M-1/reading`, false],
  ['sub-20', edge, `${P}/meters/M-2/cmd/#`, true],
  ['sub-21', edge, `${P}/meters/M-3/cmd/#`, false],
  ['sub-22', edge, `${P}/meters/+/cmd/#`, false],
  ['sub-23', edge, `${P}/edges/edge-1/state`, true],
  ['sub-24', edge, `${P}/edges/+/state`, false],
  ['sub-25', gw, `#`, true],
  ['sub-26', gw, `$share/ingest/${P}/meters/+/reading`, true],
  ['sub-27', dash, `${P}/meters/M-1/cmd/#/x`, false],
  ['sub-28', dash, `${P}/meters/bad id/reading`, false],
  ['sub-29', meter, `${P}/meters/M-1/cmd`, false], // no such scheme topic
];

describe('decideSubscribe', () => {
  it.each(subscribeCases)('%s %s', (_id, who, filter, allowed) => {
    expect(decideSubscribe(who, filter, scheme).ok).toBe(allowed);
  });
});
