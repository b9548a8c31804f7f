// Content addressing: the one mapping from a sha256 to its key in any blob store (the seed's r2Key).

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

export function isSha256(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** `sha256/ab/cd/abcd…`: two levels of fan-out keep directories and key listings small. */
export function blobKey(sha256: string): string {
  const hex = sha256.toLowerCase();
  return `sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
}

/** The inverse of blobKey, for stores that list keys (garbage collection); null for a foreign key. */
export function sha256OfKey(key: string): string | null {
  const match = /^sha256\/([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(key);
  if (!match?.[3].startsWith(match[1] + match[2])) return null;
  return match[3];
}
