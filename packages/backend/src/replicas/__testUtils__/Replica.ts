import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

const BACKEND_DIR = resolvePackagePath('backend');
const ROOT = path.resolve(BACKEND_DIR, '../..');

/**
 * One real Forge backend (packages/backend from its sources, the way `./forge start` and the browser journeys run
 * it) in its own process group, on its own port, with the task run recorder preloaded.
 */
export class Replica {
  private readonly child: ChildProcess;
  private exited: Promise<void>;
  /** When the test killed it (SIGKILL), for the task run analysis. */
  killedAt?: number;

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly logFile: string,
    options: { configs: string[]; dataDir: string; runLog: string },
  ) {
    for (const dir of ['scaffolder-work', 'techdocs'])
      fs.mkdirSync(path.join(options.dataDir, dir), { recursive: true });
    const transform = require.resolve(
      '@backstage/cli-node/config/nodeTransform.cjs',
      { paths: [path.join(ROOT, 'node_modules/@backstage/cli')] },
    );
    const log = fs.openSync(logFile, 'a');
    this.child = spawn(
      process.execPath,
      [
        '--enable-source-maps',
        '--require',
        transform,
        '--require',
        resolvePackagePath(
          'backend',
          'src/replicas/__testUtils__/taskRunRecorder.cjs',
        ),
        'src/index',
        ...options.configs.flatMap(c => ['--config', c]),
      ],
      {
        cwd: BACKEND_DIR,
        detached: true,
        stdio: ['ignore', log, log],
        env: {
          ...process.env,
          NODE_ENV: 'development',
          FORGE_E2E_PORT: String(port),
          FORGE_E2E_DATA_DIR: options.dataDir,
          FORGE_TASK_RUN_LOG: options.runLog,
          FORGE_REPLICA_NAME: name,
        },
      },
    );
    fs.closeSync(log);
    this.exited = new Promise(resolve =>
      this.child.once('exit', () => resolve()),
    );
  }

  /**
   * Starts a replica with the embedded default's config, the browser journeys' layer (port and data folder from
   * the environment) and the given files on top.
   */
  static start(options: {
    name: string;
    port: number;
    dir: string;
    configs: string[];
    runLog: string;
  }): Replica {
    const dataDir = path.join(options.dir, options.name);
    return new Replica(
      options.name,
      options.port,
      path.join(options.dir, `${options.name}.log`),
      {
        dataDir,
        runLog: options.runLog,
        configs: [
          path.join(ROOT, 'app-config.yaml'),
          path.join(ROOT, 'e2e-tests/app-config.e2e.yaml'),
          ...options.configs,
        ],
      },
    );
  }

  /** Fails when something already listens on the port. */
  static async assertPortFree(port: number): Promise<void> {
    const inUse = await new Promise<boolean>(resolve => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (inUse) {
      throw new Error(
        `Port ${port} is in use; the replica test needs ports 7117-7122 (stop what listens there)`,
      );
    }
  }

  get baseUrl() {
    return `http://localhost:${this.port}`;
  }

  /** The backend's process id (what it names itself by, e.g. in cost ingestion leases). */
  get pid() {
    return this.child.pid!;
  }

  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when Backstage's readiness endpoint answers 200; throws with the log's tail otherwise. */
  async ready(timeoutMs = 240_000): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (!this.alive) break;
      try {
        const res = await fetch(
          `${this.baseUrl}/.backstage/health/v1/readiness`,
        );
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise(r => setTimeout(r, 500));
    }
    throw new Error(
      `Replica ${this.name} did not become ready:\n${this.logTail()}`,
    );
  }

  /** Kills the replica and everything it started at once, the way a lost node or an OOM kill does. */
  async kill(): Promise<void> {
    this.killedAt = Date.now();
    this.signal('SIGKILL');
    await this.exited;
  }

  /** Stops the replica the way Kubernetes does: SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  logTail(lines = 40): string {
    if (!fs.existsSync(this.logFile)) return '(no log)';
    return fs
      .readFileSync(this.logFile, 'utf8')
      .split('\n')
      .slice(-lines)
      .join('\n');
  }

  private signal(signal: NodeJS.Signals) {
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      // already gone
    }
  }
}
