// Deliberately in an import cycle with ./a.ts: the import-cycle check must report it.
import type { A } from './a';

export interface B {
  a?: A;
}
