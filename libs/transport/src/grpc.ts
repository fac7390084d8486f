// The gRPC side of a service: NestJS transport options for one of the six services (contracts loaded
// from proto/, grpc.health.v1 added to the same server, message sizes bounded) and the mapping of
// errors to gRPC status codes, so a client sees INVALID_ARGUMENT for its own mistakes, NOT_FOUND for
// unknown ids and INTERNAL (without internals) for the rest. On shutdown, open server streams
// (WatchRun, WatchJob) end with UNAVAILABLE, the status a client retries on another replica, so the
// server can close instead of waiting for streams that never end.
import { ServerCredentials, status } from '@grpc/grpc-js';
import type {
  ArgumentsHost,
  CallHandler,
  ExecutionContext,
  NestInterceptor,
  RpcExceptionFilter,
} from '@nestjs/common';
import { RpcException, Transport, type GrpcOptions } from '@nestjs/microservices';
import { HealthImplementation } from 'grpc-health-check';
import { Observable, throwError } from 'rxjs';
import { CancelledError, DeadlineError, UserError } from '@ftune/common';
import { InvalidEventError } from '@ftune/contracts';
import { grpcTransportOptions, type ProtoServiceName } from '@ftune/proto';
import type { Logger } from './log';

/** An error carrying a gRPC status code (thrown by handlers for NOT_FOUND, FAILED_PRECONDITION …). */
export class GrpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcError';
  }
}

/** An ISO-8601 time as a google.protobuf.Timestamp (undefined stays unset). */
export function toTimestamp(iso: string | undefined): { seconds: number; nanos: number } | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

export const notFound = (what: string) => new GrpcError(status.NOT_FOUND, `${what} not found`);

/** Server credentials: TLS from PEM (client certificates required and checked with a client CA), else plaintext. */
export function serverCredentials(tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer }): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    tls.clientCa !== undefined,
  );
}

export function grpcServerOptions(
  name: ProtoServiceName,
  url: string,
  health: HealthImplementation,
  maxMessageBytes: number,
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer },
): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      ...grpcTransportOptions(name, url),
      credentials: serverCredentials(tls),
      maxReceiveMessageLength: maxMessageBytes,
      maxSendMessageLength: maxMessageBytes,
      gracefulShutdown: true,
      onLoadPackageDefinition: (_pkg: unknown, server: Parameters<HealthImplementation['addToServer']>[0]) =>
        health.addToServer(server),
    },
  };
}

export function toGrpcError(error: unknown): { code: status; message: string } {
  if (error instanceof RpcException) {
    const e = error.getError();
    if (typeof e === 'object' && e !== null && 'code' in e) return e as { code: status; message: string };
    return { code: status.UNKNOWN, message: String(e) };
  }
  if (error instanceof GrpcError) return { code: error.code, message: error.message };
  if (error instanceof DeadlineError) return { code: status.DEADLINE_EXCEEDED, message: error.message };
  if (error instanceof CancelledError) return { code: status.CANCELLED, message: error.message };
  if (error instanceof UserError || error instanceof InvalidEventError) {
    return { code: status.INVALID_ARGUMENT, message: error.message };
  }
  return { code: status.INTERNAL, message: 'internal error' };
}

export class GrpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    const mapped = toGrpcError(exception);
    if (mapped.code === status.INTERNAL || mapped.code === status.UNKNOWN) {
      this.log.error('rpc failed', {
        error: exception instanceof Error ? exception.stack : String(exception),
      });
    }
    return throwError(() => mapped);
  }
}

/** Ends every open server stream with UNAVAILABLE once `shutdown` is aborted; other calls pass as they are. */
export class EndStreamsOnShutdown implements NestInterceptor {
  constructor(private readonly shutdown: AbortSignal) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const call = context.getArgByIndex<{ write?: unknown } | undefined>(2);
    if (typeof call?.write !== 'function') return next.handle(); // not a server stream
    return new Observable((subscriber) => {
      const end = () =>
        subscriber.error(new GrpcError(status.UNAVAILABLE, 'the service is shutting down: call again'));
      if (this.shutdown.aborted) return end();
      this.shutdown.addEventListener('abort', end, { once: true });
      const inner = next.handle().subscribe(subscriber);
      return () => {
        inner.unsubscribe();
        this.shutdown.removeEventListener('abort', end);
      };
    });
  }
}
