/*
 * Preloaded (`node --require`) into each backend of the replica test. Backstage's scheduler wraps every run of a
 * scheduled task in a tracing span named `task <id>`; this registers an OpenTelemetry tracer provider that appends
 * one JSON line per run start and end to FORGE_TASK_RUN_LOG. The start line is written when the run starts, so a
 * replica killed in the middle of a run still shows that run. Nothing else in the backend changes.
 */
const fs = require('node:fs');
const { trace } = require('@opentelemetry/api');
const { TracerProvider } = require('@opentelemetry/sdk-trace');

const file = process.env.FORGE_TASK_RUN_LOG;
const replica = process.env.FORGE_REPLICA_NAME ?? String(process.pid);

function write(event, span) {
  if (!span.name.startsWith('task ')) return;
  // The scheduler names its attributes only after the span started; the name carries the task id from the start.
  const taskId = span.name.slice('task '.length);
  // Synchronous, so the line is on disk before the run does anything a SIGKILL could interrupt.
  fs.appendFileSync(
    file,
    `${JSON.stringify({
      event,
      replica,
      taskId,
      scope: event === 'end' ? span.attributes.scope : undefined,
      run: span.spanContext().spanId,
      at: Date.now(),
      failed: event === 'end' ? span.status.code === 2 : undefined,
    })}\n`,
  );
}

if (file) {
  trace.setGlobalTracerProvider(
    new TracerProvider({
      spanProcessors: [
        {
          onStart: span => write('start', span),
          onEnd: span => write('end', span),
          forceFlush: async () => {},
          shutdown: async () => {},
        },
      ],
    }),
  );
}
