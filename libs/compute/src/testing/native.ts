// For the specs of ftune's native ops: the backends they compare, loaded, and why their native cases skip.
import { loadBackend, probeNative } from '../backends';

/**
 * Loads cpu and, where it is installed, the native backend; returns why the native cases skip (no native backend,
 * or `present()` false: a build without `what`), or undefined when they run.
 */
export async function loadNativeOps(present: () => boolean, what: string): Promise<string | undefined> {
  await loadBackend('cpu');
  const missing = probeNative();
  if (missing) return missing;
  await loadBackend('tensorflow');
  return present() ? undefined : `this tfjs-node build has no ${what} (reinstall: npm run install:native-tf)`;
}
