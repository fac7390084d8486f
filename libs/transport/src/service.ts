// Starting and stopping one service: configuration from the environment, a NestJS microservice on the
// gRPC transport (bearer-token guard and error mapping on every handler, grpc.health.v1 on the same
// port), and the Kafka consumer of the app's @OnEvent handlers under the group `<prefix>-<name>-server`.
// Health answers SERVING while the consumer is in its group and in touch with the broker and the
// producer's sends go through (checked every second). Shutdown (SIGTERM/SIGINT), within
// FTUNE_SHUTDOWN_GRACE_MS: health turns NOT_SERVING, the handler in hand is aborted (its offset left
// for the next owner) and the consumer leaves its group, open server streams end with UNAVAILABLE, the
// gRPC server drains, app hooks run, the producer and telemetry flush, and the process exits 0.
import 'reflect-metadata';
import { Global, Module, type DynamicModule, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Kafka } from 'kafkajs';
import { StageRunner } from '@ftune/pipeline';
import { ArtifactStore } from '@ftune/storage';
import { activeTelemetry, stageMetrics } from '@ftune/telemetry';
import { BearerAuthGuard } from './auth';
import { consumerGroup, loadServiceConfig, type Env, type ServiceConfig, type ServiceName } from './config';
import { StageConsumer } from './consumer';
import { DeliveryLedger } from './deliveries';
import { EndStreamsOnShutdown, GrpcErrorFilter, grpcServerOptions } from './grpc';
import { createKafka, ensureTopics, EventProducer } from './kafka';
import { createLogger, nestLogger, type Logger } from './log';
import { eventHandlers } from './on-event';
import { pollConsumerLag, RpcMetricsInterceptor, serviceInstruments, serviceTracer } from './telemetry';

/** Injection tokens of what every service gets (inject with @Inject(TOKEN): the apps run without emitted metadata). */
export const SERVICE_CONFIG = Symbol('ServiceConfig');
export const LOGGER = Symbol('Logger');
export const STORE = Symbol('ArtifactStore');
export const PRODUCER = Symbol('EventProducer');
export const KAFKA = Symbol('Kafka');
export const STAGE_RUNNER = Symbol('StageRunner');
/** An app provides its Kafka controller under this token (`useExisting`), or none. */
export const KAFKA_CONTROLLER = Symbol('KafkaController');

export interface ServiceDeps {
  config: ServiceConfig;
  log: Logger;
  store: ArtifactStore;
  kafka: Kafka;
  producer: EventProducer;
}

function transportModule(deps: ServiceDeps): DynamicModule {
  @Global()
  @Module({})
  class TransportModule {}
  return {
    module: TransportModule,
    providers: [
      { provide: SERVICE_CONFIG, useValue: deps.config },
      { provide: LOGGER, useValue: deps.log },
      { provide: STORE, useValue: deps.store },
      { provide: KAFKA, useValue: deps.kafka },
      { provide: PRODUCER, useValue: deps.producer },
      {
        provide: STAGE_RUNNER,
        useValue: new StageRunner({
          store: deps.store,
          publish: (topic, event) => deps.producer.publish(topic, event),
          log: deps.log,
          tracer: serviceTracer(),
          metrics: () => stageMetrics(serviceInstruments()),
        }),
      },
    ],
    exports: [SERVICE_CONFIG, LOGGER, STORE, KAFKA, PRODUCER, STAGE_RUNNER],
  };
}

export interface RunningService {
  config: ServiceConfig;
  app: INestMicroservice;
  log: Logger;
  /** Graceful stop (what SIGTERM does); resolves when everything is closed. */
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: Env;
  /** Install SIGTERM/SIGINT handlers that stop the service and exit (default true). */
  handleSignals?: boolean;
  /** Runs before the service starts (e.g. choosing the compute backend); its answer is logged. */
  prepare?: () => Promise<string | undefined>;
}

