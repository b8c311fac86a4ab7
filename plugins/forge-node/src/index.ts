/**
 * What every Forge backend plugin shares on the server.
 *
 * @packageDocumentation
 */
export * from './csv';
