// Human-readable views of a message: the header fields an operator looks for, and each field as text.
import { Buffer } from 'node:buffer';
import { FT_STRING, getString, type Field, type Message } from './message.js';

export interface MessageSummary {
  /** Message type (`t`), e.g. status, NS_ackmsg, ask_resources. */
  readonly t?: string;
  readonly st?: string;
  readonly src?: string;
  readonly dest?: string;
  /** `seq`, `hg`, `ts` and `dt` are hex on the wire (pitfall 8); these are their values (NaN-free or absent). */
  readonly seq?: number;
  readonly hg?: number;
  readonly ts?: number;
  readonly dtMs?: number;
  /** `ttl` is decimal. */
  readonly ttl?: number;
  readonly fieldCount: number;
  /** One line, e.g. `t=status st=active src=alpha seq=13 hg=6b05da4d ts=6b05dce5` (wire spellings). */
  readonly line: string;
}

function hexValue(s: string | undefined): number | undefined {
  return s !== undefined && /^[0-9a-fA-F]{1,13}$/.test(s) ? parseInt(s, 16) : undefined;
}

/** The usual header fields of a Heartbeat message, parsed with the radix each one uses. */
export function describeMessage(m: Message): MessageSummary {
  const text = (n: string): string | undefined => getString(m, n);
  const ttlText = text('ttl');
  const entries: Array<[string, unknown]> = [
    ['t', text('t')],
    ['st', text('st')],
    ['src', text('src')],
    ['dest', text('dest')],
    ['seq', hexValue(text('seq'))],
    ['hg', hexValue(text('hg'))],
    ['ts', hexValue(text('ts'))],
    ['dtMs', hexValue(text('dt'))],
    ['ttl', ttlText !== undefined && /^\d{1,9}$/.test(ttlText) ? Number(ttlText) : undefined],
  ];
  const summary: Record<string, unknown> = { fieldCount: m.fields.length };
  for (const [k, v] of entries) if (v !== undefined) summary[k] = v;
  const line = ['t', 'st', 'src', 'dest', 'seq', 'hg', 'ts']
    .flatMap((n) => {
      const v = text(n);
      return v === undefined ? [] : [`${n}=${JSON.stringify(v).slice(1, -1)}`];
    })
    .join(' ');
  summary['line'] = line;
  return summary as unknown as MessageSummary;
}

/** A field's value as printable text: text fields JSON-escaped, binary as hex or base64, nesting recursive. */
export function fieldValueText(f: Field, binaryAs: 'hex' | 'base64' = 'hex'): string {
  const bytes = (v: Uint8Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  switch (f.type) {
    case FT_STRING:
      return JSON.stringify(bytes(f.value).toString('latin1'));
    case 1:
    case 4:
      return bytes(f.value).toString(binaryAs);
    case 2:
      return `{ ${f.value.fields.map((c) => `${c.name}=${fieldValueText(c, binaryAs)}`).join(', ')} }`;
    case 3:
      return `[${f.value.map((e) => JSON.stringify(bytes(e).toString('latin1'))).join(', ')}]`;
  }
}
