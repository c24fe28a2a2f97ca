// Operational failures: one line for the user, a code for the exit status, never a stack trace.

export class QtraceError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = 'QtraceError';
    this.code = code;
    this.hint = hint;
  }
}
