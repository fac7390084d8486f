#!/usr/bin/env node
// A real Apache Kafka broker for development and tests: one KRaft node (broker and controller in one
// process) on 127.0.0.1:9092, its data in a temporary folder. Not a mock and not a cluster: the jars
// of org.apache.kafka:kafka_2.13 come from Maven Central (pom.xml beside this file) into a cache outside
// the repository, and the process is Kafka's own main class `kafka.Kafka`.
//
//   node tools/kafka/kafka.js start [--json]   idempotent; returns once the broker answers requests
//   node tools/kafka/kafka.js stop             SIGTERM, then SIGKILL after a grace period; removes the data
//   node tools/kafka/kafka.js status           prints whether it runs
//
// Environment: FTUNE_KAFKA_CACHE (jar cache, default ~/.cache/ftune/kafka-<version>),
// FTUNE_KAFKA_HEAP (default "-Xms256m -Xmx768m"), FTUNE_KAFKA_START_TIMEOUT_MS (default 120000).
// Plain Node, no dependencies: it must run before `npm ci` has finished anything else.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const KAFKA_VERSION = '3.9.1';
const HOST = '127.0.0.1';
const BROKER_PORT = 9092;
const CONTROLLER_PORT = 9093;
const MAIN_CLASS = 'kafka.Kafka';
const MIN_JAVA = 17;

const here = __dirname;
const cacheDir =
  process.env.FTUNE_KAFKA_CACHE ||
  path.join(
    process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
    'ftune',
    `kafka-${KAFKA_VERSION}`,
  );
const libsDir = path.join(cacheDir, 'libs');
const libsDone = path.join(libsDir, '.complete');
// Fixed per port so that every process (npm scripts, test setups) finds the same broker.
const stateDir = path.join(os.tmpdir(), `ftune-kafka-${BROKER_PORT}`);
const stateFile = path.join(stateDir, 'broker.json');
const lockDir = path.join(stateDir, 'lock');
const heap = (process.env.FTUNE_KAFKA_HEAP || '-Xms256m -Xmx768m').split(/\s+/).filter(Boolean);
const startTimeoutMs = Number(process.env.FTUNE_KAFKA_START_TIMEOUT_MS || 120_000);
const stopGraceMs = 20_000;

