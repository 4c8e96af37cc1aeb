import { Type } from '@sinclair/typebox';

/** The engineers' network map (gateway/field/map): an optional tile server beside the shipped basemap. */
export const MapSection = Type.Object(
  {
    /**
     * A tile server the utility runs (`{z}/{x}/{y}` template over http(s)); without one the map
     * draws the shipped Natural Earth boundaries only, which need no network. Its origin is added
     * to the dashboards' Content-Security-Policy (img-src).
     */
    tileUrl: Type.Optional(
      Type.String({
        maxLength: 500,
        pattern: '^https?://[^/\\s]+/\\S*\\{z\\}\\S*\\{x\\}\\S*\\{y\\}\\S*$',
        description: 'e.g. https://tiles.example.ma/{z}/{x}/{y}.png',
      }),
    ),
    /** Credit line shown under the tiles (the tile provider's licence usually requires one). */
    tileAttribution: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false, default: {} },
);
