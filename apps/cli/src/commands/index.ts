// The list of `ftune` commands, one module each.
import type { Command } from 'commander';
import { registerBackend } from './backend';
import { registerCollate } from './collate';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerBackend, registerCollate];
