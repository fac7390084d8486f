// The default run id: `<name>-<UTC time to the millisecond>-<6 random hex>`, so two runs started in
// the same second (or the same millisecond, on two replicas) never share an id.
import { randomBytes } from 'node:crypto';

export function newRunId(name = 'run', at = new Date()): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 80) || 'run';
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '');
  return `${safe}-${stamp}-${randomBytes(3).toString('hex')}`;
}
