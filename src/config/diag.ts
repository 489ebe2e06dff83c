// Building diagnostics for the config checks, with codes from codes.ts only.
import type { Diagnostic, Severity } from '../core/diagnostic.js';
import type { ConfigCode } from './codes.js';

export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  constructor(readonly file: string) {}

  /** column is 1-based (0: the whole line); line 0: the whole file. */
  add(line: number, column: number, code: ConfigCode, severity: Severity, message: string): void {
    this.list.push({ file: this.file, line, column, code, severity, message });
  }
  error(line: number, column: number, code: ConfigCode, message: string): void {
    this.add(line, column, code, 'error', message);
  }
  warn(line: number, column: number, code: ConfigCode, message: string): void {
    this.add(line, column, code, 'warning', message);
  }
  info(line: number, column: number, code: ConfigCode, message: string): void {
    this.add(line, column, code, 'info', message);
  }
}

/** A value quoted for a message, shortened if huge. */
export function q(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}
