// Types of utf8Decoder.js, which stays plain JavaScript so that the parser thread runs it under any loader.

/** A streaming UTF-8 decoder: each chunk of bytes, then null at the end; the text decoded so far. */
export function utf8Decoder(): (chunk: Uint8Array | null) => string;

/** The bytes are not UTF-8; `text` is what was decoded before the first invalid byte. */
export class InvalidUtf8Error extends Error {
  text: string;
}
