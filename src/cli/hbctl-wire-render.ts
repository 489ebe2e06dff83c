// What `hbctl wire` prints for one message: the analysis (decode + verdicts), as text blocks, one-liners or JSON.
import { Buffer } from 'node:buffer';
import {
  decodeFrame,
  describeMessage,
  verifyFrame,
  type AuthKeys,
  type DecodeError,
  type DecodedFrame,
  type Field,
  type FrameVerdicts,
  type Message,
  type Verdict,
} from '../wire/index.js';
import type { CaptureOrigin, WireItem } from './hbctl-wire-input.js';

export interface Analysis {
  readonly item: WireItem;
  readonly frame: DecodedFrame | null;
  readonly error: DecodeError | null;
  /** null without keys. */
  readonly verdicts: FrameVerdicts | null;
  /** Every signature the message carries is ok, and the one a real node checks is present (see verifies()). */
  readonly verified: boolean;
}

/**
 * The rule of `hbctl wire verify`: the signature the real node checks must be ok (the trailer for netstring,
 * the inner `auth` field for classic), and the inner field, when a netstring message has one, must be ok too —
 * Heartbeat ignores it on UDP but verifies it when the same message crosses a serial link.
 */
export function verifies(form: 'netstring' | 'classic', v: FrameVerdicts): boolean {
  if (v.accepted !== 'ok') return false;
  return form === 'classic' || v.inner === 'ok' || v.inner === 'no-signature';
}

export function analyse(item: WireItem, keys: AuthKeys | undefined): Analysis {
  const f = decodeFrame(item.bytes);
  if (!f.ok) return { item, frame: null, error: f.error, verdicts: null, verified: false };
  const verdicts = keys === undefined ? null : verifyFrame(f.value, keys);
  return { item, frame: f.value, error: null, verdicts, verified: verdicts !== null && verifies(f.value.form, verdicts) };
}

const TYPE_NAMES = ['string', 'binary', 'struct', 'list', 'compressed'] as const;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function buf(v: Uint8Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Plain when it is printable ASCII without edge blanks (what operators grep for), else a JSON string. */
function textValue(v: Uint8Array): string {
  const s = buf(v).toString('latin1');
  return /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(s) ? s : JSON.stringify(s);
}

function fieldLines(fields: readonly Field[], indent: string): string[] {
  const lines: string[] = [];
  for (const f of fields) {
    switch (f.type) {
      case 0:
        lines.push(`${indent}${f.name}: ${textValue(f.value)}`);
        break;
      case 1:
      case 4:
        lines.push(`${indent}${f.name} (${TYPE_NAMES[f.type]}, ${f.value.byteLength} bytes): ${buf(f.value).toString('hex')}`);
        break;
      case 2:
        lines.push(`${indent}${f.name} (struct, ${plural(f.value.fields.length, 'field')}):`, ...fieldLines(f.value.fields, `${indent}  `));
        break;
      case 3:
        lines.push(`${indent}${f.name} (list, ${plural(f.value.length, 'item')}): [${f.value.map((e) => JSON.stringify(buf(e).toString('latin1'))).join(', ')}]`);
        break;
    }
  }
  return lines;
}

/** 2026-11-24T23:47:14.123456Z: capture times keep their microseconds. */
export function isoMicros(timeUs: number): string {
  const iso = new Date(Math.floor(timeUs / 1000)).toISOString();
  return `${iso.slice(0, -1)}${String(timeUs % 1000).padStart(3, '0')}Z`;
}

function originText(o: CaptureOrigin): string {
  const proto = o.proto === 'udp' ? `udp ${o.srcPort}→${o.dstPort}` : o.icmpType === 8 ? 'icmp echo' : 'icmp echo-reply';
  return `${isoMicros(o.timeUs)} ${o.src}→${o.dst} ${proto}`;
}

function errorText(e: DecodeError): string {
  return `cannot decode: ${e.reason} at byte ${e.offset}: ${e.detail}`;
}

export function verdictText(a: Analysis): string {
  if (a.error !== null) return `malformed (${a.error.reason})`;
  const v = a.verdicts;
  if (v === null) return 'unchecked';
  const parts = a.frame?.form === 'netstring' ? `trailer ${v.trailer}, inner ${v.inner}` : `inner ${v.inner}`;
  return a.verified ? `ok (${parts})` : `FAIL (${parts})`;
}

/** `hbctl wire decode`: a block per message, fields indented (nested structs further), verdicts at the end. */
export function decodeBlock(a: Analysis): string {
  const { item } = a;
  const where = `${item.file}#${item.index}${item.origin !== null ? ` ${originText(item.origin)}` : ''}`;
  if (a.frame === null || a.error !== null) return `${where}: ${item.bytes.byteLength} bytes, ${errorText(a.error as DecodeError)}\n`;
  const m = a.frame.message;
  const lines = [`${where}: ${a.frame.form} message, ${item.bytes.byteLength} bytes, ${plural(m.fields.length, 'field')}`, ...fieldLines(m.fields, '  ')];
  if (a.frame.inner !== null) lines.push(`  decompressed (${plural(a.frame.inner.fields.length, 'field')}):`, ...fieldLines(a.frame.inner.fields, '    '));
  if (a.frame.form === 'netstring') {
    const t = a.frame.packet.trailer;
    lines.push(`  trailer: ${t === null ? '(none)' : textValue(t)}`);
  }
  if (a.verdicts === null) lines.push('  signatures: not checked (no --authkeys)');
  else {
    if (a.frame.form === 'netstring') lines.push(`  signature trailer: ${a.verdicts.trailer}`);
    lines.push(`  signature inner auth: ${a.verdicts.inner}`);
    lines.push(`  verdict: ${a.verified ? 'ok' : 'FAIL'}`);
  }
  return `${lines.join('\n')}\n\n`;
}

/** The message an operator means: the decompressed one for a compressed frame, else the frame's own. */
function shownMessage(f: DecodedFrame): Message {
  return f.inner ?? f.message;
}

function summaryOf(m: Message): { t: string; seq: string; src: string } {
  const d = describeMessage(m);
  return { t: d.t ?? '-', seq: d.seq === undefined ? '-' : d.seq.toString(16), src: d.src ?? '-' };
}

/** One line: `time source type seq=… src=… verdict` (pcap decode) or `file#n type … verdict` (verify). */
export function summaryLine(a: Analysis): string {
  const head = a.item.origin !== null
    ? `${isoMicros(a.item.origin.timeUs)} ${a.item.origin.src} ${a.item.origin.proto}`
    : `${a.item.file}#${a.item.index}`;
  if (a.frame === null) return `${head} - seq=- src=- ${verdictText(a)}\n`;
  const s = summaryOf(shownMessage(a.frame));
  return `${head} ${s.t} seq=${s.seq} src=${s.src} ${verdictText(a)}\n`;
}

/** verify's line: the file and position first, then the capture origin if any, the message summary and verdict. */
export function verifyLine(a: Analysis): string {
  const head = `${a.item.file}#${a.item.index}${a.item.origin !== null ? ` ${isoMicros(a.item.origin.timeUs)} ${a.item.origin.src}` : ''}`;
  if (a.frame === null || a.error !== null) return `${head}: FAIL ${errorText(a.error as DecodeError)}\n`;
  const s = summaryOf(shownMessage(a.frame));
  return `${head}: ${verdictText(a)} t=${s.t} seq=${s.seq} src=${s.src}\n`;
}

type JsonField =
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'binary' | 'compressed'; hex: string }
  | { name: string; type: 'struct'; fields: JsonField[] }
  | { name: string; type: 'list'; values: string[] };

