/**
 * Generate a secure URL-friendly unique ID.
 */
export function nanoid(size?: number): string

export const urlAlphabet: string
