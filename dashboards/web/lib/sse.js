// @ts-check
/**
 * Incremental parser of a text/event-stream body (WHATWG HTML §9.2.6 "Interpreting an event
 * stream"): lines end in CRLF, LF or CR; `event:` sets the type, `data:` lines are joined with LF,
 * a line starting with `:` is a comment, a blank line dispatches. Chunks may split lines anywhere.
 * @param {(type: string, data: string) => void} dispatch
 */
export function createSseParser(dispatch) {
  let buffer = '';
  let type = '';
  /** @type {string[]} */
  let data = [];
  let pendingCR = false;

  /** @param {string} line */
  function line(line) {
    if (line === '') {
      if (data.length) dispatch(type || 'message', data.join('\n'));
      type = '';
      data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }

  /** @param {string} chunk */
  return function push(chunk) {
    // A CR at the end of the previous chunk may be the first half of a CRLF.
    if (pendingCR && chunk.startsWith('\n')) chunk = chunk.slice(1);
    pendingCR = false;
    buffer += chunk;
    let m;
    while ((m = /\r\n|\r|\n/.exec(buffer))) {
      if (m[0] === '\r' && m.index === buffer.length - 1) pendingCR = true;
      line(buffer.slice(0, m.index));
      buffer = buffer.slice(m.index + m[0].length);
    }
  };
}
