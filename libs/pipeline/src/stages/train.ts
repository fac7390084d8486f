// train: dataset.tokenized → model.trained. Fine-tunes GPT-Neo with @ftune/trainer's runTrainJob into
// the stage folder (metrics.jsonl, checkpoint-<step>/, model/ as a Hugging Face folder), emitting
// training.progress.v1 per step. A preset is first written as a model folder (train/start-model/),
// so the model before fine-tuning can be evaluated and audited beside the trained one.
// Mitigations from audit.mitigation change the training data (./mitigation.ts).
import * as path from 'node:path';
import { UserError } from '@ftune/common';
import { newEnvelope, Topics } from '@ftune/contracts';
import { createModel, saveModel } from '@ftune/model-gpt-neo';
import { loadTokenizer, readChatTemplates, saveTokenizerFiles } from '@ftune/tokenizer';
import { trainerScalars } from '@ftune/tracking';
import { runTrainJob, toSnakeCase, type TrainJobConfig } from '@ftune/trainer';
import type { RunConfig } from '../config';
import type { Stage } from '../stage';
import { readRunConfig, trainStartPath, type TrainStart } from './common';
import { augmentTrainSplit, reweighTrainSplit, type MitigationReport } from './mitigation';

function trainJobConfig(cfg: RunConfig, model: string, dataset: string, out: string): TrainJobConfig {
  const c: TrainJobConfig = {
    model,
    dataset,
    out,
    response_template: cfg.template.responseTemplate,
    chat_template: cfg.template.chatTemplate,
    max_length: cfg.collator.maxLength,
    append_eos: cfg.collator.appendEos,
    keep_eos_learnable: cfg.collator.keepEosLearnable,
    ...toSnakeCase(cfg.training),
    // continue from the newest checkpoint in the stage folder when there is one (a restarted train job);
    // a fresh stage folder has none, so this is a fresh start
    resume: true,
  };
  if (c.response_template === undefined) delete c.response_template;
  if (c.chat_template === undefined) delete c.chat_template;
  return c;
}

export const trainStage: Stage<typeof Topics.datasetTokenized, typeof Topics.modelTrained> = {
  name: 'train',
  consumes: Topics.datasetTokenized,
  emits: Topics.modelTrained,
  async handle(event, ctx) {
    const cfg = readRunConfig(ctx.store, event.runId);
    const rel = ctx.store.stageDir(event.runId, 'train');
    const out = ctx.store.ensureDir(rel);

    // The model before fine-tuning, as a folder
    let startModel: string;
    if (cfg.model.path) {
      startModel = cfg.model.path;
    } else {
      startModel = path.join(out, 'start-model');
      const tokenizer = loadTokenizer(cfg.tokenizer);
      const model = createModel(cfg.model.preset ?? 'tiny', cfg.model.seed);
      try {
        const chatTemplate = readChatTemplates(cfg.tokenizer);
        saveModel(model, startModel, {
          writeTokenizer: (d) => saveTokenizerFiles(tokenizer, d, { chatTemplate }),
        });
      } finally {
        model.dispose();
      }
    }

    // Mitigation of the training data
    let dataset = ctx.store.path(event.datasetDir);
    let weights: number[] | undefined;
    let mitigation: MitigationReport = { kind: 'none', dimension: null };
    if (cfg.audit.mitigation === 'reweight') {
      const r = await reweighTrainSplit(dataset, cfg);
      weights = r.weights;
      mitigation = r.report;
      ctx.log(
        `reweighing over ${r.report.dimension}: ${Object.values(r.report.cells ?? {})
          .map((c) => `${c.group}/${c.label} ×${c.weight.toFixed(2)}`)
          .join(', ')}`,
      );
    } else if (cfg.audit.mitigation === 'augment') {
      const augmented = path.join(out, 'data');
      mitigation = await augmentTrainSplit(dataset, augmented, cfg);
      dataset = augmented;
      ctx.log(
        `counterfactual augmentation over ${mitigation.dimension}: ${mitigation.records?.added ?? 0} copies added to ${mitigation.records?.before ?? 0} training records`,
      );
    }
    ctx.store.writeJson(`${rel}/mitigation.json`, mitigation);
    const start: TrainStart = { startModel, mitigation: cfg.audit.mitigation, trainedOn: dataset };
    ctx.store.writeJson(trainStartPath(event.runId), start);

    let finalLoss = NaN;
    let started = Date.now();
    const emits: Array<Promise<void>> = [];
    const result = await runTrainJob(trainJobConfig(cfg, startModel, dataset, out), {
      log: (line) => ctx.log(line),
      signal: ctx.signal,
      trainWeight: weights ? (_record, i) => weights[i] : undefined,
      onEvent: (e) => {
        const scalars = trainerScalars(e);
        if (scalars) ctx.tracker?.metrics(scalars.step, scalars.values);
        if (e.type === 'start') started = Date.now();
        if (e.type === 'eval') ctx.log(`eval step ${e.record.step}: loss ${e.record.eval_loss.toFixed(4)}`);
        if (e.type !== 'step') return;
        const r = e.record;
        finalLoss = r.loss;
        const elapsed = (Date.now() - started) / 1000;
        ctx.progress?.({
          stage: 'train',
          unit: 'steps',
          done: r.step,
          total: e.totalSteps,
          fields: { loss: r.loss, elapsedSeconds: elapsed },
        });
        if (ctx.emit) {
          emits.push(
            ctx.emit(Topics.trainingProgress, {
              ...newEnvelope(event.runId),
              step: r.step,
              totalSteps: e.totalSteps,
              epoch: r.epoch,
              loss: r.loss,
              learningRate: r.learning_rate,
              tokensPerSecond: r.tokens_per_second,
            }),
          );
        }
      },
    });
    await Promise.all(emits);
    if (result.status === 'interrupted')
      throw new UserError(`training interrupted at step ${result.globalStep}`, 130);
    if (!result.modelDir) throw new Error('training finished without a model folder');
    ctx.store.writeJson(`${rel}/result.json`, result);
    return {
      ...newEnvelope(event.runId),
      modelDir: `${rel}/model`,
      metricsPath: `${rel}/metrics.jsonl`,
      steps: result.globalStep,
      finalLoss: Number.isFinite(finalLoss) ? finalLoss : result.trainLoss,
    };
  },
};
