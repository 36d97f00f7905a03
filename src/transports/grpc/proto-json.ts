/**
 * Messages of a service's own proto <-> the meshrpc wire form (docs/TYPES.md), which is the
 * proto3 JSON mapping of the generated protos: Timestamp <-> RFC 3339 string, 64-bit integers
 * <-> decimal strings, bytes <-> base64, Value / Struct / ListValue <-> JSON values, maps <->
 * objects, enums <-> their names. A field that tracks presence and is absent stays absent.
 *
 * proto-loader's own objects are not that form (a Timestamp is `{ seconds, nanos }`, a Value is
 * `{ kind, numberValue }`), so the gRPC server and GrpcProtoClient (de)serialize through these
 * functions over protobufjs types instead, and handlers validate exactly what a JSON caller sends.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';

type Type = protobuf.Type;
type Field = protobuf.Field;
type Obj = Record<string, unknown>;

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const TIMESTAMP = '.google.protobuf.Timestamp';
const VALUE = '.google.protobuf.Value';
const STRUCT = '.google.protobuf.Struct';
const LIST_VALUE = '.google.protobuf.ListValue';

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** A type's full name, remembered: protobufjs builds it by walking the parents on every read. */
const fullNames = new WeakMap<protobuf.ReflectionObject, string>();
function fullNameOf(t: protobuf.ReflectionObject | null): string | undefined {
  if (!t) return undefined;
  let name = fullNames.get(t);
  if (name === undefined) fullNames.set(t, (name = t.fullName));
  return name;
}

/** A protobufjs root over .proto files (well-known imports resolve to protobufjs's own copies). */
export function loadProtoRoot(files: string | string[], includeDirs: string[] = []): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (path.isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const full = path.resolve(dir, target);
      if (existsSync(full)) return full;
    }
    return protobuf.util.path.resolve(origin, target);
  };
  root.loadSync(files, { keepCase: true });
  root.resolveAll();
  return root;
}

/** Request and response types of one rpc. */
export function rpcTypes(root: protobuf.Root, service: string, rpc: string): { request: Type; response: Type } {
  const method = root.lookupService(service).methods[rpc];
  method.resolve();
  return { request: method.resolvedRequestType!, response: method.resolvedResponseType! };
}

/** Encode a wire-form object as `type`. */
export function encodeWire(type: Type, value: unknown): Buffer {
  const message = type.fromObject(messageFromWire(type, (value ?? {}) as Obj) as Obj);
  const bytes = type.encode(message).finish();
  // protobufjs already hands out a Buffer on Node: wrap, don't copy.
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Decode bytes of `type` into the wire form. */
export function decodeWire(type: Type, bytes: Uint8Array): Obj {
  return messageToWire(type, type.decode(bytes) as unknown as Obj) as Obj;
}

// ---- protobufjs message -> wire form ----

function messageToWire(type: Type, msg: Obj): unknown {
  switch (fullNameOf(type)) {
    case TIMESTAMP:
      return new Date(Number(msg.seconds ?? 0) * 1000 + Math.floor(Number(msg.nanos ?? 0) / 1e6)).toISOString();
    case VALUE:
      return valueToJson(msg);
    case STRUCT:
      return structToJson(msg);
    case LIST_VALUE:
      return listToJson(msg);
  }
  const out: Obj = {};
  for (const field of type.fieldsArray) {
    const name = field.name;
    const v = msg[name];
    if (field.map) {
      const entries: Obj = {};
      for (const [k, e] of Object.entries((v ?? {}) as Obj)) entries[k] = elementToWire(field, e);
      out[name] = entries;
    } else if (field.repeated) {
      out[name] = ((v ?? []) as unknown[]).map((e) => elementToWire(field, e));
    } else if ((field.hasPresence && !hasOwn(msg, name)) || v === null || v === undefined) {
      continue; // absent
    } else {
      out[name] = elementToWire(field, v);
    }
  }
  return out;
}

function elementToWire(field: Field, v: unknown): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return messageToWire(t, v as Obj);
  if (t instanceof protobuf.Enum) return t.valuesById[v as number] ?? v;
  if (LONG_TYPES.has(field.type)) return String(v);
  if (field.type === 'bytes') {
    const b = v as Uint8Array;
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
  }
  return v;
}

