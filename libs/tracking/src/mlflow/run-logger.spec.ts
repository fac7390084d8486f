// A tracking server that is down, on a real socket: a port on 127.0.0.1 that refuses connections.
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { MlflowRunLogger } from './run-logger';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('MlflowRunLogger with the server down', () => {
  it('queues without throwing, retries until the close deadline, then warns once more naming what was lost', async () => {
    const port = await closedPort();
    const warnings: string[] = [];
    const logger = new MlflowRunLogger({
      settings: { trackingUri: `http://127.0.0.1:${port}`, experimentName: 'e', headers: {} },
      runName: 'r',
      warn: (m) => warnings.push(m),
      closeTimeoutMs: 1500,
      flushIntervalMs: 50,
    });
    logger.logParams({ 'training.learningRate': 0.001 });
    for (let step = 1; step <= 5; step++) logger.logMetrics(step, { 'train/loss': 3 - step / 10 });
    logger.logArtifact('/nonexistent/report.html', 'report.html');
    const t0 = Date.now();
    await logger.close('FINISHED');
    const seconds = (Date.now() - t0) / 1000;
    expect(seconds).toBeLessThan(10);
    expect(logger.run).toBeNull();
    expect(warnings[0]).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} unreachable.*buffering and retrying`));
    expect(warnings.at(-1)).toMatch(
      /not delivered to .*: the run itself, 1 params, 5 metric values, artifacts report\.html, status FINISHED/,
    );
    expect(warnings).toHaveLength(2);
  });

  it('keeps at most maxBufferedMetrics values, dropping the oldest, and says how many', async () => {
    const port = await closedPort();
    const warnings: string[] = [];
    const logger = new MlflowRunLogger({
      settings: { trackingUri: `http://127.0.0.1:${port}`, experimentId: '0', headers: {} },
      runName: 'r',
      warn: (m) => warnings.push(m),
      closeTimeoutMs: 0,
      maxBufferedMetrics: 10,
    });
    for (let step = 1; step <= 25; step++) logger.logMetrics(step, { a: step });
    await logger.close();
    expect(warnings.at(-1)).toMatch(/10 metric values, 15 metric values dropped from a full buffer/);
  });
});
