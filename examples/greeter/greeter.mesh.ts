// Hand-written until `meshrpc expose` generates this file (same shapes).
import { createClient, createHandler, defineService, type Caller, type CallOptions } from 'meshrpc';
import type { GreeterService } from './service.js';

export const greeterSpec = defineService<GreeterService>('greeter', {
  greet: ['name'],
  sendPostcard: ['card'],
});

export function greeterHandler(impl: GreeterService) {
  return createHandler(greeterSpec, impl);
}

export function greeterClient(caller: Caller, options?: CallOptions) {
  return createClient(greeterSpec, caller, options);
}
