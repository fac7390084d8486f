// Finds import cycles among the workspace's TypeScript files: every `import`, `export … from`,
// `import()` and `require()` (type-only imports too: a cycle of types is still two files that cannot be
// read apart), with relative paths and workspace packages (`@ftune/<name>`, through their package.json
// `exports` or `main`) resolved to files. Prints each cycle and exits 1 when there is one.
// Usage: node --import tsx tools/workspace-checks/import-cycles.ts [root …] (default: apps libs tests tools)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const SKIP = new Set(['node_modules', 'dist', 'gen', 'lint-fixtures']);

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) tsFiles(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function asFile(base: string): string | undefined {
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile() && candidate.endsWith('.ts')) return candidate;
  }
  return undefined;
}

interface Pkg {
  dir: string;
  main?: string;
  exports?: Record<string, string>;
}

/** The workspace packages by name, from the package.json of every folder under `roots`. */
function workspacePackages(workspace: string): Map<string, Pkg> {
  const pkgs = new Map<string, Pkg>();
  for (const group of ['apps', 'libs', 'tests', 'tools']) {
    const base = join(workspace, group);
    if (!existsSync(base)) continue;
    const dirs = existsSync(join(base, 'package.json'))
      ? [base]
      : readdirSync(base, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(base, d.name));
    for (const dir of dirs) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Pkg & { name?: string };
      if (pkg.name) pkgs.set(pkg.name, { dir, main: pkg.main, exports: pkg.exports });
    }
  }
  return pkgs;
}

function resolveSpecifier(spec: string, from: string, pkgs: Map<string, Pkg>): string | undefined {
  if (spec.startsWith('.')) return asFile(resolve(dirname(from), spec));
  const m = /^(@[^/]+\/[^/]+|[^@/][^/]*)(\/.*)?$/.exec(spec);
  const pkg = m ? pkgs.get(m[1]) : undefined;
  if (!pkg || !m) return undefined;
  const sub = m[2] ? `.${m[2]}` : '.';
  const target = pkg.exports?.[sub] ?? (sub === '.' ? (pkg.main ?? 'index.ts') : sub);
  return asFile(join(pkg.dir, target));
}

/** The import graph of the files under `roots` (absolute paths). */
export function importGraph(workspace: string, roots: string[]): Map<string, string[]> {
  const pkgs = workspacePackages(workspace);
  const graph = new Map<string, string[]>();
  for (const root of roots) {
    for (const file of tsFiles(root)) {
      const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      const deps = info.importedFiles
        .map((f) => resolveSpecifier(f.fileName, file, pkgs))
        .filter((d): d is string => d !== undefined && d !== file);
      graph.set(file, [...new Set(deps)]);
    }
  }
  return graph;
}

/** The cycles of a graph: its strongly connected components with more than one file (Tarjan). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) cycles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return cycles;
}

if (require.main === module) {
  const workspace = resolve(__dirname, '../..');
  const args = process.argv.slice(2);
  const roots = (args.length > 0 ? args : ['apps', 'libs', 'tests', 'tools']).map((r) =>
    resolve(workspace, r),
  );
  const cycles = findCycles(importGraph(workspace, roots));
  for (const c of cycles) {
    process.stdout.write(`import cycle:\n${c.map((f) => `  ${relative(workspace, f)}`).join('\n')}\n`);
  }
  process.stdout.write(`${cycles.length} import cycle(s)\n`);
  process.exitCode = cycles.length > 0 ? 1 : 0;
}
