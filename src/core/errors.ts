// Typed errors with stable codes, for the edges (CLI, daemon); pure code returns Results instead.

export class HbError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HbError';
    this.code = code;
  }
}
