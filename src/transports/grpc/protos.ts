/**
 * The protos the gRPC server always serves, as protobufjs JSON descriptors (no .proto files to
 * ship): the seed framework's generic contract
 *
 *   package rpc;
 *   service MessageService { rpc Command(RPCMessage) returns (RPCResponse) {} }
 *   message RPCMessage  { string Namespace = 1; bytes Data = 2; }
 *   message RPCResponse { bytes Data = 1; string Error = 2; }
 *
 * and the standard health service grpc.health.v1.Health (Check and Watch).
 */
import { fromJSON, type Options } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';

export const LOADER_OPTIONS: Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

const rpcJson = {
  nested: {
    rpc: {
      nested: {
        MessageService: { methods: { Command: { requestType: 'RPCMessage', responseType: 'RPCResponse' } } },
        RPCMessage: { fields: { Namespace: { type: 'string', id: 1 }, Data: { type: 'bytes', id: 2 } } },
        RPCResponse: { fields: { Data: { type: 'bytes', id: 1 }, Error: { type: 'string', id: 2 } } },
      },
    },
  },
};

const healthJson = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
                },
                Health: {
                  methods: {
                    Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse' },
                    Watch: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse', responseStream: true },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

export interface RPCMessage {
  Namespace: string;
  Data: Buffer;
}
export interface RPCResponse {
  Data: Buffer;
  Error: string;
}

export const GENERIC_SERVICE = 'rpc.MessageService';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

export const messageServiceDefinition = fromJSON(rpcJson as Parameters<typeof fromJSON>[0], LOADER_OPTIONS)[GENERIC_SERVICE] as ServiceDefinition;
export const healthServiceDefinition = fromJSON(healthJson as Parameters<typeof fromJSON>[0], LOADER_OPTIONS)[HEALTH_SERVICE] as ServiceDefinition;
