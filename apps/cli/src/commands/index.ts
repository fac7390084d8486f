// The list of `ftune` commands, one module each.
import type { Command } from 'commander';
import { registerAudit } from './audit';
import { registerBackend } from './backend';
import { registerCollate } from './collate';
import { registerDetokenize } from './detokenize';
import { registerEvaluate } from './evaluate';
import { registerIngest } from './ingest';
import { registerMerge } from './merge';
import { registerGenerate } from './generate';
import { registerRun } from './run';
import { registerScore } from './score';
import { registerServe } from './serve';
import { registerTokenize } from './tokenize';
import { registerTrain } from './train';
import { registerTrainJob } from './train-job';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerBackend, registerCollate, registerTokenize, registerDetokenize, registerIngest, registerTrain, registerEvaluate, registerScore, registerGenerate, registerMerge, registerRun, registerAudit, registerServe, registerTrainJob];
