// The stage chain, derived from `Stages` of @ftune/contracts (the one place the order is written):
// the stage names in order, a stage's place in the chain, and which stage an event finishes and which
// it starts. The run record (./run-record.ts), the embedded runner and `ftune run` read it from here.
import { Stages, type StageName, type Topic } from '@ftune/contracts';

/** The stage names in pipeline order. */
export const STAGE_NAMES: readonly StageName[] = Stages.map((s) => s.stage);

/** How many stages a run has. */
export const STAGE_COUNT = Stages.length;

/** A stage's place in the chain, from 1. */
export function stageNumber(stage: StageName): number {
  return STAGE_NAMES.indexOf(stage) + 1;
}

export function isStageName(name: string): name is StageName {
  return (STAGE_NAMES as readonly string[]).includes(name);
}

export interface Transition {
  /** The stage the event finishes (the event is that stage's output). */
  done?: StageName;
  /** The stage the event starts (the event is that stage's input). */
  next?: StageName;
  /** The field of the event that names the finished stage's artifact. */
  artifact?: string;
}

/** Which stage `topic` finishes and which it starts (none for events outside the chain). */
export function transitionOf(topic: Topic): Transition {
  const done = Stages.find((s) => s.emits === topic);
  const next = Stages.find((s) => s.consumes === topic);
  return {
    ...(done ? { done: done.stage, artifact: done.artifact } : {}),
    ...(next ? { next: next.stage } : {}),
  };
}
