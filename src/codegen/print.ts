/**
 * Printing JS values as readable TypeScript literals: single quotes, bare keys, short objects on
 * one line and long ones broken over lines. `raw(text)` embeds an expression as is.
 */
import { propKey, quote } from './names.js';

const RAW: unique symbol = Symbol('raw');

export interface Raw {
  readonly [RAW]: string;
}

export function raw(text: string): Raw {
  return { [RAW]: text };
}

function isRaw(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && RAW in value;
}

const WIDTH = 100;

/** Print `value`; `column` is where the first character will sit (for line width decisions). */
export function printValue(value: unknown, indentText = '', column = 0): string {
  const flat = printFlat(value);
  if (flat.length + column <= WIDTH) return flat;
  const inner = `${indentText}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${printValue(v, inner, inner.length)},`).join('\n')}\n${indentText}]`;
  }
  if (value !== null && typeof value === 'object' && !isRaw(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    return `{\n${entries
      .map(([k, v]) => {
        const key = `${inner}${propKey(k)}: `;
        return `${key}${printValue(v, inner, key.length)},`;
      })
      .join('\n')}\n${indentText}}`;
  }
  return flat;
}

function printFlat(value: unknown): string {
  if (isRaw(value)) return value[RAW];
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(printFlat).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${propKey(k)}: ${printFlat(v)}`).join(', ')} }`;
  }
  throw new TypeError(`cannot print ${typeof value}`);
}