export async function startService(
  name: ServiceName,
  appModule: Type<unknown>,
  options: StartOptions = {},
): Promise<RunningService> {
  const config = loadServiceConfig(name, options.env ?? process.env);
  const log = createLogger({ service: name });
  const store = new ArtifactStore(config.artifactsDir);
  const kafka = createKafka(config.kafka, `ftune-${name}`, log);
  const producer = new EventProducer(kafka, config.kafka.topicPrefix);
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  const prepared = await options.prepare?.();
  if (prepared) log.info(prepared);

  @Module({ imports: [transportModule({ config, log, store, kafka, producer }), appModule] })
  class RootModule {}

  await ensureTopics(kafka, config.kafka.topicPrefix);
  const url = `${config.bind}:${config.port}`;
  const app = await NestFactory.createMicroservice(RootModule, {
    ...grpcServerOptions(name, url, health, config.maxMessageBytes, config.grpcTls),
    logger: nestLogger(log),
  });
  app.useGlobalGuards(new BearerAuthGuard(config.authToken));
  app.useGlobalFilters(new GrpcErrorFilter(log));
  const shutdown = new AbortController();
  app.useGlobalInterceptors(new RpcMetricsInterceptor(), new EndStreamsOnShutdown(shutdown.signal));
  await app.listen();
  const healthServer = config.healthPort
    ? await serveHealth(health, `${config.bind}:${config.healthPort}`)
    : undefined;

  let consumer: StageConsumer | undefined;
  let stop: () => Promise<void> = async () => undefined;
  const controller = app.get<object | undefined>(KAFKA_CONTROLLER, { strict: false });
  const handlers = controller ? eventHandlers(controller) : new Map();
  if (handlers.size > 0) {
    consumer = new StageConsumer(
      kafka,
      producer,
      {
        groupId: consumerGroup(config.kafka, name),
        stage: name,
        handlers,
        maxAttempts: config.maxAttempts,
        retryBackoffMs: config.retryBackoffMs,
        topicPrefix: config.kafka.topicPrefix,
        // the pipeline service only reads the stages' events: their own consumers dead-letter them
        deadLetter: name !== 'pipeline',
        ledger: new DeliveryLedger(store, consumerGroup(config.kafka, name)),
        attemptTimeoutMs: config.attemptTimeoutMs,
        onGiveUp: (reason) => {
          // kafkajs state this process cannot shed: a fresh process starts clean
          log.error('giving up on the kafka consumer; exiting', { reason });
          void stop().finally(() => process.exit(1));
        },
        onStuck: (reason) => {
          // the handler still runs: only a new process may take the message (its attempt is counted)
          log.error('a handler ignored its abort; exiting', { reason });
          void stop().finally(() => process.exit(1));
        },
      },
      log,
    );
    await consumer.start();
  }
  const stopLag =
    consumer && activeTelemetry().enabled
      ? pollConsumerLag(
          kafka,
          {
            groupId: consumerGroup(config.kafka, name),
            stage: name,
            topics: [...handlers.keys()],
            prefix: config.kafka.topicPrefix,
            intervalMs: Number((options.env ?? process.env).FTUNE_LAG_POLL_MS ?? 15_000),
          },
          log,
        )
      : undefined;
  let serving = false;
  let stopping: Promise<void> | undefined;
  const checkHealth = () => {
    const ok = !stopping && (consumer?.healthy ?? true) && producer.healthy;
    if (ok === serving) return;
    serving = ok;
    health.setStatus('', ok ? 'SERVING' : 'NOT_SERVING');
    const fields = { consumer: consumer?.healthy, producer: producer.healthy };
    if (ok) log.info('health: SERVING', fields);
    else if (!stopping) log.warn('health: NOT_SERVING', fields);
  };
  const healthTimer = setInterval(checkHealth, 1000);
  healthTimer.unref();
  checkHealth();
  log.info('service ready', {
    grpc: url,
    tls: config.grpcTls ? (config.grpcTls.clientCa ? 'mutual' : 'server') : 'off',
    health: config.healthPort ? `${config.bind}:${config.healthPort}` : url,
    topics: [...handlers.keys()],
    group: consumer ? consumerGroup(config.kafka, name) : undefined,
  });

  stop = () =>
    (stopping ??= (async () => {
      log.info('shutting down');
      clearInterval(healthTimer);
      serving = false;
      health.setStatus('', 'NOT_SERVING');
      await stopLag?.();
      await consumer?.stop(); // aborts the handler in hand first
      shutdown.abort(); // open server streams end
      await app.close();
      healthServer?.forceShutdown();
      await producer.close();
      await activeTelemetry().flush(); // the last spans and metrics before the process exits
      log.info('stopped');
    })());

  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info('signal received', { signal });
      const timer = setTimeout(() => {
        log.error('shutdown did not finish in time; exiting', { graceMs: config.shutdownGraceMs });
        process.exit(1);
      }, config.shutdownGraceMs);
      timer.unref();
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error('shutdown failed', { error });
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { config, app, log, stop };
}

/** `main.ts` of each app: start, or print the configuration problem and exit 2. */
export function runServiceMain(
  name: ServiceName,
  appModule: Type<unknown>,
  options: StartOptions = {},
): void {
  startService(name, appModule, options).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      JSON.stringify({
        time: new Date().toISOString(),
        level: 'error',
        service: name,
        msg: 'failed to start',
        error: message,
      }) + '\n',
    );
    process.exit(2);
  });
}

/** A plaintext server answering grpc.health.v1 only (the same statuses as the service port), for probes. */
async function serveHealth(health: HealthImplementation, address: string): Promise<Server> {
  const server = new Server();
  health.addToServer(server);
  await new Promise<void>((done, fail) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (error) => (error ? fail(error) : done())),
  );
  return server;
}