/** Fields for JSON: text as latin1 strings (one char per byte), binary as hex, structs nested. */
export function jsonFields(fields: readonly Field[]): JsonField[] {
  return fields.map((f): JsonField => {
    switch (f.type) {
      case 0:
        return { name: f.name, type: 'string', value: buf(f.value).toString('latin1') };
      case 1:
      case 4:
        return { name: f.name, type: TYPE_NAMES[f.type] as 'binary' | 'compressed', hex: buf(f.value).toString('hex') };
      case 2:
        return { name: f.name, type: 'struct', fields: jsonFields(f.value.fields) };
      case 3:
        return { name: f.name, type: 'list', values: f.value.map((e) => buf(e).toString('latin1')) };
    }
  });
}

export interface JsonVerdicts {
  readonly trailer: Verdict;
  readonly inner: Verdict;
  readonly accepted: Verdict;
  readonly verified: boolean;
}

/** One JSON Lines record per message; the same shape for decode, verify and pcap (absent parts are null). */
export function jsonRecord(a: Analysis): Record<string, unknown> {
  const o = a.item.origin;
  const base: Record<string, unknown> = {
    file: a.item.file,
    index: a.item.index,
    bytes: a.item.bytes.byteLength,
    capture: o === null ? null : { time: isoMicros(o.timeUs), timeUs: o.timeUs, src: o.src, srcPort: o.srcPort, dst: o.dst, dstPort: o.dstPort, proto: o.proto, icmpType: o.icmpType },
  };
  if (a.frame === null || a.error !== null) {
    return { ...base, form: null, error: a.error, summary: null, fields: null, decompressed: null, trailer: null, verdicts: null };
  }
  const d = describeMessage(shownMessage(a.frame));
  const { line: _line, ...summary } = d;
  void _line;
  const verdicts: JsonVerdicts | null = a.verdicts === null ? null : { ...a.verdicts, verified: a.verified };
  return {
    ...base,
    form: a.frame.form,
    error: null,
    summary,
    fields: jsonFields(a.frame.message.fields),
    decompressed: a.frame.inner === null ? null : jsonFields(a.frame.inner.fields),
    trailer: a.frame.form === 'netstring' && a.frame.packet.trailer !== null ? buf(a.frame.packet.trailer).toString('latin1') : null,
    verdicts,
  };
}
