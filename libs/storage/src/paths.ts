// Path safety for the artifact store: every path that comes from a request or an event is a
// relative path inside the store's root. No `..`, no absolute paths, no NUL bytes.
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { UserError } from '@ftune/common';

/** A run id or other single path segment: letters, digits, '.', '_', '-' (1–128 chars, not '.' or '..'). */
export function checkSegment(value: string, what = 'run id'): string {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(value) || value === '.' || value === '..') {
    throw new UserError(
      `invalid ${what} ${JSON.stringify(value)}: use 1-128 letters, digits, '.', '_' or '-'`,
    );
  }
  return value;
}

/** Resolves a relative path under `root`, refusing anything that would escape it. */
export function resolveInside(root: string, relPath: string): string {
  if (typeof relPath !== 'string' || relPath.length === 0) throw new UserError('empty artifact path');
  if (relPath.includes('\0')) throw new UserError('artifact path contains a NUL byte');
  if (isAbsolute(relPath) || /^[A-Za-z]:[\\/]/.test(relPath)) {
    throw new UserError(`artifact path ${JSON.stringify(relPath)} must be relative to the artifact store`);
  }
  const parts = relPath.split(/[\\/]+/);
  if (parts.includes('..'))
    throw new UserError(`artifact path ${JSON.stringify(relPath)} must not contain '..'`);
  const full = normalize(join(root, relPath));
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw new UserError(`artifact path ${JSON.stringify(relPath)} escapes the artifact store`);
  }
  return full;
}
