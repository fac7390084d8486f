// Loaded before anything else in the ingest service's process (first import of main.ts; `ftune serve
// --service ingest` loads it before the CLI imports gRPC, Kafka or NestJS), so the instrumentations patch
// those modules. Exports over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else does nothing.
import { startTelemetry } from '@ftune/telemetry';

export const telemetry = startTelemetry({ serviceName: 'ftune-ingest' });
