// Types of utf8Decoder.js, which stays plain JavaScript so that the parser thread runs it under any loader.

/** A streaming UTF-8 decoder: each chunk of bytes, then null at the end; the text decoded so far. */
export function utf8Decoder(): (chunk: Uint8Array | null) => string;
