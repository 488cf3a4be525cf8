import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/** The part of iconv-lite's interface the shim provides, as mysql2 calls it. */
interface IconvShim {
  getDecoder(encoding: string): { write(buffer: Buffer): string; end(): string };
  getEncoder(encoding: string): { write(text: string): Buffer; end(): Buffer };
  encodingExists(encoding: string): boolean;
}

// The shim is CommonJS (the bundle aliases iconv-lite to it); tests load the file itself.
const shim = createRequire(import.meta.url)('../../function/shims/iconv-lite.cjs') as IconvShim;

/** What mysql2's string parser does with the decoder it keeps per character set. */
function decode(decoder: ReturnType<IconvShim['getDecoder']>, bytes: Buffer): string {
  return decoder.write(bytes) + decoder.end();
}

function encode(encoder: ReturnType<IconvShim['getEncoder']>, text: string): Buffer {
  return Buffer.concat([encoder.write(text), encoder.end()]);
}

// U+1F600 in CESU-8: each UTF-16 surrogate encoded on its own as a 3-byte sequence.
const GRINNING_FACE_CESU8 = Buffer.from([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]);

describe('the iconv-lite shim', () => {
  it('gives each of two decodes in a row with the same CESU-8 decoder its own text', () => {
    // prepare
    const decoder = shim.getDecoder('cesu8');

    // act
    const first = decode(decoder, Buffer.from('10.11.8-MariaDB'));
    const second = decode(decoder, Buffer.from('app@%'));

    // assess
    expect(first).toBe('10.11.8-MariaDB');
    expect(second).toBe('app@%');
  });

  it('decodes two-byte and three-byte CESU-8 sequences', () => {
    // prepare
    const decoder = shim.getDecoder('CESU-8');

    // act
    const text = decode(decoder, Buffer.from('hôte € ok', 'utf8'));

    // assess
    expect(text).toBe('hôte € ok');
  });

  it('decodes a surrogate pair written as two three-byte sequences', () => {
    // prepare
    const decoder = shim.getDecoder('cesu8');

    // act
    const text = decode(decoder, Buffer.concat([Buffer.from('a'), GRINNING_FACE_CESU8, Buffer.from('b')]));

    // assess
    expect(text).toBe('a\u{1f600}b');
  });

  it('decodes a character split across two writes', () => {
    // prepare
    const decoder = shim.getDecoder('cesu8');
    const bytes = Buffer.from('x€y', 'utf8');

    // act
    const text = decoder.write(bytes.subarray(0, 2)) + decoder.write(bytes.subarray(2)) + decoder.end();

    // assess
    expect(text).toBe('x€y');
  });

  it('encodes to CESU-8 and decodes back to the same text, twice in a row with one encoder', () => {
    // prepare
    const encoder = shim.getEncoder('cesu8');
    const decoder = shim.getDecoder('cesu8');
    const texts = ['user@hôst € \u{1f600}', 'plain'];

    // act
    const encoded = texts.map((text) => encode(encoder, text));
    const decoded = encoded.map((bytes) => decode(decoder, bytes));

    // assess
    expect(encoded[0]?.subarray(-GRINNING_FACE_CESU8.length)).toEqual(GRINNING_FACE_CESU8);
    expect(encoded[1]).toEqual(Buffer.from('plain'));
    expect(decoded).toEqual(texts);
  });

  it('decodes the other character sets with TextDecoder, one value at a time', () => {
    // prepare
    const decoder = shim.getDecoder('latin1');

    // act
    const first = decode(decoder, Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    const second = decode(decoder, Buffer.from([0x6f, 0x6b]));

    // assess
    expect([first, second]).toEqual(['café', 'ok']);
  });

  it('refuses to encode to a character set other than CESU-8, naming it', () => {
    // act
    const build = () => shim.getEncoder('sjis');

    // assess
    expect(build).toThrow('character set sjis is not supported by the rotation function; use utf8mb4');
  });

  it('reports which character sets exist', () => {
    // act
    const known = ['cesu8', 'latin1', 'no-such-charset'].map((encoding) => shim.encodingExists(encoding));

    // assess
    expect(known).toEqual([true, true, false]);
  });
});
