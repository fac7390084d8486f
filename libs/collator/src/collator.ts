// The collator: examples → row steps in order → layout → CollatedBatch. Built from data by fromConfig().
import type { CollatedBatch } from './batch';
import type { CollatorConfig, LayoutConfig, StepConfig } from './config';
import type { Layout } from './layouts/layout';
import { pack } from './layouts/pack';
import { pad } from './layouts/pad';
import { paddingFree } from './layouts/padding-free';
import { exampleName, toRow, type Example } from './row';
import { appendEos } from './steps/append-eos';
import { checkTemplateContext } from './steps/check-template-context';
import { completionOnly } from './steps/completion-only';
import { maskPadId } from './steps/mask-pad-id';
import { requireTrainable } from './steps/require-trainable';
import type { RowStep } from './steps/step';
import { truncate } from './steps/truncate';
import type { TemplateTokenizer } from './tokenizer';
import { ignoreWarnings, type WarningSink } from './warnings';

export interface CollateResult {
  batch: CollatedBatch;
  /** For each row of the batch, the names of the examples in it (one each unless packed / padding-free). */
  examples: string[][];
  /** Names of examples removed by a step (e.g. require-trainable with action 'drop'). */
  dropped: string[];
}

export interface CollatorDeps {
  /** Needed only by the 'check-template-context' step. */
  tokenizer?: TemplateTokenizer;
  /** Receives every warning; default: dropped. */
  onWarning?: WarningSink;
}

export class Collator {
  constructor(
    readonly config: CollatorConfig,
    private readonly steps: readonly RowStep[],
    private readonly layout: Layout,
    private readonly warn: WarningSink,
  ) {}

  collate(examples: readonly Example[]): CollateResult {
    let rows = examples.map(toRow);
    for (const step of this.steps) rows = step.apply(rows, this.warn);
    const laidOut = this.layout.build(rows);
    const dropped =
      rows.length === examples.length
        ? []
        : droppedNames(
            examples.map(exampleName),
            rows.map((r) => r.name),
          );
    return { ...laidOut, dropped };
  }
}

export function fromConfig(config: CollatorConfig, deps: CollatorDeps = {}): Collator {
  const steps = config.steps.map((step) => buildStep(step, deps));
  return new Collator(config, steps, buildLayout(config.layout), deps.onWarning ?? ignoreWarnings);
}

function buildStep(config: StepConfig, deps: CollatorDeps): RowStep {
  switch (config.type) {
    case 'append-eos':
      return appendEos(config);
    case 'truncate':
      return truncate(config);
    case 'mask-pad-id':
      return maskPadId(config);
    case 'completion-only':
      return completionOnly(config);
    case 'require-trainable':
      return requireTrainable(config);
    case 'check-template-context':
      if (!deps.tokenizer) throw new Error('the check-template-context step needs a tokenizer');
      return checkTemplateContext(config, deps.tokenizer);
  }
}

function buildLayout(config: LayoutConfig): Layout {
  switch (config.type) {
    case 'pad':
      return pad(config);
    case 'padding-free':
      return paddingFree(config);
    case 'pack':
      return pack(config);
  }
}

function droppedNames(all: string[], kept: string[]): string[] {
  const left = new Map<string, number>();
  for (const name of kept) left.set(name, (left.get(name) ?? 0) + 1);
  return all.filter((name) => {
    const n = left.get(name) ?? 0;
    if (n > 0) left.set(name, n - 1);
    return n === 0;
  });
}
