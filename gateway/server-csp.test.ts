import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from './server.js';

describe('the dashboards’ Content-Security-Policy', () => {
  it('takes images from this origin only, unless a tile server is configured, and nothing else widens', () => {
    expect(contentSecurityPolicy().directives.imgSrc).toEqual(["'self'", 'data:']);
    const withTiles = contentSecurityPolicy(['https://tiles.example.ma']).directives;
    expect(withTiles.imgSrc).toEqual(["'self'", 'data:', 'https://tiles.example.ma']);
    expect(withTiles.connectSrc).toEqual(["'self'"]);
    expect(withTiles.scriptSrc).toEqual(["'self'"]);
    // The shared default is not changed by a gateway that has a tile server.
    expect(contentSecurityPolicy().directives.imgSrc).toHaveLength(2);
  });
});
