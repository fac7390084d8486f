// Names no other writer uses: temporary files and folders beside a target, leases' holder names.
// The process id alone is not enough — in a container every process is PID 1 — so the host name and
// random bytes go with it.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** `<host>-<pid>-<12 random hex>`, safe in a file name. */
export function uniqueSuffix(): string {
  return `${hostname().replace(/[^A-Za-z0-9-]/g, '-')}-${process.pid}-${randomBytes(6).toString('hex')}`;
}
