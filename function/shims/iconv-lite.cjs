'use strict';
// Stands in for iconv-lite in the bundle (it is half of the bundle's size). mysql2 asks it only
// for character sets Node's Buffer does not know; the function's connections are utf8mb4, and
// TextDecoder (full ICU in Lambda's Node) covers the rest of what a server could send.
exports.getDecoder = (encoding) => {
  const decoder = new TextDecoder(encoding);
  return { write: (buffer) => decoder.decode(buffer, { stream: true }), end: () => decoder.decode() };
};
exports.getEncoder = (encoding) => {
  throw new Error(`character set ${encoding} is not supported by the rotation function; use utf8mb4`);
};
exports.encodingExists = (encoding) => {
  try {
    new TextDecoder(encoding);
    return true;
  } catch {
    return false;
  }
};
