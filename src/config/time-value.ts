// Heartbeat's time values (cluster-glue cl_get_msec): "2" is seconds, "1500ms" milliseconds, "500us" microseconds.

export interface TimeValue {
  /** Milliseconds, or -1 where Heartbeat's parser says -1 (invalid). */
  readonly ms: number;
  /** True when the text is not in the documented form and Heartbeat reads it leniently (e.g. "1..5", "500msxyz"). */
  readonly lenient: boolean;
}

const NUMCHARS = '0123456789.';
const WHITESPACE = ' \t\n\r\f';
const STRICT = /^(\d+(\.\d*)?|\.\d+)(ms|msec|us|usec)?$/;

function span(s: string, from: number, set: string): number {
  let i = from;
  while (i < s.length && set.includes(s[i] as string)) i++;
  return i;
}

/** C atof on a prefix: the longest leading decimal number ("1..5" → 1, "." → 0). */
function atofPrefix(s: string): number {
  const m = /^[+-]?(\d+\.?\d*|\.\d+)/.exec(s);
  return m === null ? 0 : Number(m[0]);
}

/**
 * cl_get_msec, faithfully: a run of digits and dots, optional blanks, then a unit: none = seconds, anything
 * starting with "ms" (any case) = ms, "us" = µs; any other unit → -1. Rounded to the nearest ms.
 */
export function parseTime(text: string): TimeValue {
  const cp = span(text, 0, WHITESPACE);
  if (cp >= text.length || !NUMCHARS.includes(text[cp] as string)) return { ms: -1, lenient: false };
  let units = span(text, cp, NUMCHARS);
  units = span(text, units, WHITESPACE);
  const unit = text.slice(units);
  let multiplier = 1000;
  let divisor = 1;
  const lower = unit.toLowerCase();
  if (lower.startsWith('ms') || lower.startsWith('cl_g')) {
    multiplier = 1;
  } else if (lower.startsWith('us')) {
    multiplier = 1;
    divisor = 1000;
  } else if (unit !== '' && unit[0] !== '\n' && unit[0] !== '\r') {
    return { ms: -1, lenient: false };
  }
  const value = (atofPrefix(text.slice(cp)) * multiplier) / divisor + 0.5;
  return { ms: Math.trunc(value), lenient: !STRICT.test(text.trim()) };
}

/** "1500 ms" for messages. */
export function formatMs(ms: number): string {
  return `${ms} ms`;
}
