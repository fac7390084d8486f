import { describe, expect, it } from 'vitest';
import { isUserError } from '@ftune/common';
import { type BackendInfo, BackendUnavailable, CANDIDATES, type Candidate } from './backends';
import { chooseBackend, describeChoice, parseBackendName } from './chooser';

const info = (backend: BackendInfo['backend'], device: BackendInfo['device'] = 'cpu'): BackendInfo => ({
  backend,
  device,
  version: '1.0',
  threads: 1,
});

/** A loader where only `available` load; the others report a reason naming them. */
function fakeLoader(available: Partial<Record<Candidate, BackendInfo>>) {
  const tried: Candidate[] = [];
  const load = async (c: Candidate) => {
    tried.push(c);
    const found = available[c];
    if (!found) throw new BackendUnavailable(c, `${c} missing`);
    return found;
  };
  return { load, tried };
}

describe('chooseBackend', () => {
  it('takes the first candidate that loads, recording why earlier ones were skipped', async () => {
    const { load, tried } = fakeLoader({ wasm: info('wasm'), cpu: info('cpu') });
    const choice = await chooseBackend(CANDIDATES, load);
    expect(choice.candidate).toBe('wasm');
    expect(choice.info.backend).toBe('wasm');
    expect(tried).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm']);
    expect(choice.skipped).toEqual([
      { candidate: 'tensorflow-gpu', reason: 'tensorflow-gpu missing' },
      { candidate: 'tensorflow', reason: 'tensorflow missing' },
    ]);
    expect(describeChoice(choice)).toEqual([
      'backend wasm on cpu (chosen; version 1.0, 1 thread)',
      'skipped tensorflow-gpu: tensorflow-gpu missing',
      'skipped tensorflow: tensorflow missing',
    ]);
  });

  it('prefers the GPU when it loads', async () => {
    const { load } = fakeLoader({ 'tensorflow-gpu': info('tensorflow', 'gpu'), tensorflow: info('tensorflow') });
    const choice = await chooseBackend(CANDIDATES, load);
    expect(choice).toMatchObject({ candidate: 'tensorflow-gpu', skipped: [], info: { device: 'gpu' } });
  });

  it('turns a forced backend that is unavailable into a user error with the reason', async () => {
    const { load } = fakeLoader({ cpu: info('cpu') });
    const err = await chooseBackend(['tensorflow'], load, 'FTUNE_BACKEND=native').catch((e: unknown) => e);
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toBe('FTUNE_BACKEND=native: backend tensorflow is unavailable: tensorflow missing');
  });

  it('says so when no backend loads at all', async () => {
    const { load } = fakeLoader({});
    await expect(chooseBackend(CANDIDATES, load)).rejects.toThrow(/no TensorFlow.js backend could be loaded: tensorflow-gpu: /);
  });

  it('does not swallow unexpected loader failures', async () => {
    const load = async (): Promise<BackendInfo> => {
      throw new TypeError('bug');
    };
    await expect(chooseBackend(CANDIDATES, load)).rejects.toThrow(TypeError);
  });
});

describe('parseBackendName', () => {
  it('accepts the backend names and their aliases, case-insensitively', () => {
    expect(parseBackendName('tensorflow')).toBe('tensorflow');
    expect(parseBackendName('Native')).toBe('tensorflow');
    expect(parseBackendName('gpu')).toBe('tensorflow-gpu');
    expect(parseBackendName(' wasm ')).toBe('wasm');
    expect(parseBackendName('cpu')).toBe('cpu');
  });

  it('rejects an unknown name with a user error listing the valid ones', () => {
    expect(() => parseBackendName('webgl')).toThrow(
      'FTUNE_BACKEND=webgl: unknown backend (use one of tensorflow-gpu, gpu, tensorflow, native, wasm, cpu)',
    );
  });
});
