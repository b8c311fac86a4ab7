/**
 * What every Forge backend plugin shares on the server: the guard of every entry point (permission, audit, actor
 * naming, bounded JSON bodies, date rules) and the CSV writer.
 *
 * @packageDocumentation
 */
export * from './csv';
export * from './guard';
export * from './git';