class KafkaToolError extends Error {}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => process.stderr.write(`kafka: ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Prerequisites: java (17+) to run the broker, mvn only when the jar cache is empty.

function javaMajor() {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error) {
    throw new KafkaToolError(
      `java not found on PATH: the local Kafka broker needs Java ${MIN_JAVA} or newer (e.g. apt-get install openjdk-17-jre-headless)`,
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  if (!m) return MIN_JAVA; // unknown format: let the JVM speak for itself
  const major = Number(m[1]) === 1 ? Number(m[2]) : Number(m[1]);
  if (major < MIN_JAVA) {
    throw new KafkaToolError(`Java ${major} found; the local Kafka broker needs Java ${MIN_JAVA} or newer`);
  }
  return major;
}

function ensureJars() {
  if (fs.existsSync(libsDone)) return false;
  const probe = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (probe.error) {
    throw new KafkaToolError(
      `mvn not found on PATH: Maven fetches Apache Kafka ${KAFKA_VERSION} once into ${libsDir} (e.g. apt-get install maven)`,
    );
  }
  log(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${libsDir} (first run only)`);
  fs.rmSync(libsDir, { recursive: true, force: true });
  fs.mkdirSync(libsDir, { recursive: true });
  const r = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      path.join(here, 'pom.xml'),
      'dependency:copy-dependencies',
      `-Dkafka.libs=${libsDir}`,
      `-Dkafka.version=${KAFKA_VERSION}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const jars = fs.existsSync(libsDir) ? fs.readdirSync(libsDir).filter((f) => f.endsWith('.jar')) : [];
  if (r.status !== 0 || !jars.includes(`kafka_2.13-${KAFKA_VERSION}.jar`)) {
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    throw new KafkaToolError(`mvn dependency:copy-dependencies failed (exit ${r.status}):\n${output}`);
  }
  fs.writeFileSync(libsDone, `${jars.sort().join('\n')}\n`);
  return true;
}

const classpath = () => path.join(libsDir, '*');

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: one state file names the pid and its temporary folder.

function readState() {
  try {
    return JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch {
    return null;
  }
}

function commandLine(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    const r = spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  }
}

/** Is `pid` alive and Apache Kafka's broker (not a recycled pid)? */
function isKafka(pid) {
  const cmd = pid ? commandLine(pid) : null;
  return Boolean(cmd && cmd.includes(` ${MAIN_CLASS} `));
}

function removeRunDir(state) {
  if (state && state.runDir && path.basename(state.runDir).startsWith('ftune-kafka-run-')) {
    fs.rmSync(state.runDir, { recursive: true, force: true });
  }
}

/** A cross-process lock (mkdir is atomic), so that two `start`s never launch two brokers. */
async function withLock(fn) {
  fs.mkdirSync(stateDir, { recursive: true });
  const deadline = Date.now() + startTimeoutMs + 30_000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const age = Date.now() - fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs;
      if (age > startTimeoutMs + 60_000) fs.rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new KafkaToolError(`timed out waiting for the lock ${lockDir}`);
      else await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Readiness: the log says the server started and the listener answers a Kafka ApiVersions request.

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

/** Sends ApiVersions v0 (api key 18) and resolves true when a well-formed, error-free answer comes back. */
function apiVersionsOk(port) {
  return new Promise((resolve) => {
    const clientId = Buffer.from('ftune-kafka-check');
    const correlationId = 0x46540001;
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    body.writeInt16BE(18, 0); // api_key: ApiVersions
    body.writeInt16BE(0, 2); // api_version 0 (request header v1, response header v0)
    body.writeInt32BE(correlationId, 4);
    body.writeInt16BE(clientId.length, 8);
    clientId.copy(body, 10);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length, 0);

    let got = Buffer.alloc(0);
    const s = net.connect({ host: HOST, port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000);
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write(Buffer.concat([size, body])));
    s.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 4 || got.length < 4 + got.readInt32BE(0)) return;
      // response: int32 correlation_id, int16 error_code, [api_key, min, max]...
      done(got.length >= 10 && got.readInt32BE(4) === correlationId && got.readInt16BE(8) === 0);
    });
  });
}

function tail(file, lines = 25) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitReady(state) {
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (!alive(state.pid)) {
      throw new KafkaToolError(
        `the broker exited during start-up. Last lines of ${state.out}:\n${tail(state.out)}`,
      );
    }
    let started = false;
    try {
      started = fs.readFileSync(state.out, 'utf8').includes('Kafka Server started');
    } catch {
      started = false;
    }
    if (started && (await apiVersionsOk(BROKER_PORT))) return;
    if (Date.now() > deadline) {
      throw new KafkaToolError(
        `the broker did not become ready within ${startTimeoutMs} ms. Last lines of ${state.out}:\n${tail(state.out)}`,
      );
    }
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// start

function serverProperties(dataDir) {
  return [
    '# Single-node KRaft broker for ftune development and tests (written by tools/kafka/kafka.js).',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${CONTROLLER_PORT}`,
    `listeners=PLAINTEXT://${HOST}:${BROKER_PORT},CONTROLLER://${HOST}:${CONTROLLER_PORT}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${BROKER_PORT}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // One replica of everything: there is one broker.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'num.partitions=1',
    // Small internal topics: the first consumer group join creates __consumer_offsets, and 50
    // partitions (the default) would cost seconds on a small machine.
    'offsets.topic.num.partitions=1',
    'transaction.state.log.num.partitions=1',
    // Tests join groups often: no initial delay before the first rebalance.
    'group.initial.rebalance.delay.ms=0',
    // Sized for a 2-core machine.
    'num.network.threads=2',
    'num.io.threads=2',
    'num.recovery.threads.per.data.dir=1',
    'background.threads=2',
    'log.cleaner.threads=1',
    '',
  ].join('\n');
}

function newClusterId() {
  // A Kafka Uuid is 16 random bytes in base64url (22 characters); avoid a leading '-' that a
  // command-line parser would take for an option.
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function jvmArgs(runDir) {
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:TieredStopAtLevel=1', // quicker start-up; a development broker is never CPU-bound on the JIT
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${path.join(here, 'log4j.properties')}`,
    `-Dkafka.logs.dir=${runDir}`,
    '-cp',
    classpath(),
  ];
}

