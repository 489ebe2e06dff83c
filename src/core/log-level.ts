// Log levels, as every layer reports them (cluster-glue cl_log priorities; `err`, not `error`).

export type LogLevel = 'debug' | 'info' | 'warn' | 'err' | 'crit';
