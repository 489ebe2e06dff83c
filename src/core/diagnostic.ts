// Diagnostics: one problem found in an input file, pinpointed to file, line and column.

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  /** The file as the user named it (e.g. "ha.cf" or "/etc/ha.d/ha.cf"). */
  readonly file: string;
  /** 1-based line; 0 when the problem concerns the whole file. */
  readonly line: number;
  /** 1-based column; 0 when the problem concerns the whole line or file. */
  readonly column: number;
  /** A stable code such as HA_CFG_BAD_DURATION; pinned by tests, never renamed. */
  readonly code: string;
  readonly severity: Severity;
  /** Plain English: what is wrong and, where we can tell, what to do. */
  readonly message: string;
}

/** `ha.cf:14:10: error HA_CFG_BAD_DURATION: deadtime "10s": …` — the format every tool prints. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column > 0 ? d.column : 1}` : d.file;
  return `${where}: ${d.severity} ${d.code}: ${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Stable order for printing: by file, then line, then column; the original order breaks ties. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) =>
      a.d.file === b.d.file
        ? a.d.line - b.d.line || a.d.column - b.d.column || a.i - b.i
        : a.d.file < b.d.file ? -1 : 1,
    )
    .map(({ d }) => d);
}
