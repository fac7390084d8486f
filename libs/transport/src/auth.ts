// Bearer-token authentication on every RPC: the `authorization: Bearer <token>` metadata entry is
// compared with the configured token in constant time (hashes of both, so lengths leak nothing).
// A call without it, or with another token, fails UNAUTHENTICATED before any handler runs.
import { createHash, timingSafeEqual } from 'node:crypto';
import { status, type Metadata } from '@grpc/grpc-js';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';

export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}

/** The token of an `authorization` metadata value ("Bearer <token>"), or undefined. */
export function bearerToken(metadata: Pick<Metadata, 'get'> | undefined): string | undefined {
  const value = metadata?.get('authorization')[0];
  if (typeof value !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return m?.[1];
}

export class BearerAuthGuard implements CanActivate {
  constructor(private readonly token: string) {}

  canActivate(context: ExecutionContext): boolean {
    const metadata = context.switchToRpc().getContext<Metadata | undefined>();
    const presented = bearerToken(metadata);
    if (presented === undefined) {
      throw new RpcException({
        code: status.UNAUTHENTICATED,
        message: 'missing bearer token (authorization metadata)',
      });
    }
    if (!tokenMatches(presented, this.token)) {
      throw new RpcException({ code: status.UNAUTHENTICATED, message: 'invalid bearer token' });
    }
    return true;
  }
}