async function start() {
  return withLock(async () => {
    const previous = readState();
    if (previous && isKafka(previous.pid)) {
      await waitReady(previous); // it may still be starting (another caller)
      return { started: false, pid: previous.pid, bootstrap: `${HOST}:${BROKER_PORT}` };
    }
    if (previous) {
      removeRunDir(previous); // left behind by a broker that died without `stop`
      fs.rmSync(stateFile, { force: true });
    }
    for (const port of [BROKER_PORT, CONTROLLER_PORT]) {
      if (await portOpen(port)) {
        throw new KafkaToolError(
          `port ${HOST}:${port} is already in use by a process this tool did not start`,
        );
      }
    }
    javaMajor();
    ensureJars();

    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-kafka-run-'));
    const dataDir = path.join(runDir, 'data');
    const props = path.join(runDir, 'server.properties');
    const out = path.join(runDir, 'kafka.out');
    fs.writeFileSync(props, serverProperties(dataDir));

    const format = spawnSync(
      'java',
      [
        ...jvmArgs(runDir),
        'kafka.tools.StorageTool',
        'format',
        '--ignore-formatted',
        '-t',
        newClusterId(),
        '-c',
        props,
      ],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) {
      fs.rmSync(runDir, { recursive: true, force: true });
      throw new KafkaToolError(`formatting the KRaft storage failed:\n${format.stdout}${format.stderr}`);
    }

    const fd = fs.openSync(out, 'a');
    const child = spawn('java', [...jvmArgs(runDir), MAIN_CLASS, props], {
      cwd: runDir,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    fs.closeSync(fd);
    child.unref();
    const state = {
      pid: child.pid,
      runDir,
      out,
      startedAt: new Date().toISOString(),
      version: KAFKA_VERSION,
    };
    fs.writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
    try {
      await waitReady(state);
    } catch (e) {
      await stopProcess(state);
      throw e;
    }
    return { started: true, pid: child.pid, bootstrap: `${HOST}:${BROKER_PORT}` };
  });
}

// ---------------------------------------------------------------------------------------------
// stop

async function stopProcess(state) {
  if (isKafka(state.pid)) {
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + stopGraceMs;
    while (alive(state.pid) && Date.now() < deadline) await sleep(100);
    if (alive(state.pid)) {
      log(`pid ${state.pid} ignored SIGTERM for ${stopGraceMs} ms; sending SIGKILL`);
      process.kill(state.pid, 'SIGKILL');
      while (alive(state.pid)) await sleep(50);
    }
  }
  removeRunDir(state);
  fs.rmSync(stateFile, { force: true });
}

async function stop() {
  const state = readState();
  if (!state) return { stopped: false };
  const wasRunning = isKafka(state.pid);
  await stopProcess(state);
  return { stopped: wasRunning, pid: state.pid };
}

function status() {
  const state = readState();
  const running = Boolean(state && isKafka(state.pid));
  return running
    ? { running, pid: state.pid, bootstrap: `${HOST}:${BROKER_PORT}`, runDir: state.runDir }
    : { running };
}

// ---------------------------------------------------------------------------------------------
// command line

async function main(argv) {
  const [cmd, ...flags] = argv;
  const json = flags.includes('--json');
  const t0 = Date.now();
  let result;
  if (cmd === 'start') {
    result = await start();
    if (!json) {
      log(
        result.started
          ? `Apache Kafka ${KAFKA_VERSION} broker ready on ${result.bootstrap} (pid ${result.pid}, ${Date.now() - t0} ms)`
          : `already running on ${result.bootstrap} (pid ${result.pid})`,
      );
    }
  } else if (cmd === 'stop') {
    result = await stop();
    if (!json) log(result.stopped ? `stopped (pid ${result.pid}, ${Date.now() - t0} ms)` : 'not running');
  } else if (cmd === 'status') {
    result = status();
    if (!json) log(result.running ? `running on ${result.bootstrap} (pid ${result.pid})` : 'not running');
  } else {
    throw new KafkaToolError('usage: node tools/kafka/kafka.js start|stop|status [--json]');
  }
  if (json) process.stdout.write(`${JSON.stringify({ ...result, ms: Date.now() - t0 })}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    log(e instanceof KafkaToolError ? e.message : (e && e.stack) || String(e));
    process.exitCode = e instanceof KafkaToolError ? 2 : 1;
  });
}

module.exports = { start, stop, status, KAFKA_VERSION, HOST, BROKER_PORT };
