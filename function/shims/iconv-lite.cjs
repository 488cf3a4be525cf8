'use strict';
// Stands in for iconv-lite in the bundle (it was half of the bundle's size). mysql2 asks it only
// for character sets Node's Buffer does not know. Servers send utf8mb3 columns (VERSION(),
// CURRENT_USER()), which mysql2 reads as CESU-8; TextDecoder (full ICU in Lambda's Node)
// covers the other character sets a server could send.

// CESU-8 is UTF-8 applied to UTF-16 code units, so each sequence decodes to code units.
function decodeCesu8(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i += 1;
    } else if (b >= 0xc0 && b < 0xe0 && i + 1 < bytes.length) {
      out += String.fromCharCode(((b & 0x1f) << 6) | (bytes[i + 1] & 0x3f));
      i += 2;
    } else if (b >= 0xe0 && b < 0xf0 && i + 2 < bytes.length) {
      out += String.fromCharCode(((b & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f));
      i += 3;
    } else if (b >= 0xf0 && i + 3 < bytes.length) {
      out += Buffer.from(bytes.subarray(i, i + 4)).toString('utf8');
      i += 4;
    } else {
      out += '\ufffd';
      i += 1;
    }
  }
  return out;
}

function encodeCesu8(text) {
  const bytes = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes.push(unit);
    else if (unit < 0x800) bytes.push(0xc0 | (unit >> 6), 0x80 | (unit & 0x3f));
    else bytes.push(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f));
  }
  return Buffer.from(bytes);
}

const isCesu8 = (encoding) =>
  String(encoding)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '') === 'cesu8';

// mysql2 keeps one decoder per character set for the life of the process and calls write() then
// end() for every value: end() must leave the decoder empty, or each value would carry every
// value decoded before it. The encoder follows the same rule for any caller that reuses one.
exports.getDecoder = (encoding) => {
  if (isCesu8(encoding)) {
    let chunks = [];
    return {
      write: (buffer) => {
        chunks.push(buffer);
        return '';
      },
      end: () => {
        const bytes = Buffer.concat(chunks);
        chunks = [];
        return decodeCesu8(bytes);
      },
    };
  }
  const decoder = new TextDecoder(encoding);
  return { write: (buffer) => decoder.decode(buffer, { stream: true }), end: () => decoder.decode() };
};

exports.getEncoder = (encoding) => {
  if (isCesu8(encoding)) {
    let chunks = [];
    return {
      write: (text) => {
        chunks.push(text);
        return Buffer.alloc(0);
      },
      end: () => {
        const text = chunks.join('');
        chunks = [];
        return encodeCesu8(text);
      },
    };
  }
  throw new Error(`character set ${encoding} is not supported by the rotation function; use utf8mb4`);
};

exports.encodingExists = (encoding) => {
  if (isCesu8(encoding)) return true;
  try {
    new TextDecoder(encoding);
    return true;
  } catch {
    return false;
  }
};
