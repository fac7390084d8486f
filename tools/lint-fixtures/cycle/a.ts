// Deliberately in an import cycle with ./b.ts: the import-cycle check must report it.
import type { B } from './b';

export interface A {
  b?: B;
}
