import type { ChildProcess, StdioOptions } from 'node:child_process';

export function startTestBackend(options: {
  port: number;
  dataDir: string;
  extraConfig?: string[];
  stdio?: StdioOptions;
  detached?: boolean;
}): ChildProcess;
export function stopTestBackend(child: ChildProcess): Promise<void>;
