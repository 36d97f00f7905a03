/**
 * `openssl s_client` as a peer nobody here wrote: connect over TLS 1.3, stay a second, then
 * close stdin so it ends by itself (killed after 5 s at the latest).
 */
import { spawn } from 'node:child_process';

export function opensslClient(address: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('openssl', ['s_client', '-connect', address, '-tls1_3', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.once('exit', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr });
    });
    setTimeout(() => p.stdin.end(), 1000);
  });
}
