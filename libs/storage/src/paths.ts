// Path safety for the artifact store: every path that comes from a request or an event is a
// relative path inside the store's root. No `..`, no absolute paths, no NUL bytes; and, checked on
// the file system, no symbolic link on the way that leads out of the store (a link inside the
// store that points elsewhere inside it is fine).
import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
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

const isInside = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * Checks that `full` (a path under `realRoot`, the store root with its links resolved) stays inside
 * the store once symbolic links are followed: the longest existing prefix is resolved with realpath
 * and must lie inside; a dangling link on the way is refused, since writing through it would create
 * its target wherever it points. Returns `full` unchanged.
 */
export function confineReal(realRoot: string, full: string, shown: string): string {
  const missing: string[] = [];
  let probe = full;
  for (;;) {
    let real: string | undefined;
    try {
      real = realpathSync(probe);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (isLink(probe))
        throw new UserError(`artifact path ${JSON.stringify(shown)} goes through a link to a missing target`);
    }
    if (real !== undefined) {
      if (!isInside(realRoot, join(real, ...missing.reverse())))
        throw new UserError(
          `artifact path ${JSON.stringify(shown)} leads out of the artifact store through a link`,
        );
      return full;
    }
    const parent = dirname(probe);
    if (parent === probe) return full;
    missing.push(basename(probe));
    probe = parent;
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
