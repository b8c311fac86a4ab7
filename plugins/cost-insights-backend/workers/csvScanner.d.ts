// Types of csvScanner.js, which stays plain JavaScript so that the parser thread runs it under any loader.

/** What receives the fields; see csvScanner.js. */
export type CsvSink = {
  field(
    text: string,
    start: number,
    end: number,
    quoted: boolean,
    escaped: boolean,
    index: number,
  ): void;
  record(count: number): boolean;
};

export class CsvScanner {
  constructor(sink: CsvSink);
  /** The line ending, once guessed. */
  newline: string | undefined;
  push(chunk: string): void;
  end(): void;
  scan(): 'more' | 'paused' | 'end';
}

export class CsvSyntaxError extends Error {
  constructor(record: number, message: string);
  /** The record at fault; the header is record 1. */
  record: number;
}

export function fieldValue(
  text: string,
  start: number,
  end: number,
  quoted: boolean,
  escaped: boolean,
): string;
