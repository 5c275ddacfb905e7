// NATS nkey user keys made with Node's standard library: the launcher runs before `npm install`, so
// it cannot use the nats client's nkeys module. An nkey is an Ed25519 key pair; its text form is a
// prefix byte (the key's kind), the 32 key bytes and a CRC-16 (XMODEM, little-endian), in base32
// without padding. The server is given the public key (U…); the client keeps the seed (SU…).
import crypto from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const PREFIX_USER = 20 << 3; // "U"
const PREFIX_SEED = 18 << 3; // "S", followed by the kind of the key it is the seed of

/** A fresh nkey user: `seed` (SU…, the client's secret) and `publicKey` (U…, for the server). */
export function newUserNkey() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  // The DER forms end with the raw 32-byte key (RFC 8410).
  const raw = (key, type) => key.export({ format: 'der', type }).subarray(-32);
  const seedPrefix = [PREFIX_SEED | (PREFIX_USER >> 5), (PREFIX_USER & 31) << 3];
  return {
    seed: encode(Buffer.concat([Buffer.from(seedPrefix), raw(privateKey, 'pkcs8')])),
    publicKey: encode(Buffer.concat([Buffer.from([PREFIX_USER]), raw(publicKey, 'spki')])),
  };
}

function encode(bytes) {
  const crc = crc16(bytes);
  return base32(Buffer.concat([bytes, Buffer.from([crc & 0xff, crc >> 8])]));
}

function base32(bytes) {
  let out = '';
  let value = 0;
  let bits = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

function crc16(bytes) {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = (crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1) & 0xffff;
  }
  return crc;
}
