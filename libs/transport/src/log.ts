// Structured logs: one JSON object per line on stdout with the time, level, service and, where a
// message concerns a run, its run id, so a log system can follow one run across services.
import type { LoggerService } from '@nestjs/common';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown> & { runId?: string };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(
  base: LogFields,
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  minLevel: LogLevel = (process.env.FTUNE_LOG_LEVEL as LogLevel | undefined) ?? 'info',
): Logger {
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < (ORDER[minLevel] ?? 20)) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, ...base, msg, ...fields }, errorReplacer));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, write, minLevel),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}

/** NestJS's own messages through the same JSON lines. */
export function nestLogger(log: Logger): LoggerService {
  const text = (m: unknown) => (typeof m === 'string' ? m : JSON.stringify(m));
  const ctx = (params: unknown[]) => (params.length ? { context: params[params.length - 1] } : undefined);
  return {
    log: (m: unknown, ...p: unknown[]) => log.debug(text(m), ctx(p)),
    error: (m: unknown, ...p: unknown[]) => log.error(text(m), ctx(p)),
    warn: (m: unknown, ...p: unknown[]) => log.warn(text(m), ctx(p)),
    debug: (m: unknown, ...p: unknown[]) => log.debug(text(m), ctx(p)),
    verbose: (m: unknown, ...p: unknown[]) => log.debug(text(m), ctx(p)),
  };
}
