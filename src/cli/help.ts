/**
 * Option descriptions that show their default and environment variable the way commander shows
 * its own (`(default: "x", env: NAME)`). Our flags keep no commander default, because a flag that
 * is always set could not let the environment (read by the gateway's own config) win when the
 * flag is absent.
 */
export function described(text: string, value: string | number | null, env?: string): string {
  const shown = value === null ? 'none' : typeof value === 'number' ? String(value) : JSON.stringify(value);
  return `${text} (default: ${shown}${env ? `, env: ${env}` : ''})`;
}
