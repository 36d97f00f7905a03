/**
 * Naming rules shared by the reader and the emitters: mesh names and identifiers derived from an
 * interface name, file names of generated output, and safe property keys in generated code.
 */

/** Split `UserProfileService` / `HTTPGateway` into words: [User, Profile, Service] / [HTTP, Gateway]. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
}

/** The interface name without its `Service` suffix (unless that is all there is). */
export function stemOf(interfaceName: string): string {
  const stem = interfaceName.replace(/Service$/, '');
  return stem.length > 0 ? stem : interfaceName;
}

/** Default name on the mesh: `GreeterService` -> `greeter`, `UserProfileService` -> `user-profile`. */
export function serviceNameOf(interfaceName: string): string {
  return words(stemOf(interfaceName))
    .map((w) => w.toLowerCase())
    .join('-');
}

/** Identifier stem for generated names: `UserProfileService` -> `userProfile`. */
export function identOf(interfaceName: string): string {
  const parts = words(stemOf(interfaceName)).map((w) => w.toLowerCase());
  const camel = parts.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('');
  return /^[A-Za-z_$]/.test(camel) ? camel : `_${camel}`;
}

export function upperFirst(s: string): string {
  return s.length === 0 ? s : s[0].toUpperCase() + s.slice(1);
}

/** A type name turned into an identifier fragment: `Page<User[]>` -> `Page_User`. */
export function sanitizeIdent(text: string): string {
  const s = text
    .replace(/\[\]/g, 's')
    .replace(/[^A-Za-z0-9_$]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  if (s.length === 0) return 'T';
  return /^[0-9]/.test(s) ? `T${s}` : s;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function isIdentifier(name: string): boolean {
  return IDENT.test(name);
}

/** A property key for generated code: bare when an identifier, quoted otherwise. */
export function propKey(name: string): string {
  return isIdentifier(name) ? name : quote(name);
}

/** A property access: `.name` or `["odd-name"]`. */
export function propAccess(name: string): string {
  return isIdentifier(name) ? `.${name}` : `[${quote(name)}]`;
}

/**
 * A property of a record (`Record<string, unknown>`): always `['name']`, because generated code
 * must type-check under `noPropertyAccessFromIndexSignature`.
 */
export function recordAccess(name: string): string {
  return `[${quote(name)}]`;
}

/** A single-quoted JS string literal. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}'`;
}
