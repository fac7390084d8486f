// A @grpc/grpc-js client of one service (for `ftune run --remote`, scripts and tests): the contracts
// loaded from proto/ with the same loader options as the servers, the bearer token added to every call.
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, ProtoServices, protoPath, type ProtoServiceName } from '@ftune/proto';

export type GrpcClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

export function authInterceptor(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        metadata.set('authorization', `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

export function grpcClient(
  name: ProtoServiceName,
  address: string,
  token: string | undefined,
  /** tls: the system's roots; ca: a private CA; cert and key: this client's certificate (mTLS). */
  options: { tls?: boolean; ca?: Buffer; cert?: Buffer; key?: Buffer } = {},
): GrpcClient {
  const def = loadSync(protoPath(name), PROTO_LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def);
  const { package: pkgName, service } = ProtoServices[name];
  let ctor: unknown = pkg;
  for (const part of [...pkgName.split('.'), service]) ctor = (ctor as Record<string, unknown>)[part];
  const Client = ctor as grpc.ServiceClientConstructor;
  const secure = options.tls || options.ca || options.cert;
  const creds = secure
    ? grpc.credentials.createSsl(options.ca ?? null, options.key ?? null, options.cert ?? null)
    : grpc.credentials.createInsecure();
  return new Client(address, creds, {
    interceptors: token ? [authInterceptor(token)] : [],
    'grpc.max_receive_message_length': 64 << 20,
  }) as unknown as GrpcClient;
}

/** A unary call as a promise. */
export function unary<Res>(
  client: GrpcClient,
  method: string,
  request: unknown,
  deadlineMs = 60_000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = client[method] as (
      req: unknown,
      opts: grpc.CallOptions,
      cb: (e: grpc.ServiceError | null, r: Res) => void,
    ) => void;
    fn.call(client, request, { deadline: Date.now() + deadlineMs, waitForReady: true }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}
