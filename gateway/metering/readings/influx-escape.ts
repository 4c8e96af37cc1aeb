/**
 * Escaping for the InfluxDB v1 line protocol and InfluxQL, written here so the store needs no client
 * library (the `influx` package was used only for these four lines of rules).
 *
 * - Line protocol (docs.influxdata.com, "Line protocol reference", Special characters): in tag keys,
 *   tag values and field keys, commas, equals signs and spaces are escaped with a backslash.
 * - InfluxQL (docs.influxdata.com, "InfluxQL reference", Identifiers and Literals): a double-quoted
 *   identifier escapes `"` and `\`; a single-quoted string literal escapes `'` and `\`.
 * Line breaks cannot be escaped in either: they are refused rather than passed through, because a
 * newline inside a line-protocol write would start a new point.
 */
function noLineBreak(value: string, what: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError(`${what} contains a line break: ${JSON.stringify(value)}`);
  return value;
}

export const escape = {
  /** Tag key, tag value or field key in line protocol. */
  tag(value: string): string {
    return noLineBreak(value, 'line-protocol tag').replace(/[,= ]/g, '\\$&');
  },
  /** Double-quoted: an InfluxQL identifier, or a line-protocol string field value. */
  quoted(value: string): string {
    return `"${noLineBreak(value, 'quoted identifier').replace(/["\\]/g, '\\$&')}"`;
  },
  /** Single-quoted InfluxQL string literal. */
  stringLit(value: string): string {
    return `'${noLineBreak(value, 'string literal').replace(/['\\]/g, '\\$&')}'`;
  },
} as const;
