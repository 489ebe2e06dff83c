// Reading a config file the way Heartbeat does: fgets into a fixed buffer, so over-long lines are cut in pieces.

/** Heartbeat's MAXLINE: fgets(buf, 5120) returns at most 5119 characters at a time. */
export const MAXLINE = 5120;
export const WHITESPACE = ' \t\n\r\f';
export const DELIMS = ', \t\n\r\f';

export interface SourceLine {
  /** The characters fgets returned, without the newline. */
  readonly text: string;
  /** True when this piece ended with the newline (it is the end of a physical line). */
  readonly endsLine: boolean;
  /** 1-based physical line number. */
  readonly line: number;
  /** 0-based column where this piece starts within its physical line (non-zero for the tail of a long line). */
  readonly offset: number;
  /** True when this piece is not the start of its physical line: Heartbeat reads it as a line of its own. */
  readonly isTail: boolean;
}

/** Splits text as repeated fgets(buf, bufSize) calls would (one char = one byte: pass latin1 text). */
export function readLines(text: string, bufSize: number = MAXLINE): SourceLine[] {
  const out: SourceLine[] = [];
  const room = bufSize - 1;
  let line = 1;
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const physical = text.slice(start, nl);
    const hasNewline = nl < text.length;
    let offset = 0;
    // Each fgets call takes up to `room` characters, the newline counting as one.
    for (;;) {
      const rest = physical.length - offset;
      if (rest + (hasNewline ? 1 : 0) <= room) {
        out.push({ text: physical.slice(offset), endsLine: hasNewline, line, offset, isTail: offset > 0 });
        break;
      }
      out.push({ text: physical.slice(offset, offset + room), endsLine: false, line, offset, isTail: offset > 0 });
      offset += room;
    }
    start = nl + 1;
    line += 1;
  }
  return out;
}

export function spanOf(s: string, from: number, set: string): number {
  let i = from;
  while (i < s.length && set.includes(s[i] as string)) i++;
  return i;
}

export function cspanOf(s: string, from: number, set: string): number {
  let i = from;
  while (i < s.length && !set.includes(s[i] as string)) i++;
  return i;
}

export interface Token {
  readonly text: string;
  /** 0-based index in the piece's text. */
  readonly at: number;
}

/** Tokens separated by any of `seps`, with their positions. */
export function tokens(s: string, seps: string, from = 0): Token[] {
  const out: Token[] = [];
  let i = spanOf(s, from, seps);
  while (i < s.length) {
    const end = cspanOf(s, i, seps);
    out.push({ text: s.slice(i, end), at: i });
    i = spanOf(s, end, seps);
  }
  return out;
}

/** C atoi: optional blanks and sign, then digits; anything else stops it (0 when there are none). */
export function atoi(s: string): number {
  const m = /^[ \t\n\r\f\v]*([+-]?\d+)/.exec(s);
  if (m === null) return 0;
  const n = Number(m[1]);
  // int overflow is undefined in C; glibc's strtol saturates. Keep within 32 bits the same way.
  return Math.max(-2147483648, Math.min(2147483647, n));
}

/** True when atoi would read the whole token (no junk, no empty string). */
export function isPlainInt(s: string): boolean {
  return /^[+-]?\d+$/.test(s);
}
