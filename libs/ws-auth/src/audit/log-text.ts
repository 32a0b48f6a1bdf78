/** Longest client-supplied value a log line repeats; the rest is cut. */
export const MAX_LOGGED_VALUE_CHARS = 100;

/**
 * A value the client chose (an `Origin`), fit for one log line: cut to
 * `MAX_LOGGED_VALUE_CHARS`, quoted as JSON, and with every character outside
 * printable ASCII escaped, so it can neither forge a line (CR, LF, U+2028)
 * nor make the line as long as the request.
 */
export function quoteForLog(value: string): string {
  const cut = value.length > MAX_LOGGED_VALUE_CHARS;
  const quoted = JSON.stringify(cut ? value.slice(0, MAX_LOGGED_VALUE_CHARS) : value).replace(
    /[^\x20-\x7e]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return cut ? `${quoted}...(${value.length} chars)` : quoted;
}
