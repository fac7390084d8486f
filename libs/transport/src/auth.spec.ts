import { Metadata, status } from '@grpc/grpc-js';
import type { ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { describe, expect, it } from 'vitest';
import { BearerAuthGuard, bearerToken, tokenMatches } from './auth';

function contextWith(authorization?: string): ExecutionContext {
  const md = new Metadata();
  if (authorization !== undefined) md.set('authorization', authorization);
  return {
    switchToRpc: () => ({ getContext: () => md, getData: () => ({}) }),
  } as unknown as ExecutionContext;
}

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return ((e as RpcException).getError() as { code: number }).code;
  }
  return undefined;
}

describe('bearer-token guard', () => {
  const guard = new BearerAuthGuard('s3cret-token-value');

  it('lets the right token through', () => {
    expect(guard.canActivate(contextWith('Bearer s3cret-token-value'))).toBe(true);
    expect(guard.canActivate(contextWith('bearer s3cret-token-value'))).toBe(true);
  });

  it('refuses a missing, malformed or wrong token with UNAUTHENTICATED', () => {
    expect(codeOf(() => guard.canActivate(contextWith()))).toBe(status.UNAUTHENTICATED);
    expect(codeOf(() => guard.canActivate(contextWith('s3cret-token-value')))).toBe(status.UNAUTHENTICATED);
    expect(codeOf(() => guard.canActivate(contextWith('Bearer s3cret-token-valuX')))).toBe(
      status.UNAUTHENTICATED,
    );
    expect(codeOf(() => guard.canActivate(contextWith('Bearer s3cret')))).toBe(status.UNAUTHENTICATED);
  });

  it('compares whole tokens and never accepts an empty expected token', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abcd')).toBe(false);
    expect(tokenMatches('', '')).toBe(false);
    const md = new Metadata();
    md.set('authorization', 'Bearer  tok ');
    expect(bearerToken(md)).toBe('tok');
  });
});