function valueToJson(v: Obj): unknown {
  if (hasOwn(v, 'numberValue')) return v.numberValue;
  if (hasOwn(v, 'stringValue')) return v.stringValue;
  if (hasOwn(v, 'boolValue')) return v.boolValue;
  if (hasOwn(v, 'structValue')) return structToJson(v.structValue as Obj);
  if (hasOwn(v, 'listValue')) return listToJson(v.listValue as Obj);
  return null; // nullValue, or a Value with nothing set
}

function structToJson(s: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries((s.fields ?? {}) as Obj)) out[k] = valueToJson(v as Obj);
  return out;
}

function listToJson(l: Obj): unknown[] {
  return ((l.values ?? []) as Obj[]).map(valueToJson);
}

// ---- wire form -> object for Type.fromObject (which itself takes decimal and base64 strings) ----

function messageFromWire(type: Type, value: unknown): unknown {
  switch (fullNameOf(type)) {
    case TIMESTAMP:
      return timestampFromWire(value);
    case VALUE:
      return jsonToValue(value);
    case STRUCT:
      return jsonToStruct(value as Obj);
    case LIST_VALUE:
      return { values: (value as unknown[]).map(jsonToValue) };
  }
  if (value === null || typeof value !== 'object') return value; // fromObject reports the mismatch
  const obj = value as Obj;
  const out: Obj = {};
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    // Absent; but a null is itself a value where the field is a google.protobuf.Value.
    if (v === undefined || (v === null && fullNameOf(field.resolvedType) !== VALUE)) continue;
    if (field.map) {
      const entries: Obj = {};
      for (const [k, e] of Object.entries(v as Obj)) entries[k] = elementFromWire(field, e);
      out[field.name] = entries;
    } else if (field.repeated && Array.isArray(v)) {
      out[field.name] = v.map((e) => elementFromWire(field, e));
    } else {
      out[field.name] = elementFromWire(field, v);
    }
  }
  return out;
}

function elementFromWire(field: Field, v: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return messageFromWire(field.resolvedType, v);
  if (LONG_TYPES.has(field.type)) checkLong(field, v);
  return v;
}

const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const UINT64 = [0n, 2n ** 64n - 1n] as const;

/** protobufjs wraps 64-bit values that do not fit; refuse them instead of corrupting them. */
function checkLong(field: Field, v: unknown): void {
  if (typeof v !== 'string' && typeof v !== 'bigint') return;
  let n: bigint;
  try {
    n = BigInt(v);
  } catch {
    return; // not an integer: fromObject reports it
  }
  const [min, max] = field.type === 'uint64' || field.type === 'fixed64' ? UINT64 : INT64;
  if (n < min || n > max) throw new RangeError(`${field.type} field "${field.name}": ${n} does not fit in 64 bits`);
}

function timestampFromWire(value: unknown): Obj {
  const ms = value instanceof Date ? value.getTime() : Date.parse(String(value));
  if (!Number.isFinite(ms)) throw new TypeError(`not a timestamp: ${String(value)}`);
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
}

function jsonToValue(v: unknown): Obj {
  if (v === null || v === undefined) return { nullValue: 0 };
  switch (typeof v) {
    case 'number':
      return { numberValue: v };
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { boolValue: v };
  }
  if (Array.isArray(v)) return { listValue: { values: v.map(jsonToValue) } };
  return { structValue: jsonToStruct(v as Obj) };
}

function jsonToStruct(o: Obj): Obj {
  const fields: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) fields[k] = jsonToValue(v);
  return { fields };
}

/**
 * A proto-loader service definition whose messages travel in the wire form: the same paths and
 * names, (de)serialized by the functions above. Server and client both use it.
 */
export function wireServiceDefinition<D extends Record<string, { requestSerialize: unknown }>>(root: protobuf.Root, fullName: string, definition: D): D {
  const out: Record<string, unknown> = {};
  for (const [rpc, method] of Object.entries(definition)) {
    const { request, response } = rpcTypes(root, fullName, rpc);
    out[rpc] = {
      ...method,
      requestSerialize: (value: unknown) => encodeWire(request, value),
      requestDeserialize: (bytes: Buffer) => decodeWire(request, bytes),
      responseSerialize: (value: unknown) => encodeWire(response, value),
      responseDeserialize: (bytes: Buffer) => decodeWire(response, bytes),
    };
  }
  return out as D;
}
